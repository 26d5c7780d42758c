package tx

import "encoding/binary"

// fastEnvelopeV2 reads a v2 envelope that is already in canonical CBOR,
// the form every transaction signed by SignItems has: array(3) of the
// header and signature byte strings and an array of item byte strings,
// every head in its shortest form, nothing after it. The byte strings are
// slices of raw (capped, so an append cannot write into raw), not copies.
//
// It accepts nothing else: ok is false for any other input, including
// canonical forms it leaves to the general decoder (an empty byte string
// or item list, more items than decMode allows). For an input it accepts,
// decoding with decMode and encoding again with encMode gives the same
// byte strings and the same raw, so decodeV2 may skip both and still
// return the same transaction and the same errors.
func fastEnvelopeV2(raw []byte) (env envelopeV2, ok bool) {
	if len(raw) == 0 || raw[0] != 0x83 {
		return envelopeV2{}, false
	}
	p := 1
	if env.Header, p, ok = canonicalBstr(raw, p); !ok {
		return envelopeV2{}, false
	}
	if env.Signature, p, ok = canonicalBstr(raw, p); !ok {
		return envelopeV2{}, false
	}
	n, p, ok := canonicalHead(raw, p, majorArray)
	// Each item takes at least two bytes (a head and a byte).
	if !ok || n == 0 || n > maxItems || n > uint64(len(raw)-p)/2 {
		return envelopeV2{}, false
	}
	env.Items = make([][]byte, n)
	for i := range env.Items {
		if env.Items[i], p, ok = canonicalBstr(raw, p); !ok {
			return envelopeV2{}, false
		}
	}
	return env, p == len(raw)
}

// maxItems is decMode's MaxArrayElements: longer item lists are left to
// it, to refuse.
const maxItems = 1 << 20

const (
	majorBstr  = 2
	majorArray = 4
)

// canonicalBstr reads a non-empty byte string with a shortest-form head
// at raw[p].
func canonicalBstr(raw []byte, p int) ([]byte, int, bool) {
	n, p, ok := canonicalHead(raw, p, majorBstr)
	if !ok || n == 0 || n > uint64(len(raw)-p) {
		return nil, 0, false
	}
	end := p + int(n)
	return raw[p:end:end], end, true
}

// canonicalHead reads a head of major type major at raw[p] whose argument
// is in its shortest form, and returns the argument and the position
// after the head.
func canonicalHead(raw []byte, p int, major byte) (uint64, int, bool) {
	if p >= len(raw) || raw[p]>>5 != major {
		return 0, 0, false
	}
	ai := raw[p] & 0x1f
	p++
	var n, least uint64
	switch {
	case ai < 24:
		return uint64(ai), p, true
	case ai == 24 && p+1 <= len(raw):
		n, least, p = uint64(raw[p]), 24, p+1
	case ai == 25 && p+2 <= len(raw):
		n, least, p = uint64(binary.BigEndian.Uint16(raw[p:])), 1<<8, p+2
	case ai == 26 && p+4 <= len(raw):
		n, least, p = uint64(binary.BigEndian.Uint32(raw[p:])), 1<<16, p+4
	case ai == 27 && p+8 <= len(raw):
		n, least, p = binary.BigEndian.Uint64(raw[p:]), 1<<32, p+8
	default:
		return 0, 0, false // indefinite length, reserved, or cut short
	}
	return n, p, n >= least
}
