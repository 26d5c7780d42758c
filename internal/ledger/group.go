package ledger

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// Group operations.
const (
	GroupCreate = "create"
	GroupAdd    = "add"
	GroupRemove = "remove"
)

// GroupOp is the payload of a TypeGroup transaction.
//
//   - create: a new group Name with Members (active members, at least
//     one); Extend lets its members add others.
//   - add: Members join; by the creator, or by a member when Extend.
//   - remove: Members leave; by the creator, or a member removing itself.
type GroupOp struct {
	Op      string   `cbor:"1,keyasint" json:"op"`
	Name    string   `cbor:"2,keyasint" json:"name"`
	Members []string `cbor:"3,keyasint,omitempty" json:"members,omitempty"`
	Extend  bool     `cbor:"4,keyasint,omitempty" json:"extend,omitempty"`
}

// Group is a sharing group as the ledger records it. Members are sorted;
// a member removed from the community stays listed but receives nothing
// (only active members are recipients).
type Group struct {
	Name    string   `cbor:"1,keyasint" json:"name"`
	Creator string   `cbor:"2,keyasint" json:"creator"`
	Members []string `cbor:"3,keyasint" json:"members"`
	Extend  bool     `cbor:"4,keyasint" json:"extend"`
	Height  int64    `cbor:"5,keyasint" json:"height"` // block of the last change
}

var groupName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func (g Group) has(id string) bool {
	i := sort.SearchStrings(g.Members, id)
	return i < len(g.Members) && g.Members[i] == id
}

// checkGroup validates a group change against the state.
func (a *App) checkGroup(t *tx.Tx, v view) (*GroupOp, *rejection) {
	var op GroupOp
	if err := tx.DecodePayload(t.Body.Payload, &op); err != nil {
		return nil, reject(CodeMalformed, "%v", err)
	}
	if !groupName.MatchString(op.Name) {
		return nil, reject(CodeBadGroup, "group name %q: want 1-64 of a-z 0-9 . _ - starting with a letter or digit", op.Name)
	}
	if len(op.Members) == 0 || len(op.Members) > 1000 {
		return nil, reject(CodeBadGroup, "group %s: %s needs 1 to 1000 members, got %d", op.Name, op.Op, len(op.Members))
	}
	g, exists, err := v.group(op.Name)
	if err != nil {
		return nil, reject(CodeInternal, "read state: %v", err)
	}
	author := t.Body.Author
	switch op.Op {
	case GroupCreate:
		if exists {
			return nil, reject(CodeBadGroup, "group %s already exists", op.Name)
		}
		return &op, checkNewMembers(op, Group{}, v)
	case GroupAdd:
		if !exists {
			return nil, reject(CodeUnknownGroup, "sharing group %q does not exist", op.Name)
		}
		if author != g.Creator && !(g.Extend && g.has(author)) {
			return nil, reject(CodeBadGroup, "group %s: only %s (or a member, when the group has the extend right) may add members", op.Name, g.Creator)
		}
		return &op, checkNewMembers(op, g, v)
	case GroupRemove:
		if !exists {
			return nil, reject(CodeUnknownGroup, "sharing group %q does not exist", op.Name)
		}
		for _, id := range op.Members {
			if !g.has(id) {
				return nil, reject(CodeBadGroup, "group %s: %s is not a member", op.Name, id)
			}
			if author != g.Creator && id != author {
				return nil, reject(CodeBadGroup, "group %s: only %s may remove %s", op.Name, g.Creator, id)
			}
		}
		return &op, nil
	}
	return nil, reject(CodeBadGroup, "unknown group operation %q (want create, add or remove)", op.Op)
}

func checkNewMembers(op GroupOp, g Group, v view) *rejection {
	seen := map[string]bool{}
	for _, id := range op.Members {
		m := v.member(id)
		switch {
		case m == nil || m.Status != StatusActive:
			return reject(CodeBadGroup, "group %s: %q is not an active member", op.Name, id)
		case seen[id] || g.has(id):
			return reject(CodeBadGroup, "group %s: %s is already a member", op.Name, id)
		}
		seen[id] = true
	}
	return nil
}

func (b *block) deliverGroup(author string, op *GroupOp) {
	g, _, err := b.group(op.Name)
	if err != nil {
		panic(fmt.Sprintf("ledger: group %s vanished between check and delivery: %v", op.Name, err))
	}
	switch op.Op {
	case GroupCreate:
		g = Group{Name: op.Name, Creator: author, Members: append([]string(nil), op.Members...), Extend: op.Extend}
	case GroupAdd:
		g.Members = append(append([]string(nil), g.Members...), op.Members...)
	case GroupRemove:
		gone := map[string]bool{}
		for _, id := range op.Members {
			gone[id] = true
		}
		var keep []string
		for _, id := range g.Members {
			if !gone[id] {
				keep = append(keep, id)
			}
		}
		g.Members = keep
	}
	sort.Strings(g.Members)
	g.Height = b.height
	b.groups[g.Name] = g
	b.writes.set(groupKey(g.Name), mustEncode(g))
}

func (b *block) group(name string) (Group, bool, error) {
	if g, ok := b.groups[name]; ok {
		return g, true, nil
	}
	return b.a.Group(name)
}

func (c *checkView) group(name string) (Group, bool, error) { return c.a.Group(name) }

// Group returns a committed sharing group.
func (a *App) Group(name string) (Group, bool, error) {
	v, err := a.kv.Get(groupKey(name))
	if err != nil || v == nil {
		return Group{}, false, err
	}
	var g Group
	if err := cborDec.Unmarshal(v, &g); err != nil {
		return Group{}, false, fmt.Errorf("decode group %s: %w", name, err)
	}
	return g, true, nil
}

// Groups returns every committed sharing group, by name.
func (a *App) Groups() ([]Group, error) {
	var out []Group
	err := a.kv.Iterate(prefixGroup, prefixEnd(prefixGroup), func(_, v []byte) error {
		var g Group
		if err := cborDec.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("decode group: %w", err)
		}
		out = append(out, g)
		return nil
	})
	return out, err
}

// activeGroupMembers returns the group's members that are active
// community members, sorted.
func activeGroupMembers(g Group, v view) []string {
	var out []string
	for _, id := range g.Members {
		if m := v.member(id); m != nil && m.Status == StatusActive {
			out = append(out, id)
		}
	}
	return out
}

// ActiveGroupMembers returns the committed group's active members: the
// members a record addressed to it must be sealed for.
func (a *App) ActiveGroupMembers(g Group) []string {
	return activeGroupMembers(g, &checkView{a: a})
}
