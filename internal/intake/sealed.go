package intake

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/seal"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// Address says whom a publish is for. The zero Address publishes by the
// objects' own markings: CLEAR and GREEN in plaintext to everyone.
type Address struct {
	// To are member ids to seal for.
	To []string
	// Group is a sharing group (on the ledger) to seal for.
	Group string
	// TLP, when set, is the level of objects that carry no TLP marking and
	// the least level of those that do.
	TLP tlp.Level
}

// Directory is what sealing reads of the committed ledger: members' keys
// and sharing groups.
type Directory interface {
	Members() []ledger.Member
	Group(name string) (ledger.Group, bool, error)
	ActiveGroupMembers(g ledger.Group) []string
}

// levelOf is the TLP level an object is published at.
// Level is the TLP level o is published at without an address: its
// most restrictive TLP marking, or the member's default. Objects above
// GREEN need recipients (PublishTo).
func (s *Service) Level(o *stix.Object) (tlp.Level, error) { return s.levelOf(o, Address{}), nil }

func (s *Service) levelOf(o *stix.Object, a Address) tlp.Level {
	def := s.cfg.DefaultTLP
	if a.TLP != 0 {
		def = a.TLP
	}
	return max(tlp.OfRefs(o.Markings, def), a.TLP)
}

// PublishTo validates a STIX bundle or object and publishes it as
// addressed: objects at AMBER or above, and every object when the publish
// names recipients or a group, are sealed on this node for the
// recipients' current keys (and this member's own); the rest go in
// plaintext. Content above GREEN with nobody to seal for is refused, as is
// an unknown or empty group: nothing is ever widened.
func (s *Service) PublishTo(ctx context.Context, body []byte, a Address) ([]Submission, error) {
	objs, err := stix.ParseInput(body)
	if err != nil {
		return nil, errs.Errorf(errs.Invalid, "%v", err)
	}
	if err := checkPatterns(objs); err != nil {
		return nil, err
	}
	addressed := len(a.To) > 0 || a.Group != ""
	var plain, sealed []*stix.Object
	var levels []tlp.Level
	for _, o := range objs {
		l := s.levelOf(o, a)
		if !addressed && !l.Sealed() {
			plain = append(plain, o)
			continue
		}
		if !addressed {
			return nil, errs.Errorf(errs.Invalid, "object %s is TLP:%v: say whom it is for (to or group); content above TLP:GREEN is sealed for its recipients only", o.ID, l)
		}
		sealed, levels = append(sealed, o), append(levels, l)
	}
	var subs []Submission
	if len(sealed) > 0 {
		keys, err := s.recipients(a)
		if err != nil {
			return nil, err
		}
		if subs, err = s.publishSealed(ctx, sealed, levels, keys, a.Group); err != nil {
			return subs, err
		}
	}
	if len(plain) > 0 {
		more, err := s.publishPlain(ctx, plain)
		subs = append(subs, more...)
		if err != nil {
			return subs, err
		}
	}
	return subs, nil
}

// recipients resolves an address to the members' current sealing keys:
// the named members, the group's active members, and this member.
func (s *Service) recipients(a Address) ([]seal.Key, error) {
	dir := s.cfg.Directory
	if dir == nil {
		return nil, errs.Errorf(errs.Unavailable, "this node cannot seal: no member directory")
	}
	self := s.Identity().Member
	want := append([]string{self}, a.To...)
	if a.Group != "" {
		g, ok, err := dir.Group(a.Group)
		if err != nil {
			return nil, fmt.Errorf("read group %s: %w", a.Group, err)
		}
		if !ok {
			return nil, errs.Errorf(errs.Invalid, "sharing group %q does not exist; nothing was published", a.Group)
		}
		active := dir.ActiveGroupMembers(g)
		if len(active) == 0 {
			return nil, errs.Errorf(errs.Invalid, "sharing group %q has no active member; nothing was published", a.Group)
		}
		want = append(want, active...)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	byID := map[string]ledger.Member{}
	for _, m := range dir.Members() {
		byID[m.ID] = m
	}
	keys := make([]seal.Key, 0, len(want))
	for _, id := range want {
		m, ok := byID[id]
		if !ok || m.Status != ledger.StatusActive {
			return nil, errs.Errorf(errs.Invalid, "recipient %q is not an active member; nothing was published", id)
		}
		keys = append(keys, seal.Key{Member: id, Public: m.SealKey})
	}
	return keys, nil
}

// publishSealed seals each object and submits them in TypeSealed
// transactions under the ledger's limits.
func (s *Service) publishSealed(ctx context.Context, objs []*stix.Object, levels []tlp.Level, keys []seal.Key, group string) ([]Submission, error) {
	self := s.Identity().Member
	p := s.cfg.Ledger.Params()
	budget := p.MaxTxBytes - 4096
	perTx := min(int64(s.cfg.BatchSize), p.MaxObjectsPerTx)
	var subs []Submission
	var cur [][]byte
	var ids []string
	var size int64
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		sub, err := s.submitItems(ctx, tx.TypeSealed, cur, ids)
		subs = append(subs, sub)
		cur, ids, size = nil, nil, 0
		return err
	}
	for i, o := range objs {
		if int64(len(o.Raw)) > p.MaxObjectBytes {
			return subs, errs.Errorf(errs.TooLarge, "object %d (%s) is %d bytes; the limit is %d", i, o.ID, len(o.Raw), p.MaxObjectBytes)
		}
	}
	sealed, err := sealAll(objs, levels, keys, self, group)
	if err != nil {
		return subs, err
	}
	for i, o := range objs {
		raw := sealed[i]
		n := int64(len(raw)) + 8
		if n > budget {
			return subs, errs.Errorf(errs.TooLarge, "object %s sealed for %d recipients is %d bytes; the transaction limit is %d", o.ID, len(keys), n, p.MaxTxBytes)
		}
		if len(cur) > 0 && (int64(len(cur)) >= perTx || size+n > budget) {
			if err := flush(); err != nil {
				return subs, err
			}
		}
		cur, ids, size = append(cur, raw), append(ids, o.ID), size+n
	}
	return subs, flush()
}

// sealAll seals every object for keys with one Sealer (one HPKE wrap per
// recipient for the whole publish), on as many goroutines as there are
// CPUs.
func sealAll(objs []*stix.Object, levels []tlp.Level, keys []seal.Key, author, group string) ([][]byte, error) {
	s, err := seal.NewSealer(keys)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(objs))
	errs := make([]error, len(objs))
	workers := min(runtime.GOMAXPROCS(0), len(objs))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(objs); i += workers {
				o := objs[i]
				e, err := s.Seal(seal.Meta{ID: o.ID, Modified: o.Version(), Author: author, Level: uint8(levels[i]), Group: group}, o.Raw)
				if err == nil {
					out[i], err = e.Encode()
				}
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("seal object %d: %w", i, err)
		}
	}
	return out, nil
}

// ChangeGroup submits a sharing-group change signed by this member.
func (s *Service) ChangeGroup(ctx context.Context, op ledger.GroupOp) (Submission, error) {
	payload, err := tx.EncodePayload(op)
	if err != nil {
		return Submission{}, err
	}
	return s.submitPayload(ctx, tx.TypeGroup, payload, nil)
}

// Withdraw submits the withdrawal of a sealed record this member wrote.
func (s *Service) Withdraw(ctx context.Context, id, version string) (Submission, error) {
	payload, err := tx.EncodePayload(ledger.Withdraw{ID: id, Version: version})
	if err != nil {
		return Submission{}, err
	}
	return s.submitPayload(ctx, tx.TypeWithdraw, payload, []string{id})
}
