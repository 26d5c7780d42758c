package audit

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// TestScratchAsOneStore: the scratch state answers reads exactly as one
// ordered store would (ledger.MemKV), for keys on either side of and
// inside rec/, and ranges across the two databases.
func TestScratchAsOneStore(t *testing.T) {
	s, err := OpenScratch(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref := ledger.NewMemKV()
	rng := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"mem/", "meta/", "re", "rec", "rec/", "rec0", "rec/\xff", "ver/", "\xff"}
	key := func() []byte {
		return fmt.Appendf(nil, "%s%03d", prefixes[rng.IntN(len(prefixes))], rng.IntN(200))
	}
	for range 20 {
		var pairs []ledger.Pair
		for range 50 {
			pairs = append(pairs, ledger.Pair{Key: key(), Value: fmt.Appendf(nil, "v%d", rng.IntN(1000))})
		}
		pairs = append(pairs, pairs[0]) // a key written twice: the last wins
		pairs[len(pairs)-1].Value = []byte("last")
		for _, kv := range []ledger.KV{s, ref} {
			if err := kv.Write(pairs); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 200 {
		k := key()
		got, err := s.Get(k)
		want, _ := ref.Get(k)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("get %q: %q %v, want %q", k, got, err, want)
		}
	}
	dump := func(kv ledger.KV, start, end []byte) []string {
		var out []string
		if err := kv.Iterate(start, end, func(k, v []byte) error {
			out = append(out, string(k)+"="+string(v))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	bounds := [][]byte{nil, []byte(""), []byte("m"), []byte("re"), []byte("rec/"), []byte("rec/050"), []byte("rec0"), []byte("rec00"), []byte("z")}
	for _, lo := range bounds[1:] {
		for _, hi := range bounds {
			if hi != nil && bytes.Compare(lo, hi) > 0 {
				continue
			}
			got, want := dump(s, lo, hi), dump(ref, lo, hi)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("iterate [%q, %q): %d keys %v\nwant %d %v", lo, hi, len(got), got, len(want), want)
			}
		}
	}
}
