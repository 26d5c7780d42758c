package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ioc"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// maxEventBytes bounds one MISP event file.
const maxEventBytes = 256 << 20

// mispEvent is the part of a MISP event (MISP core format) the importer
// reads.
type mispEvent struct {
	UUID             string          `json:"uuid"`
	Info             string          `json:"info"`
	Date             string          `json:"date"`
	Timestamp        json.Number     `json:"timestamp"`
	PublishTimestamp json.Number     `json:"publish_timestamp"`
	Distribution     json.Number     `json:"distribution"`
	SharingGroupID   json.Number     `json:"sharing_group_id"`
	Tags             []mispTag       `json:"Tag"`
	Attributes       []mispAttribute `json:"Attribute"`
	Objects          []struct {
		Attributes []mispAttribute `json:"Attribute"`
	} `json:"Object"`
}

type mispTag struct {
	Name string `json:"name"`
}

type mispAttribute struct {
	UUID         string      `json:"uuid"`
	Type         string      `json:"type"`
	Value        string      `json:"value"`
	Comment      string      `json:"comment"`
	Timestamp    json.Number `json:"timestamp"`
	Distribution json.Number `json:"distribution"`
	Tags         []mispTag   `json:"Tag"`
	// ToIDs is MISP's "for detection" flag: an attribute with to_ids false
	// is an observation, not an indicator (absent: an indicator).
	ToIDs *bool `json:"to_ids"`
}

// mispTypes maps MISP attribute types to IOC types ("" = detect ipv4 or
// ipv6). For composite types (a|b) the IOC is the part after "|", except
// for ip|port and domain|ip, where it is the first.
var mispTypes = map[string]string{
	"ip-src": "", "ip-dst": "", "ip-src|port": "", "ip-dst|port": "",
	"domain": "domain", "hostname": "domain", "domain|ip": "domain", "hostname|port": "domain",
	"url": "url", "uri": "url",
	"email": "email", "email-src": "email", "email-dst": "email",
	"md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha512": "sha512",
	"filename|md5": "md5", "filename|sha1": "sha1", "filename|sha256": "sha256", "filename|sha512": "sha512",
}

// tlpTags maps MISP TLP tags to marking-definition ids.
var tlpTags = map[string]string{
	"tlp:white":        tlp.WhiteV1ID,
	"tlp:clear":        tlp.ClearID,
	"tlp:green":        tlp.GreenV1ID,
	"tlp:amber":        tlp.AmberV1ID,
	"tlp:amber+strict": tlp.AmberStrictID,
	"tlp:red":          tlp.RedV1ID,
}

// distributions names MISP distribution levels.
var distributions = map[string]string{
	"0": "organisation", "1": "community", "2": "connected-communities", "3": "all-communities", "4": "sharing-group",
}

// ParseMISPEvent reads one MISP event ({"Event": {...}}, or the event
// object itself as PyMISP writes it) and returns its
// items: one indicator per attribute with an IOC type, then a report
// grouping them.
func ParseMISPEvent(data []byte) ([]Item, error) {
	var doc struct {
		Event *mispEvent `json:"Event"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errs.Errorf(errs.Invalid, "not a MISP event: %v", err)
	}
	if doc.Event == nil { // PyMISP also writes the event without the wrapper
		var bare mispEvent
		if err := json.Unmarshal(data, &bare); err != nil || bare.UUID == "" {
			return nil, errs.Errorf(errs.Invalid, "not a MISP event: no \"Event\" object and no event uuid")
		}
		doc.Event = &bare
	}
	return doc.Event.items(), nil
}

func (e *mispEvent) items() []Item {
	attrs := e.Attributes
	for _, o := range e.Objects {
		attrs = append(attrs, o.Attributes...)
	}
	var items []Item
	var refs []string
	for i, a := range attrs {
		for _, it := range e.attributeItems(a, fmt.Sprintf("event %s attribute %d", clip(e.UUID), i)) {
			if it.Object != nil && !it.Object.IsSCO() {
				refs = append(refs, it.Object.ID)
			}
			items = append(items, it)
		}
	}
	if len(refs) > 0 {
		items = append(items, e.report(refs))
	}
	return items
}

// attributeItems turns one attribute into an indicator (to_ids true, or
// absent) or, for an attribute not meant for detection, into the cyber
// observable it names and an observed-data object that records the sighting
// of it in the event (as MISP's own STIX 2.1 export does).
func (e *mispEvent) attributeItems(a mispAttribute, where string) []Item {
	t, ok := mispTypes[a.Type]
	if !ok {
		return []Item{{Reject: fmt.Sprintf("MISP attribute type %q has no indicator mapping", clip(a.Type)), Where: where}}
	}
	if a.ToIDs == nil || *a.ToIDs {
		return []Item{e.attributeItem(a, t, where)}
	}
	return e.observationItems(a, t, where)
}

// attributeValue is the IOC an attribute carries.
func attributeValue(a mispAttribute, t string) (ioc.IOC, error) {
	value := a.Value
	if l, r, ok := strings.Cut(value, "|"); ok {
		value = r
		if strings.HasSuffix(a.Type, "|port") || a.Type == "domain|ip" {
			value = l
		}
	}
	return ioc.Classify(value, t)
}

func (e *mispEvent) observationItems(a mispAttribute, t, where string) []Item {
	v, err := attributeValue(a, t)
	if err != nil {
		return []Item{{Reject: err.Error(), Where: where}}
	}
	if _, err := uuid.Parse(a.UUID); err != nil {
		return []Item{{Reject: fmt.Sprintf("attribute uuid %q: %v", clip(a.UUID), err), Where: where}}
	}
	labels, markings := e.tags(a.Tags)
	typ, props, id := v.Observable()
	sco := map[string]any{"type": typ, "spec_version": "2.1", "id": id}
	for k, x := range props {
		sco[k] = x
	}
	ts := unixTime(a.Timestamp, e.Timestamp).UTC().Format("2006-01-02T15:04:05.000Z")
	od := map[string]any{"type": "observed-data", "spec_version": "2.1", "id": "observed-data--" + strings.ToLower(a.UUID),
		"created": ts, "modified": ts, "first_observed": ts, "last_observed": ts, "number_observed": 1,
		"object_refs": []string{id}, "x_phalanx_sharing": e.sharing(a.Distribution)}
	if len(labels) > 0 {
		od["labels"] = labels
	}
	if a.Comment != "" {
		od["x_misp_comment"] = a.Comment
	}
	if len(markings) > 0 {
		sco["object_marking_refs"], od["object_marking_refs"] = markings, markings
	}
	private := e.distribution(a.Distribution) == "0"
	var out []Item
	for _, m := range []map[string]any{sco, od} {
		raw, err := marshal(m)
		if err == nil {
			var o *stix.Object
			if o, err = stix.Parse(raw); err == nil {
				out = append(out, Item{Object: o, Where: where, ByID: true, Private: private})
				continue
			}
		}
		return []Item{{Reject: err.Error(), Where: where}}
	}
	return out
}

func (e *mispEvent) attributeItem(a mispAttribute, t, where string) Item {
	v, err := attributeValue(a, t)
	if err != nil {
		return Item{Reject: err.Error(), Where: where}
	}
	if _, err := uuid.Parse(a.UUID); err != nil {
		return Item{Reject: fmt.Sprintf("attribute uuid %q: %v", clip(a.UUID), err), Where: where}
	}
	labels, markings := e.tags(a.Tags)
	extra := map[string]any{"id": "indicator--" + strings.ToLower(a.UUID), "x_phalanx_sharing": e.sharing(a.Distribution)}
	if len(markings) > 0 {
		extra["object_marking_refs"] = markings
	}
	o, err := indicatorOf(v, labels, a.Comment, unixTime(a.Timestamp, e.Timestamp), extra)
	if err != nil {
		return Item{Reject: err.Error(), Where: where}
	}
	return Item{Object: o, Where: where, ByID: true, Private: e.distribution(a.Distribution) == "0"}
}

// tags splits the event's and an attribute's tags into labels and TLP
// markings; an attribute's TLP tag replaces the event's.
func (e *mispEvent) tags(attr []mispTag) ([]string, []string) {
	var labels []string
	marking := ""
	for _, set := range [][]mispTag{e.Tags, attr} {
		for _, t := range set {
			name := strings.ToLower(strings.TrimSpace(t.Name))
			if id, ok := tlpTags[name]; ok {
				marking = id
				continue
			}
			if name != "" && !contains(labels, name) {
				labels = append(labels, name)
			}
		}
	}
	if marking == "" {
		return labels, nil
	}
	return labels, []string{marking}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sharing records the intended distribution (MISP distribution levels 0-4;
// 5 on an attribute inherits the event's) for the sealing work to act on.
// distribution is an attribute's MISP distribution: its own, unless it
// inherits the event's (5, or none).
func (e *mispEvent) distribution(attr json.Number) string {
	if a := string(attr); a != "" && a != "5" {
		return a
	}
	return string(e.Distribution)
}

func (e *mispEvent) sharing(attr json.Number) map[string]any {
	d := e.distribution(attr)
	m := map[string]any{"source": "misp", "misp_distribution": d, "scope": distributions[d]}
	if d == "4" && e.SharingGroupID != "" {
		m["misp_sharing_group_id"] = string(e.SharingGroupID)
	}
	if distributions[d] == "" {
		m["scope"] = "unknown"
	}
	return m
}

func (e *mispEvent) report(refs []string) Item {
	at := unixTime(e.Timestamp, "")
	published := at
	if p := unixTime(e.PublishTimestamp, ""); !p.IsZero() && p.Unix() > 0 {
		published = p
	}
	labels, markings := e.tags(nil)
	name := e.Info
	if name == "" {
		name = "MISP event " + e.UUID
	}
	ts := at.UTC().Format("2006-01-02T15:04:05.000Z")
	m := map[string]any{"type": "report", "spec_version": "2.1", "id": "report--" + strings.ToLower(e.UUID),
		"created": ts, "modified": ts, "name": name, "published": published.UTC().Format("2006-01-02T15:04:05.000Z"),
		"object_refs": refs, "x_phalanx_sharing": e.sharing("")}
	if len(labels) > 0 {
		m["labels"] = labels
	}
	if len(markings) > 0 {
		m["object_marking_refs"] = markings
	}
	where := "event " + clip(e.UUID)
	raw, err := marshal(m)
	if err != nil {
		return Item{Reject: err.Error(), Where: where}
	}
	o, err := stix.Parse(raw)
	if err != nil {
		return Item{Reject: err.Error(), Where: where}
	}
	return Item{Object: o, Where: where, ByID: true}
}

// unixTime reads a MISP timestamp (unix seconds), else fallback's, else
// the epoch.
func unixTime(n json.Number, fallback json.Number) time.Time {
	for _, s := range []json.Number{n, fallback} {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && v > 0 && v < 1<<36 {
			return time.Unix(v, 0).UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

// listSource hands out prepared items; MISP sources use it.
type listSource struct {
	items      []Item
	next       func() ([]Item, error) // loads the next group; io.EOF at the end
	done, todo int64
	closer     io.Closer
}

func (l *listSource) Next() (Item, error) {
	for len(l.items) == 0 {
		if l.next == nil {
			return Item{}, io.EOF
		}
		items, err := l.next()
		if err != nil {
			return Item{}, err
		}
		l.items = items
	}
	it := l.items[0]
	l.items = l.items[1:]
	return it, nil
}

func (l *listSource) Progress() (int64, int64) { return l.done, l.todo }
func (l *listSource) Close() error {
	if l.closer != nil {
		return l.closer.Close()
	}
	return nil
}

func newMISPFileSource(cr *countingReader, c io.Closer) (Source, error) {
	defer c.Close()
	data, err := io.ReadAll(io.LimitReader(bomSkipper(cr), maxEventBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxEventBytes {
		return nil, errs.Errorf(errs.TooLarge, "MISP event larger than %d bytes", maxEventBytes)
	}
	items, err := ParseMISPEvent(data)
	if err != nil {
		return nil, err
	}
	return &listSource{items: items, done: 1, todo: 1}, nil
}

// openFeed reads a MISP feed directory: manifest.json names the events;
// each is in <uuid>.json. Events are read one at a time, in uuid order.
func openFeed(dir string) (Source, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("read MISP feed manifest: %w", err)
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(b, &manifest); err != nil {
		return nil, errs.Errorf(errs.Invalid, "MISP feed manifest.json: %v", err)
	}
	ids := make([]string, 0, len(manifest))
	for id := range manifest {
		if _, err := uuid.Parse(id); err != nil {
			return nil, errs.Errorf(errs.Invalid, "MISP feed manifest.json: %q is not an event uuid", clip(id))
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	l := &listSource{todo: int64(len(ids))}
	l.next = func() ([]Item, error) {
		if int(l.done) >= len(ids) {
			return nil, io.EOF
		}
		id := ids[l.done]
		l.done++
		data, err := os.ReadFile(filepath.Join(dir, id+".json"))
		if err != nil {
			return []Item{{Reject: fmt.Sprintf("event file missing: %v", err), Where: "event " + id}}, nil
		}
		items, err := ParseMISPEvent(data)
		if err != nil {
			return []Item{{Reject: err.Error(), Where: "event " + id}}, nil
		}
		if len(items) == 0 {
			return []Item{{Reject: "event has no attributes", Where: "event " + id}}, nil
		}
		return items, nil
	}
	return l, nil
}
