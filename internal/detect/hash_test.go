package detect

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/extract"
)

// FuzzHashLower checks that hashing a value while lower-casing it gives
// the hash of its lower-case copy, that the suffixes hashed in one pass
// from the end (suffixHashes) get the hashes they get one by one, from
// labelStarts's offsets, that an IPv4 address hashed from its
// value gives the hash of its four key bytes, and that the authority of
// each URL the extractor finds in the input, hashed in place where the
// extractor says it is a bare host, gives the hash of the key
// normURLAuthority makes.
func FuzzHashLower(f *testing.F) {
	for _, s := range []string{"", "a", "Evil.Example", "WWW.GOOGLE.COM.", "http://A.B/c", "hxxp://x..", "ftp://u@h:21/",
		"\x80\xc1@[`{Z", "1.2.3.4", "see HTTP://WWW.Evil.Example./x?y and ftp://...#", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"} {
		f.Add([]byte(s), uint64(7))
	}
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		if got, want := hashLower(seed, b), hashBytes(seed, lower(b, nil)); got != want {
			t.Fatalf("hashLower(%q) = %x, hashBytes of its lower case %x", b, got, want)
		}
		starts := labelStarts(b, []int{0})
		hs, got := suffixHashes(seed, b, 0, len(b), len(b)+1, ^uint64(0), nil, nil)
		if slices.Reverse(got); !slices.Equal(got, starts) {
			t.Fatalf("suffixHashes(%q) hashed from %v, labelStarts %v", b, got, starts)
		}
		for k, i := range got {
			if want := hashLower(seed, b[i:]); hs[len(hs)-1-k] != want {
				t.Fatalf("suffixHashes(%q) from %d = %x, hashLower %x", b, i, hs[len(hs)-1-k], want)
			}
		}
		// Every suffix on a label boundary (the keys a name's parents are
		// looked up as) has the name's last-label word: the gate never
		// drops a name with a parent in the index.
		if w, ok := lastLabelWord(b); ok {
			for _, i := range starts {
				if kw, kok := lastLabelWord(lower(b[i:], nil)); !kok || kw != w {
					t.Fatalf("lastLabelWord(%q) = %x, of its suffix %q %x (%v)", b, w, b[i:], kw, kok)
				}
			}
		}
		if most := len(starts) / 2; most > 0 {
			if hs2, _ := suffixHashes(seed, b, 0, len(b), most, ^uint64(0), nil, nil); !slices.Equal(hs2, hs[:most]) {
				t.Fatalf("suffixHashes(%q) with at most %d labels = %x, want the first of %x", b, most, hs2, hs)
			}
		}
		// In a buffer, after other bytes (dots among them), with only
		// some label counts wanted; and the last-label word read there.
		for _, pre := range []string{"", "x", "a.b.", "........", "long.label.before"} {
			buf := append([]byte(pre), b...)
			want := uint64(0b1010101010)
			hs3, got3 := suffixHashes(seed, buf, len(pre), len(buf), len(b)+1, want, nil, nil)
			rev := slices.Clone(got3)
			if slices.Reverse(rev); !slices.Equal(rev, got) {
				t.Fatalf("suffixHashes(%q after %q) from %v, want %v reversed", b, pre, got3, got)
			}
			for k, i := range got3 {
				w := uint64(0)
				if want&labelBit(k+1) != 0 {
					w = hashLower(seed, b[i:])
				}
				if hs3[k] != w {
					t.Fatalf("suffixHashes(%q after %q)[%d] (from %d) = %x, want %x (counts %b)", b, pre, k, i, hs3[k], w, want)
				}
			}
			w1, ok1 := lastLabelWord(b)
			w2, ok2 := lastLabelWordAt(buf, len(pre), len(buf))
			if w1 != w2 || ok1 != ok2 {
				t.Fatalf("lastLabelWord(%q) = %x, %v; after %q %x, %v", b, w1, ok1, pre, w2, ok2)
			}
		}
		if len(b) >= 4 {
			v := binary.BigEndian.Uint32(b)
			if got, want := hashV4(seed, v), hashBytes(seed, b[:4]); got != want {
				t.Fatalf("hashV4(%x) = %x, hashBytes %x", v, got, want)
			}
		}
		vals, _ := extract.Values(b, 0, nil, 1<<30)
		for _, v := range vals {
			if v.Kind != extract.URL || v.Host == 0 {
				continue
			}
			u := b[v.Off : v.Off+int(v.Len)]
			h, ok := authorityHash(seed, u, int(v.Host))
			a, _, aok := normURLAuthority(u, nil)
			if ok != aok || ok && h != hashBytes(seed, a) {
				t.Fatalf("authorityHash(%q, %d) = %x, %v; normURLAuthority %q, %v (hash %x)", u, v.Host, h, ok, a, aok, hashBytes(seed, a))
			}
		}
	})
}

// TestHashSpreads checks that keys differing in one byte, or only in
// length, hash apart (a broken mix would put them in one slot).
func TestHashSpreads(t *testing.T) {
	seen := map[uint64]string{}
	add := func(b []byte) {
		h := hashBytes(1, b)
		if prev, ok := seen[h]; ok && prev != string(b) {
			t.Fatalf("%q and %q hash alike", prev, b)
		}
		seen[h] = string(b)
	}
	base := []byte("host1234.svc56.benign.example")
	for n := 0; n <= len(base); n++ {
		add(base[:n])
		for i := range n {
			for _, c := range []byte{0, 1, 'A', 'z', 0x80} {
				b := bytes.Clone(base[:n])
				b[i] ^= c | 1
				add(b)
			}
		}
	}
	for v := range uint32(1 << 16) {
		k := [4]byte{byte(v >> 8), 0, byte(v), 7}
		add(k[:])
	}
}

// FuzzLabelStarts checks the word-at-a-time label starts against a loop
// over the bytes.
func FuzzLabelStarts(f *testing.F) {
	for _, s := range []string{"", ".", "a.b", "host1234.svc56.benign.example", "..x..", "a.b.c.d.e.f.g.h.i.j.", "\xae.\x2e"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		want := []int{0}
		for i, c := range d {
			if c == '.' && i+1 < len(d) {
				want = append(want, i+1)
			}
		}
		if got := labelStarts(d, []int{0}); !slices.Equal(got, want) {
			t.Fatalf("labelStarts(%q) = %v, want %v", d, got, want)
		}
	})
}
