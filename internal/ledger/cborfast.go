package ledger

import "encoding/binary"

// The two values every published object writes, its record and (for a new
// id) its owner, are encoded here by hand instead of through cborEnc's
// reflection: the same canonical CBOR (RFC 8949 core deterministic, as
// cbor.CoreDetEncOptions writes it: a map with integer keys in ascending
// order, shortest heads, a nil byte string as null, omitempty fields left
// out when empty), byte for byte, which TestFastCBORMatchesLibrary checks.
// Any other type still goes through mustEncode.

// encodeRecord is mustEncode(s).
func encodeRecord(s storedRecord) []byte {
	n := 8
	if len(s.Sealed) > 0 {
		n++
	}
	b := make([]byte, 0, 64+len(s.TxHash)+len(s.Author)+len(s.ObjectID)+len(s.Type)+len(s.Modified)+len(s.Object)+len(s.Sealed))
	b = cborHead(b, cborMap, uint64(n))
	b = cborInt(append(b, 1), s.Height)
	b = cborInt(append(b, 2), s.TimeNano)
	b = cborBytes(append(b, 3), s.TxHash)
	b = cborText(append(b, 4), s.Author)
	b = cborText(append(b, 5), s.ObjectID)
	b = cborText(append(b, 6), s.Type)
	b = cborText(append(b, 7), s.Modified)
	b = cborBytes(append(b, 8), s.Object)
	if len(s.Sealed) > 0 {
		b = cborBytes(append(b, 9), s.Sealed)
	}
	return b
}

// encodeOwner is mustEncode(o).
func encodeOwner(o owner) []byte {
	n := 3
	if o.Sealed {
		n++
	}
	b := make([]byte, 0, 16+len(o.Author)+len(o.Type)+len(o.Created))
	b = cborHead(b, cborMap, uint64(n))
	b = cborText(append(b, 1), o.Author)
	b = cborText(append(b, 2), o.Type)
	b = cborText(append(b, 3), o.Created)
	if o.Sealed {
		b = append(b, 4, cborTrue)
	}
	return b
}

// CBOR major types and simple values used above.
const (
	cborUint  = 0 << 5
	cborNeg   = 1 << 5
	cborBstr  = 2 << 5
	cborTstr  = 3 << 5
	cborMap   = 5 << 5
	cborTrue  = 0xf5
	cborNull  = 0xf6
	cborOneB  = 24 // the head's argument follows in 1, 2, 4 or 8 bytes
	cborTwoB  = 25
	cborFourB = 26
	cborEight = 27
)

// cborHead appends the shortest head of major type major with argument n.
func cborHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < cborOneB:
		return append(b, major|byte(n))
	case n <= 0xff:
		return append(b, major|cborOneB, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, major|cborTwoB), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, major|cborFourB), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, major|cborEight), n)
}

func cborInt(b []byte, v int64) []byte {
	if v < 0 {
		return cborHead(b, cborNeg, uint64(-1-v))
	}
	return cborHead(b, cborUint, uint64(v))
}

func cborBytes(b, v []byte) []byte {
	if v == nil {
		return append(b, cborNull)
	}
	return append(cborHead(b, cborBstr, uint64(len(v))), v...)
}

func cborText(b []byte, s string) []byte {
	return append(cborHead(b, cborTstr, uint64(len(s))), s...)
}
