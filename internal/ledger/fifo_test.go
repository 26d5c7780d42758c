package ledger

import "testing"

// TestFIFO: entries are evicted oldest first to keep the total cost within
// the bound, a key's first value is kept, take forgets an entry (and its
// place in the order), and nothing costing more than the bound is held.
func TestFIFO(t *testing.T) {
	c := newFIFO[string](10)
	key := func(i byte) [32]byte { return [32]byte{i} }
	c.put(key(1), "a", 4)
	c.put(key(2), "b", 4)
	c.put(key(1), "a again", 1) // kept: "a"
	if v, ok := c.get(key(1)); !ok || v != "a" {
		t.Fatalf("get(1) = %q, %v; want the first value", v, ok)
	}
	if v, ok := c.take(key(1)); !ok || v != "a" {
		t.Fatalf("take(1) = %q, %v", v, ok)
	}
	if _, ok := c.get(key(1)); ok {
		t.Fatal("a taken entry is still held")
	}
	c.put(key(3), "c", 4)
	c.put(key(4), "d", 4) // 4+4+4 > 10: "b", the oldest left, goes
	if n, cost := c.len(); n != 2 || cost != 8 {
		t.Fatalf("len() = %d entries, cost %d; want 2, 8", n, cost)
	}
	for k, want := range map[byte]bool{2: false, 3: true, 4: true} {
		if _, ok := c.get(key(k)); ok != want {
			t.Errorf("entry %d held: %v, want %v", k, ok, want)
		}
	}
	c.put(key(5), "too big", 11)
	if _, ok := c.get(key(5)); ok {
		t.Fatal("an entry costing more than the bound was held")
	}
	if _, ok := c.take(key(9)); ok {
		t.Fatal("take of an absent key reported a value")
	}
	if n, cost := c.len(); n != 2 || cost != 8 {
		t.Fatalf("after the refused put and absent take: %d entries, cost %d; want 2, 8", n, cost)
	}
}
