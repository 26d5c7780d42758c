package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// existing is what the ledger already holds of an object: its author and
// versions.
type existing struct {
	author   string
	versions map[string]bool
}

func (s *Server) postObjects(w http.ResponseWriter, r *http.Request, req *request) error {
	c, err := s.collection(r, req)
	if err != nil {
		return err
	}
	if !c.CanWrite {
		return errs.Errorf(errs.Forbidden, "collection %s does not accept objects from this caller", c.ID)
	}
	if err := checkContentType(r); err != nil {
		return err
	}
	raws, err := s.readEnvelope(w, r)
	if err != nil {
		return err
	}
	items, objs, err := s.triage(r.Context(), raws)
	if err != nil {
		return err
	}
	s.submit(r.Context(), items, objs)
	id := uuid.NewString()
	at := s.now().UTC()
	if err := s.statuses.create(r.Context(), id, req.caller.TokenID, at, items); err != nil {
		return err
	}
	if items, err = s.resolve(r.Context(), id, at, items); err != nil {
		return err
	}
	writeTAXII(w, http.StatusAccepted, statusOf(id, at, items))
	return nil
}

// readEnvelope reads a POST body: an envelope whose objects are returned
// raw. Bodies above max_content_length are refused with 413.
func (s *Server) readEnvelope(w http.ResponseWriter, r *http.Request) ([]json.RawMessage, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxContentLength))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, errs.Errorf(errs.TooLarge, "body larger than max_content_length %d bytes", s.cfg.MaxContentLength)
	}
	if err != nil {
		return nil, errs.Errorf(errs.Invalid, "read body: %v", err)
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return nil, errs.Errorf(errs.Invalid, "body is not a TAXII envelope: %v", err)
	}
	if dec.More() {
		return nil, errs.Errorf(errs.Invalid, "body is not a TAXII envelope: data after the JSON object")
	}
	if len(env.Objects) == 0 {
		return nil, errs.Errorf(errs.Invalid, "envelope holds no objects")
	}
	return env.Objects, nil
}

// triage validates each posted object and checks it against the ledger:
// invalid ones, versions already there and objects of another member
// become failures or successes at once, so one bad object does not sink
// the transaction of the others. It returns one item per posted object
// and the objects to submit (their items are left pending, tx unset).
func (s *Server) triage(ctx context.Context, raws []json.RawMessage) ([]statusItem, []*stix.Object, error) {
	items := make([]statusItem, len(raws))
	parsed := make([]*stix.Object, len(raws))
	var ids []string
	for i, raw := range raws {
		o, err := stix.Parse(raw)
		if err != nil {
			id, version := idOf(raw)
			items[i] = statusItem{object: id, version: version, state: stateFailure, message: "invalid STIX 2.1: " + err.Error()}
			continue
		}
		if l, err := s.cfg.Publisher.Level(o); err != nil || l.Sealed() {
			msg := fmt.Sprintf("TLP:%v content is sealed for its recipients, and TAXII cannot name them: publish it with `phalanx publish --to/--group` or POST /v1/objects?to=…", l)
			if err != nil {
				msg = "marking: " + err.Error()
			}
			items[i] = statusItem{object: o.ID, version: o.Version(), state: stateFailure, message: msg}
			continue
		}
		parsed[i] = o
		items[i] = statusItem{object: o.ID, version: o.Version(), state: statePending}
		ids = append(ids, o.ID)
	}
	have, err := s.lookup(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var objs []*stix.Object
	for i, o := range parsed {
		if o == nil {
			continue
		}
		key := o.ID + "\x00" + o.Version()
		e := have[o.ID]
		switch {
		case seen[key]:
			items[i].state, items[i].message = stateFailure, "posted twice in this envelope"
		case e != nil && e.author != s.cfg.Member:
			items[i].state, items[i].message = stateFailure, "object belongs to member "+e.author+"; only its author may version it"
		case e != nil && e.versions[o.Version()]:
			items[i].state, items[i].message = stateSuccess, "already on the ledger"
		default:
			objs = append(objs, o)
			items[i].tx = fmt.Sprint(len(objs) - 1) // position until submitted
		}
		seen[key] = true
	}
	return items, objs, nil
}

// lookup returns what the ledger holds of the given ids, every version,
// regardless of the caller's scope (it decides duplicates, not reads).
func (s *Server) lookup(ctx context.Context, ids []string) (map[string]*existing, error) {
	have := map[string]*existing{}
	for start := 0; start < len(ids); start += maxMatchVals {
		q := projection.ListQuery{IDs: ids[start:min(start+maxMatchVals, len(ids))], Versions: projection.VersionMatch{All: true}, Limit: MaxPageSize}
		for {
			p, err := s.cfg.Reader.List(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("look up posted ids: %w", err)
			}
			for _, v := range p.Items {
				e := have[v.ID]
				if e == nil {
					e = &existing{author: v.Author, versions: map[string]bool{}}
					have[v.ID] = e
				}
				e.versions[v.Version] = true
			}
			if !p.More {
				break
			}
			q.After, q.HasAfter = p.Last, true
		}
	}
	return have, nil
}

// submit publishes objs and records each pending item's transaction; a
// submission the mempool refused fails its items.
func (s *Server) submit(ctx context.Context, items []statusItem, objs []*stix.Object) {
	if len(objs) == 0 {
		return
	}
	subs, err := s.cfg.Publisher.PublishObjects(ctx, objs)
	txOf := make([]string, len(objs))
	msgOf := make([]string, len(objs))
	n := 0
	for _, sub := range subs {
		for range sub.Objects {
			if n < len(objs) {
				txOf[n] = sub.TxHash
				if sub.Code != 0 {
					msgOf[n] = "refused by the mempool: " + sub.Codename + ": " + sub.Log
				}
			}
			n++
		}
	}
	for i := range items {
		if items[i].state != statePending {
			continue
		}
		var pos int
		fmt.Sscan(items[i].tx, &pos)
		switch {
		case txOf[pos] == "":
			items[i].tx, items[i].state = "", stateFailure
			items[i].message = "not submitted: " + errs.MessageOf(err)
		case msgOf[pos] != "":
			items[i].tx, items[i].state, items[i].message = txOf[pos], stateFailure, msgOf[pos]
		default:
			items[i].tx = txOf[pos]
		}
	}
}

// idOf returns the id and version (modified, else created) an object
// that failed to parse claims, as far as they can be read.
func idOf(raw json.RawMessage) (string, string) {
	var o struct {
		ID       string `json:"id"`
		Created  string `json:"created"`
		Modified string `json:"modified"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return "", ""
	}
	v := o.Modified
	if v == "" {
		v = o.Created
	}
	return clip(o.ID), clip(v)
}

// deleteObject revokes an object: on a ledger nothing is erased, so DELETE
// publishes a new version with revoked set. Only the object's author (this
// node's member) may do so; SCOs, which have no versions, cannot be
// revoked. match[version] must name versions the object has.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, req *request) error {
	c, err := s.collection(r, req)
	if err != nil {
		return err
	}
	if !c.CanWrite {
		return errs.Errorf(errs.Forbidden, "collection %s does not accept changes from this caller", c.ID)
	}
	p, err := s.objectPage(r, req, false, "match[version]", "match[spec_version]")
	if err != nil {
		return err
	}
	if len(p.Items) == 0 {
		return errs.Errorf(errs.NotFound, "no version of %s matches the filters", r.PathValue("object"))
	}
	latest, err := s.latest(r.Context(), p.Items[0].ID)
	if err != nil {
		return err
	}
	if err := s.revoke(r.Context(), latest); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) latest(ctx context.Context, id string) (projection.Version, error) {
	p, err := s.cfg.Reader.List(ctx, projection.ListQuery{IDs: []string{id}, Limit: 1})
	if err != nil {
		return projection.Version{}, err
	}
	if len(p.Items) == 0 {
		return projection.Version{}, errs.Errorf(errs.NotFound, "no object %s", id)
	}
	return p.Items[0], nil
}

func (s *Server) revoke(ctx context.Context, v projection.Version) error {
	switch {
	case v.Author != s.cfg.Member:
		return errs.Errorf(errs.Forbidden, "object %s belongs to member %s; only its author may revoke it", v.ID, v.Author)
	case v.Version == "":
		return errs.Errorf(errs.Rejected, "object %s is a cyber-observable without versions; it cannot be revoked", v.ID)
	case v.Revoked:
		return nil
	}
	o, err := revokedVersion(v, s.now())
	if err != nil {
		return err
	}
	subs, err := s.cfg.Publisher.PublishObjects(ctx, []*stix.Object{o})
	if err != nil {
		return fmt.Errorf("publish revocation of %s: %w", v.ID, err)
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.DeleteTimeout)
	defer cancel()
	for _, sub := range subs {
		if sub.Code != 0 {
			return errs.Errorf(errs.Rejected, "revocation of %s refused: %s: %s", v.ID, sub.Codename, sub.Log)
		}
		out, err := s.cfg.Publisher.Wait(wctx, sub.TxHash)
		if err != nil {
			return errs.Errorf(errs.Unavailable, "revocation of %s not committed yet (transaction %s): %v", v.ID, sub.TxHash, err)
		}
		if out.Code != 0 {
			return errs.Errorf(errs.Rejected, "revocation of %s rejected: %s: %s", v.ID, out.Codename, out.Log)
		}
	}
	return nil
}

// revokedVersion is v's object with revoked set and modified moved to now
// (at least one millisecond after the current version).
func revokedVersion(v projection.Version, now time.Time) (*stix.Object, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(v.Object))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", v.ID, err)
	}
	mod := now.UTC().Truncate(time.Millisecond)
	if cur, err := time.Parse(time.RFC3339Nano, v.Version); err == nil && !mod.After(cur) {
		mod = cur.Add(time.Millisecond).Truncate(time.Millisecond)
	}
	m["revoked"] = true
	m["modified"] = mod.Format("2006-01-02T15:04:05.000Z")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep a pattern's "<" as the author wrote it
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode revocation of %s: %w", v.ID, err)
	}
	o, err := stix.Parse(bytes.TrimSpace(buf.Bytes()))
	if err != nil {
		return nil, errs.Errorf(errs.Rejected, "revocation of %s: %v", v.ID, err)
	}
	return o, nil
}
