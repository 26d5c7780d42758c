package apitest

import (
	"context"
	"fmt"
	"slices"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

var _ api.Sharing = (*SharingBackend)(nil)

// SharingBackend is a Backend with the api.Sharing capability: it keeps
// sharing groups and records each addressed publish. It seals nothing
// (content is stored as sent); it refuses, like the node, content above
// GREEN with nobody named and recipients or groups it does not know.
type SharingBackend struct {
	*Backend
	groups []ledger.Group
	// Addresses are the addresses of the PublishTo calls, in order.
	Addresses []intake.Address
}

// NewSharingBackend returns an empty fake ledger with sharing groups.
func NewSharingBackend() *SharingBackend { return &SharingBackend{Backend: NewBackend()} }

// PublishTo implements api.Sharing.
func (b *SharingBackend) PublishTo(ctx context.Context, body []byte, a intake.Address) ([]intake.Submission, error) {
	objs, err := stix.ParseInput(body)
	if err != nil {
		return nil, errs.Errorf(errs.Invalid, "%v", err)
	}
	addressed := len(a.To) > 0 || a.Group != ""
	for _, o := range objs {
		l, err := tlp.Of(o.Raw, max(a.TLP, tlp.Green))
		if err != nil {
			return nil, errs.Errorf(errs.Invalid, "object %s: %v", o.ID, err)
		}
		if l = max(l, a.TLP); l.Sealed() && !addressed {
			return nil, errs.Errorf(errs.Invalid, "object %s is TLP:%v: say whom it is for (to or group); content above TLP:GREEN is sealed for its recipients only", o.ID, l)
		}
	}
	members, _ := b.Members(ctx)
	for _, id := range a.To {
		if !slices.ContainsFunc(members, func(m api.Member) bool { return m.ID == id && m.Status == "active" }) {
			return nil, errs.Errorf(errs.Invalid, "recipient %q is not an active member; nothing was published", id)
		}
	}
	if a.Group != "" {
		b.mu.Lock()
		ok := slices.ContainsFunc(b.groups, func(g ledger.Group) bool { return g.Name == a.Group })
		b.mu.Unlock()
		if !ok {
			return nil, errs.Errorf(errs.Invalid, "sharing group %q does not exist; nothing was published", a.Group)
		}
	}
	b.mu.Lock()
	b.Addresses = append(b.Addresses, a)
	b.mu.Unlock()
	return b.Publish(ctx, body)
}

// ChangeGroup implements api.Sharing: create, add and remove as the
// ledger does them for the creator (this member).
func (b *SharingBackend) ChangeGroup(_ context.Context, op ledger.GroupOp) (intake.Submission, error) {
	if b.Err != nil {
		return intake.Submission{}, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	sub := b.govSubmission("group", op)
	i := slices.IndexFunc(b.groups, func(g ledger.Group) bool { return g.Name == op.Name })
	switch {
	case op.Op == "create" && i >= 0:
		return reject(sub, ledger.CodeBadGroup, fmt.Sprintf("group %q exists", op.Name)), nil
	case op.Op != "create" && i < 0:
		return reject(sub, ledger.CodeBadGroup, fmt.Sprintf("no group %q", op.Name)), nil
	}
	b.commitGov(sub.TxHash, ledger.CodeOK, "")
	switch op.Op {
	case "create":
		ms := slices.Sorted(slices.Values(op.Members))
		b.groups = append(b.groups, ledger.Group{Name: op.Name, Creator: Author, Members: slices.Compact(ms), Extend: op.Extend, Height: b.height})
	case "add":
		g := &b.groups[i]
		g.Members = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(g.Members), op.Members...))))
		g.Height = b.height
	case "remove":
		g := &b.groups[i]
		g.Members = slices.DeleteFunc(slices.Clone(g.Members), func(m string) bool { return slices.Contains(op.Members, m) })
		g.Height = b.height
	}
	return sub, nil
}

// Groups implements api.Sharing.
func (b *SharingBackend) Groups(context.Context) ([]ledger.Group, error) {
	if b.Err != nil {
		return nil, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.groups), nil
}

// Withdraw implements api.Sharing; the fake has nothing sealed to withdraw.
func (b *SharingBackend) Withdraw(_ context.Context, id, _ string) (intake.Submission, error) {
	return intake.Submission{}, errs.Errorf(errs.NotFound, "no sealed record %s", id)
}
