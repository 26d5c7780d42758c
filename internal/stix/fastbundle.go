package stix

import "bytes"

// This file is ParseInput's fast path for a bundle. Its safety rule is the
// object fast path's: it only ever accepts. Each object of the bundle goes
// through the object fast path, and one that path declines is decoded as
// the general path decodes it and built by build, as the general path
// builds it. Anything else — an envelope property other than type, id,
// spec_version and objects, any JSON problem, an envelope checkBundle
// rejects, any object build rejects — makes it decline, and the general
// path runs from the start, so errors (and which of several is reported)
// are the general path's alone.

// bundleItem is one element of a bundle's objects on the fast path.
type bundleItem struct {
	obj        *Object // accepted by the object fast path
	v          any     // otherwise, the element decoded as the general path decodes it
	start, end int     // the element's bytes in the input
}

// parseBundleFast returns the objects of a bundle as ParseInput does, or
// nil when it declines.
func parseBundleFast(data []byte) []*Object {
	d := decoder{data: data}
	d.skipSpace()
	if d.pos >= len(data) || data[d.pos] != '{' {
		return nil
	}
	d.pos++
	d.depth = 1
	env := make(map[string]any, 4) // the envelope as checkBundle reads it
	var items []bundleItem
	for {
		d.skipSpace()
		if d.pos >= len(data) || data[d.pos] != '"' {
			return nil
		}
		k, _, err := d.scanStr()
		if err != nil {
			return nil
		}
		if _, dup := env[k]; dup {
			return nil
		}
		d.skipSpace()
		if d.pos >= len(data) || data[d.pos] != ':' {
			return nil
		}
		d.pos++
		d.skipSpace()
		switch k {
		case "objects":
			var ok bool
			if items, ok = bundleItems(&d); !ok {
				return nil
			}
			env[k] = make([]any, len(items))
		case "type", "id", "spec_version":
			if d.pos >= len(data) || data[d.pos] != '"' {
				return nil
			}
			v, _, err := d.scanStr()
			if err != nil || (k == "type" && v != "bundle") {
				return nil
			}
			env[k] = v
		default:
			return nil
		}
		d.skipSpace()
		if d.pos >= len(data) {
			return nil
		}
		if data[d.pos] == '}' {
			d.pos++
			break
		}
		if data[d.pos] != ',' {
			return nil
		}
		d.pos++
	}
	d.skipSpace()
	if d.pos != len(data) || env["type"] != "bundle" {
		return nil
	}
	if _, verr := checkBundle(env); verr != nil {
		return nil
	}
	return buildItems(data, items, d.spaced)
}

// bundleItems decodes the bundle's objects array at d.pos.
func bundleItems(d *decoder) ([]bundleItem, bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '[' {
		return nil, false
	}
	d.pos++
	d.depth = 2
	var items []bundleItem
	for {
		d.skipSpace()
		it := bundleItem{start: d.pos}
		if d.pos < len(d.data) && d.data[d.pos] == '{' {
			if end := objectEnd(d.data, d.pos); end > 0 {
				var spaced bool
				it.obj, spaced = parseFastAt(d.data, d.pos, end)
				if it.obj != nil {
					d.pos, d.spaced = end, d.spaced || spaced
				}
			}
		}
		if it.obj == nil {
			d.pos, d.depth = it.start, 2
			v, err := d.value()
			if err != nil {
				return nil, false
			}
			it.v = v
		}
		it.end = d.pos
		items = append(items, it)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth = 1
			return items, true
		default:
			return nil, false
		}
	}
}

// buildItems builds the objects the object fast path did not.
func buildItems(data []byte, items []bundleItem, spaced bool) []*Object {
	objs := make([]*Object, len(items))
	for i, it := range items {
		if it.obj != nil {
			objs[i] = it.obj
			continue
		}
		m, ok := it.v.(map[string]any)
		if !ok {
			return nil
		}
		raw := data[it.start:it.end]
		if spaced {
			raw = compacted(raw)
		} else {
			raw = bytes.Clone(raw)
		}
		o, err := build(m, raw, i)
		if err != nil {
			return nil
		}
		objs[i] = o
	}
	return objs
}

// parseFastAt runs the object fast path on the object data[start:end], an
// element of a bundle's objects (nested as deep as the general decoder
// finds it there). spaced reports whether the object has whitespace
// outside strings.
func parseFastAt(data []byte, start, end int) (o *Object, spaced bool) {
	var f fastParser
	f.d = decoder{data: data, pos: start}
	f.depth, f.textStart, f.textEnd = 3, start, end
	if !f.object() || f.d.pos != end {
		return nil, false
	}
	return f.build(data[start:end]), f.d.spaced
}

// objectEnd returns the index just after the JSON object or array opening
// at data[i], matching brackets outside strings, or -1 when it does not
// close. It does not check the JSON in between.
func objectEnd(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			i = stringEnd(data, i)
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}
