package audit

import (
	"fmt"
	"testing"
)

// TestKeyFilter: every key added is "maybe" however far the chain grew;
// of keys never added, few are.
func TestKeyFilter(t *testing.T) {
	f := newKeyFilter(100)
	var added [][]byte
	for i := range 5000 { // the chain grows to 100+200+400+800+1600+3200 keys
		added = append(added, fmt.Appendf(nil, "obj/indicator--%08x", i))
	}
	for i := 0; i < len(added); i += 700 {
		f.add(added[i:min(i+700, len(added))])
	}
	if len(f.chain) != 6 {
		t.Fatalf("%d filters in the chain", len(f.chain))
	}
	for _, k := range added {
		if !f.mayHave(k) {
			t.Fatalf("%s added but not found", k)
		}
	}
	maybe := 0
	for i := range 10000 {
		if f.mayHave(fmt.Appendf(nil, "obj/malware--%08x", i)) {
			maybe++
		}
	}
	if maybe > 10000*6/100 { // ~1% a filter, 6 filters
		t.Fatalf("%d of 10,000 keys never added are maybe", maybe)
	}
	if newKeyFilter(100).mayHave(added[0]) {
		t.Fatal("an empty filter has a key")
	}
}
