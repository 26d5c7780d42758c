package detect

import (
	"fmt"
	"testing"
)

// TestHitStrings checks the cached values and ids against the index's own,
// for entries and slots that share a cache place (n and n+hitCacheSize)
// asked for in turn, so that every lookup replaces the previous one.
func TestHitStrings(t *testing.T) {
	x := New(3 * hitCacheSize)
	for i := range 3 * hitCacheSize {
		v := fmt.Sprintf("10.%d.%d.0/24", i>>8, i&255)
		if i%2 == 1 {
			v = fmt.Sprintf("host%d.evil.example", i)
		}
		if err := x.AddValue(valueID(v), v, "t"); err != nil {
			t.Fatal(err)
		}
	}
	var c hitStrings
	for round := range 2 {
		for n := range 2 * hitCacheSize {
			e := (n%2)*hitCacheSize + n/2 // n/2 and n/2+hitCacheSize in turn
			if round == 1 {
				e = 3*hitCacheSize - 1 - e
			}
			if got, want := c.value(x, e), x.keyOf(&x.entries[e]).String(); got != want {
				t.Fatalf("value(%d) = %q, want %q", e, got, want)
			}
			ind := x.entries[e].ind
			if got, want := c.id(x, ind), x.idOf(&x.metas[ind]); got != want {
				t.Fatalf("id(%d) = %q, want %q", ind, got, want)
			}
		}
	}
}
