package detect

// hitStrings caches the strings that a scanner's hits repeat: the value
// of an index entry (the same CIDR block or parent domain is hit again
// and again) and the id of an indicator, so that a repeated hit neither
// formats nor allocates them. It is direct-mapped, by entry index and by
// indicator slot; neither an entry's key nor a slot's id ever changes once
// made, so a cached string never goes stale.
type hitStrings struct {
	values [hitCacheSize]cachedString
	ids    [hitCacheSize]cachedString
}

// hitCacheSize is the number of strings of each kind kept (48 KiB in all).
const hitCacheSize = 1024

type cachedString struct {
	ref uint32 // entry index or indicator slot, plus one; 0: empty
	s   string
}

// value is the text of entry e's key (key.String).
func (c *hitStrings) value(x *Index, e int) string {
	slot := &c.values[e%hitCacheSize]
	if slot.ref != uint32(e)+1 {
		slot.ref, slot.s = uint32(e)+1, x.keyOf(&x.entries[e]).String()
	}
	return slot.s
}

// id is the id of the indicator in slot ind.
func (c *hitStrings) id(x *Index, ind uint32) string {
	slot := &c.ids[ind%hitCacheSize]
	if slot.ref != ind+1 {
		slot.ref, slot.s = ind+1, x.idOf(&x.metas[ind])
	}
	return slot.s
}
