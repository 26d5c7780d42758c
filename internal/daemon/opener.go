package daemon

import (
	"crypto/ecdh"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/seal"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// opener opens the sealed records addressed to this node's member before
// they reach the projection, with the member's current sealing key or any
// retired one (keys/retired/). Records it may not or cannot open keep an
// empty Object: the projection only advances past them.
type opener struct {
	dir       string
	member    string
	withdrawn func(id, version string) (bool, error)

	mu   sync.Mutex
	keys []*ecdh.PrivateKey // current first, then retired
}

func newOpener(dir, member string, withdrawn func(id, version string) (bool, error)) *opener {
	return &opener{dir: dir, member: member, withdrawn: withdrawn}
}

// problem is why a sealed record addressed to us was not projected. Its
// text never includes plaintext.
type problem struct {
	index uint64
	id    string
	why   string
}

// open returns recs with every sealed record this member may read opened
// into Object (and Access set); plaintext records get their Access too.
// recs itself is not modified.
func (o *opener) open(recs []record.Record) ([]record.Record, []problem) {
	out := slices.Clone(recs)
	sets := &setKeys{m: map[string][]byte{}}
	defer sets.forget()
	whys := make([]string, len(out))
	workers := min(runtime.GOMAXPROCS(0), len(out))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(out); i += workers {
				if r := &out[i]; r.Sealed != nil {
					r.Object, r.Parsed = nil, nil // never trust a caller-filled Object for a sealed record
					whys[i] = o.openOne(r, sets)
				}
			}
		})
	}
	wg.Wait()
	var probs []problem
	for i, why := range whys {
		if why != "" {
			probs = append(probs, problem{index: out[i].Index, id: out[i].ObjectID, why: why})
		}
	}
	return out, probs
}

func (o *opener) openOne(r *record.Record, sets *setKeys) string {
	e, err := seal.Decode(r.Sealed)
	if err != nil {
		return "undecodable envelope"
	}
	h := &e.Header
	if !h.Has(o.member) {
		return "" // not for us: nothing to report
	}
	if gone, err := o.withdrawn(h.ID, h.Modified); err != nil || gone {
		if err != nil {
			return "cannot read the withdrawal state"
		}
		return ""
	}
	pt, err := o.openWithKeys(e, sets)
	if err != nil {
		if errors.Is(err, seal.ErrTampered) {
			return "altered: it does not authenticate with this member's key"
		}
		return "sealed to a key this node does not hold"
	}
	obj, err := stix.Parse(pt)
	if err != nil {
		return "the opened content is not valid STIX"
	}
	if obj.ID != h.ID || obj.Version() != h.Modified {
		return "the opened object's id or version differs from its header"
	}
	lvl, err := tlp.Of(pt, tlp.Level(h.Level))
	if err != nil {
		return "unreadable markings"
	}
	r.Object, r.Parsed = obj.Raw, obj
	r.Access = &record.Access{Level: uint8(max(lvl, tlp.Level(h.Level))), Recipients: h.Members(), Group: h.Group}
	return ""
}

// setKeys holds the set keys unwrapped while opening one batch of
// records, by stanza: records sealed together share one, so a batch costs
// one public-key operation per set. They are forgotten when the batch is
// done; no key outlives the opening.
type setKeys struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *setKeys) get(stanza []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[string(stanza)]
}

func (s *setKeys) put(stanza, key []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[string(stanza)] = key
}

func (s *setKeys) forget() {
	for k, v := range s.m {
		clear(v)
		delete(s.m, k)
	}
}

// openWithKeys opens e with a set key already unwrapped in this batch, or
// unwraps it with the cached member keys, reloading them once from disk
// when none fits (a rotation may have retired the current key).
func (o *opener) openWithKeys(e *seal.Envelope, sets *setKeys) ([]byte, error) {
	i := slices.Index(e.Header.Members(), o.member)
	if i < 0 {
		return nil, seal.ErrNotRecipient
	}
	stanza := append(append([]byte(nil), e.Stanzas[i]...), e.Header.RecipientCommit...) // the key is bound to both
	if k := sets.get(stanza); k != nil {
		return seal.OpenWith(e, k)
	}
	ks, err := o.cachedKeys(false)
	if err != nil {
		return nil, err
	}
	setKey, err := seal.Unwrap(e, o.member, ks)
	if errors.Is(err, seal.ErrNotRecipient) {
		if ks, err = o.cachedKeys(true); err != nil {
			return nil, err
		}
		setKey, err = seal.Unwrap(e, o.member, ks)
	}
	if err != nil {
		return nil, err
	}
	pt, err := seal.OpenWith(e, setKey)
	if err == nil {
		sets.put(stanza, setKey) // only a key that opened a record is reused
	} else {
		clear(setKey)
	}
	return pt, err
}

// cachedKeys returns the member's keys, reading them when not yet read or
// when reload is set.
func (o *opener) cachedKeys(reload bool) ([]*ecdh.PrivateKey, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.keys == nil || reload {
		if err := o.load(); err != nil {
			return nil, err
		}
	}
	return o.keys, nil
}

// load reads the current key file and every retired one.
func (o *opener) load() error {
	cur, err := keys.Load(filepath.Join(o.dir, KeyFile))
	if err != nil {
		return err
	}
	ks := []*ecdh.PrivateKey{cur.Seal}
	entries, err := os.ReadDir(filepath.Join(o.dir, retiredDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read retired keys: %w", err)
	}
	for _, e := range entries {
		old, err := keys.Load(filepath.Join(o.dir, retiredDir, e.Name()))
		if err != nil {
			return fmt.Errorf("retired key %s: %w", e.Name(), err)
		}
		ks = append(ks, old.Seal)
	}
	o.keys = ks
	return nil
}
