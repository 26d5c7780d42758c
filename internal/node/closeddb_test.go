package node

import (
	"sync"
	"testing"
)

// TestStoppableDBReadAfterClose: reads racing Close either see the data or
// find nothing; none panics, and Close closes the database once.
func TestStoppableDBReadAfterClose(t *testing.T) {
	pdb, err := openPebble("blockstore", t.TempDir(), 4<<20, 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	db := &stoppableDB{DB: pdb}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 2000 {
				v, err := db.Get([]byte("k"))
				if err != nil || (v != nil && string(v) != "v") {
					t.Errorf("Get = %q, %v", v, err)
					return
				}
			}
		})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if v, err := db.Get([]byte("k")); v != nil || err != nil {
		t.Fatalf("Get after Close = %q, %v; want nothing", v, err)
	}
	if ok, err := db.Has([]byte("k")); ok || err != nil {
		t.Fatalf("Has after Close = %v, %v", ok, err)
	}
	if _, err := db.Iterator(nil, nil); err == nil {
		t.Fatal("Iterator after Close succeeded")
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
