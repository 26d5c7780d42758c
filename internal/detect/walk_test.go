package detect

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestWalkV4MatchesProbing checks the IPv4 longest-prefix walk (the filter
// tested for every prefix length first, then the table probed for those
// that pass) against probing every prefix length in turn, longest first,
// on nested and neighbouring blocks of every length and addresses in,
// beside and between them.
func TestWalkV4MatchesProbing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := New(4096)
	var blocks []uint32
	for i := range 3000 {
		n := r.IntN(33)
		if i%3 == 0 {
			n = 8 + r.IntN(25) // nested blocks under a few /8s
		}
		a := r.Uint32()
		if i%3 == 0 {
			a = a&0x00ffffff | uint32(1+r.IntN(4))<<24
		}
		a &^= uint32(uint64(1)<<(32-n) - 1)
		blocks = append(blocks, a)
		addV4Block(t, x, a, n)
	}
	probing := func(v uint32) int {
		for n := 32; n >= 0; n-- {
			if x.v4Lens&(1<<n) == 0 {
				continue
			}
			m := v &^ uint32(uint64(1)<<(32-n)-1)
			kb := [4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
			if e := x.find(key{kind: kIPv4, b: kb[:], bits: uint8(n)}, hashV4(x.seed, m)^kindMix(kIPv4, uint8(n))); e >= 0 {
				return e
			}
		}
		return -1
	}
	hits := 0
	for i := range 200000 {
		v := r.Uint32()
		if i%2 == 0 {
			v = blocks[r.IntN(len(blocks))] + uint32(r.IntN(600)) - 300
		}
		got := -1
		x.walkV4(v, func(e int) { got = e })
		if want := probing(v); got != want {
			t.Fatalf("walkV4(%08x) = entry %d, probing each length finds %d", v, got, want)
		}
		if got >= 0 {
			hits++
		}
	}
	if hits < 10000 {
		t.Fatalf("only %d of the addresses are in a block: the test tests little", hits)
	}
}

// addV4Block indexes the IPv4 block a/n (a bare address when n is 32) as
// a bare value.
func addV4Block(t testing.TB, x *Index, a uint32, n int) {
	t.Helper()
	v := fmt.Sprintf("%d.%d.%d.%d/%d", byte(a>>24), byte(a>>16), byte(a>>8), byte(a), n)
	if n == 32 {
		v = v[:len(v)-3]
	}
	if err := x.AddValue(valueID(v), v, "t"); err != nil {
		t.Fatal(err)
	}
}
