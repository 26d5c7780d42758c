package detect

import (
	"encoding/binary"
	"math/bits"
)

// The index hashes its keys with a small multiply-mix hash of its own
// (wyhash's mum step) rather than hash/maphash, so that the scanner can
// hash a value straight out of the input: lower-casing a domain eight bytes
// at a time as it hashes it (hashLower), and an IPv4 address from its
// 32-bit value (hashV4), without first copying a normalised key. Both give
// exactly what hashBytes gives for the normalised key (hash_test.go checks).
// The seed is random per index.

const (
	hk1 = 0xa0761d6478bd642f
	hk2 = 0xe7037ed1a0b428db
	hk3 = 0x8ebc6af09c88c6e3
)

// mum is the high and low halves of a*b folded together.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hashBytes hashes b: eight bytes at a time from its end, then the 1-7
// bytes at its front, then its length.
func hashBytes(seed uint64, b []byte) uint64 {
	h := seed
	j := len(b)
	for ; j >= 8; j -= 8 {
		h = mum(h^binary.LittleEndian.Uint64(b[j-8:j]), hk1)
	}
	if j > 0 {
		h = mum(h^headWord(b[:j]), hk2)
	}
	return mum(h^uint64(len(b)), hk3)
}

// hashLower is hashBytes of b in ASCII lower case.
func hashLower(seed uint64, b []byte) uint64 {
	h := seed
	j := len(b)
	for ; j >= 8; j -= 8 {
		h = mum(h^lowerWord(binary.LittleEndian.Uint64(b[j-8:j])), hk1)
	}
	if j > 0 {
		h = mum(h^lowerWord(headWord(b[:j])), hk2)
	}
	return mum(h^uint64(len(b)), hk3)
}

// suffixHashes appends to hs the hashLower of each suffix of the name
// d = data[start:end] that starts a label (labelStarts's offsets: 0 and
// after each dot that is not d's last byte), shortest first, and to
// starts their offsets in d, reading d once from its end: the hash folds a
// key's words from its end, so every suffix shares the words of the
// shorter ones (a domain's parents cost one pass, not one each). hs[k] is
// the hash of the suffix of k+1 labels, or 0 (not computed) when want
// (label counts, as dLabels) does not have that count. It stops after most
// labels. It reads the bytes of data before start (eight at a time from
// the end) but ignores them.
func suffixHashes(seed uint64, data []byte, start, end, most int, want uint64, hs []uint64, starts []int) ([]uint64, []int) {
	h := seed
	j := end // data[j:end] is folded into h
	b := end // the dots of data[b:b+8] not yet taken are the high bits of m
	m := uint64(0)
	for labels := 1; labels <= most; labels++ {
		i := start // the next label start, from the end
		for {
			if m != 0 {
				k := (63 - bits.LeadingZeros64(m)) >> 3
				m &^= 0xff << (8 * k)
				i = b + k + 1
				break
			}
			if b <= start {
				break // i = start: d itself
			}
			e := b
			b = e - 8
			var w uint64
			if b >= 0 {
				w = binary.LittleEndian.Uint64(data[b:e])
			} else {
				var tail [8]byte
				copy(tail[-b:], data[:e])
				w = binary.LittleEndian.Uint64(tail[:])
			}
			t := w ^ '.'*lsb
			m = ^((t&low7 + low7) | t | low7) // the high bit of each '.'
			if b < start {
				m &= ^uint64(0) << (8 * (start - b)) // not d's
			}
			if e == end {
				m &^= 0xff << (8 * (end - 1 - b)) // a dot that ends d starts no label
			}
		}
		for j-i >= 8 {
			h = mum(h^lowerWord(binary.LittleEndian.Uint64(data[j-8:j])), hk1)
			j -= 8
		}
		g := uint64(0)
		if want&labelBit(labels) != 0 {
			g = h
			if j > i {
				g = mum(g^lowerWord(headWord(data[i:j])), hk2)
			}
			g = mum(g^uint64(end-i), hk3)
		}
		hs, starts = append(hs, g), append(starts, i-start)
		if i == start {
			break
		}
	}
	return hs, starts
}

// hashV4 is hashBytes of the four bytes of the IPv4 address v (big
// endian, as keys hold it).
func hashV4(seed uint64, v uint32) uint64 {
	le := uint64(bits.ReverseBytes32(v))
	return mum(mum(seed^(le|le<<32), hk2)^4, hk3)
}

// headWord packs 1-7 bytes into a word (wyhash's way: two overlapping
// 4-byte loads, or three single bytes).
func headWord(b []byte) uint64 {
	n := len(b)
	if n >= 4 {
		return uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
	}
	return uint64(b[0])<<16 | uint64(b[n>>1])<<8 | uint64(b[n-1])
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// lowerWord lower-cases the ASCII letters among the eight bytes of w.
func lowerWord(w uint64) uint64 {
	h := w &^ msb
	ge := h + (0x80-'A')*lsb   // high bit: byte >= 'A'
	gt := h + (0x80-'Z'-1)*lsb // high bit: byte > 'Z'
	return w | (ge&^gt&^w&msb)>>2
}

// kindMix folds a key's kind and prefix length into its hash.
func kindMix(k kind, bits uint8) uint64 {
	return (uint64(k)<<8 | uint64(bits)) * 0x9E3779B97F4A7C15
}
