package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/seal"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// sealedRec is one validated sealed record of a TypeSealed transaction.
type sealedRec struct {
	env   *seal.Envelope
	raw   []byte
	isNew bool
}

// checkSealed validates a TypeSealed transaction without any plaintext:
// each envelope well-formed, written by the signer, addressed to active
// members at their current keys (and to every active member of its
// sharing group), within the size limits, and a new version of an id the
// signer owns.
func (a *App) checkSealed(t *tx.Tx, v view) ([]sealedRec, *rejection) {
	records, err := t.Contents()
	if err != nil {
		return nil, reject(CodeMalformed, "%v", err)
	}
	prm := v.params()
	switch {
	case len(records) == 0:
		return nil, reject(CodeEmpty, "sealed transaction carries no records")
	case int64(len(records)) > prm.MaxObjectsPerTx:
		return nil, reject(CodeTooLarge, "transaction carries %d records; the limit is %d", len(records), prm.MaxObjectsPerTx)
	}
	out := make([]sealedRec, len(records))
	seen := map[string]bool{}
	first := map[string]bool{}
	for i, raw := range records {
		e, rej := checkEnvelope(i, raw, t.Body.Author, prm)
		if rej != nil {
			return nil, rej
		}
		h := &e.Header
		key := h.ID + "\x00" + h.Modified
		if seen[key] {
			return nil, reject(CodeDuplicate, "record %d (%s version %q) appears twice in the transaction", i, h.ID, h.Modified)
		}
		seen[key] = true
		if rej := checkRecipients(i, h, v); rej != nil {
			return nil, rej
		}
		isNew := false
		if !first[h.ID] {
			if isNew, rej = checkSealedVersion(i, h, t.Body.Author, v); rej != nil {
				return nil, rej
			}
			first[h.ID] = isNew
		}
		out[i] = sealedRec{env: e, raw: raw, isNew: isNew}
	}
	return out, nil
}

func checkEnvelope(i int, raw []byte, author string, prm Params) (*seal.Envelope, *rejection) {
	e, err := seal.Decode(raw)
	if err != nil {
		return nil, reject(CodeMalformed, "record %d: %v", i, err)
	}
	h := &e.Header
	switch {
	case h.Author != author:
		return nil, reject(CodeMalformed, "record %d (%s): header names author %q but %q signed the transaction", i, h.ID, h.Author, author)
	case int64(h.Size) > prm.MaxObjectBytes:
		return nil, reject(CodeTooLarge, "record %d (%s) is %d bytes; the limit is %d", i, h.ID, h.Size, prm.MaxObjectBytes)
	}
	if h.Modified != "" {
		if _, err := time.Parse(time.RFC3339Nano, h.Modified); err != nil || !strings.HasSuffix(h.Modified, "Z") {
			return nil, reject(CodeMalformed, "record %d (%s): version %q is not an RFC 3339 UTC timestamp", i, h.ID, h.Modified)
		}
	}
	return e, nil
}

// checkRecipients: every recipient is an active member sealed to at its
// current key; a group must exist and every one of its active members be
// a recipient — a record is never silently narrowed or widened.
func checkRecipients(i int, h *seal.Header, v view) *rejection {
	for _, r := range h.Recipients {
		m := v.member(r.Member)
		switch {
		case m == nil:
			return reject(CodeBadRecipient, "record %d (%s): recipient %q is not a member", i, h.ID, r.Member)
		case m.Status != StatusActive:
			return reject(CodeBadRecipient, "record %d (%s): recipient %q was removed from the community", i, h.ID, r.Member)
		case !bytes.Equal(r.Fingerprint, seal.Fingerprint(m.SealKey)):
			return reject(CodeBadRecipient, "record %d (%s): sealed to key %x of %s, whose current sealing key is %x",
				i, h.ID, r.Fingerprint, r.Member, seal.Fingerprint(m.SealKey))
		}
	}
	if h.Group == "" {
		return nil
	}
	g, ok, err := v.group(h.Group)
	if err != nil {
		return reject(CodeInternal, "read state: %v", err)
	}
	if !ok {
		return reject(CodeUnknownGroup, "record %d (%s): sharing group %q does not exist", i, h.ID, h.Group)
	}
	active := activeGroupMembers(g, v)
	if len(active) == 0 {
		return reject(CodeEmptyGroup, "record %d (%s): sharing group %q has no active member", i, h.ID, h.Group)
	}
	for _, id := range active {
		if !h.Has(id) {
			return reject(CodeBadRecipient, "record %d (%s): %s is in sharing group %q but not a recipient", i, h.ID, id, h.Group)
		}
	}
	return nil
}

func checkSealedVersion(i int, h *seal.Header, author string, v view) (bool, *rejection) {
	ow, ok, err := v.owner(h.ID)
	if err != nil {
		return false, reject(CodeInternal, "read state: %v", err)
	}
	if !ok {
		return true, nil
	}
	if ow.Author != author {
		return false, reject(CodeNotOwner, "record %d (%s) belongs to %s; only its author may version it", i, h.ID, ow.Author)
	}
	dup, err := v.hasVersion(h.ID, h.Modified)
	if err != nil {
		return false, reject(CodeInternal, "read state: %v", err)
	}
	if dup {
		return false, reject(CodeDuplicate, "record %d (%s version %q) is already on the ledger", i, h.ID, h.Modified)
	}
	return false, nil
}

func (b *block) deliverSealed(txHash []byte, author string, recs []sealedRec) []byte {
	outs := make([]recordOut, len(recs))
	b.txFirst = append(b.txFirst, Pair{txFirstKey(txHash), u64(b.tree.End())})
	for i, s := range recs {
		h := &s.env.Header
		typ, _, _ := strings.Cut(h.ID, "--")
		if s.isNew {
			ow := owner{Author: author, Type: typ, Sealed: true}
			b.owners[h.ID] = ow
			b.newIDs = append(b.newIDs, h.ID)
			b.writes.set(objectKey(h.ID), encodeOwner(ow))
		}
		idx := b.tree.End()
		r := record.Record{Index: idx, Height: b.height, Time: b.time, TxHash: txHash, Author: author,
			ObjectID: h.ID, Type: typ, Modified: h.Modified, Sealed: s.raw}
		outs[i] = b.appendRecord(r)
	}
	data, _ := json.Marshal(outs) // plain structs: cannot fail
	return data
}

// Withdraw is the payload of a TypeWithdraw transaction: the author of a
// sealed record withdraws one version of it. The header and the fact of
// the withdrawal stay on the ledger; recipient nodes delete their copies.
type Withdraw struct {
	ID      string `cbor:"1,keyasint" json:"id"`
	Version string `cbor:"2,keyasint" json:"version"`
}

// Withdrawal is a committed withdrawal.
type Withdrawal struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Author  string `json:"author"`
	Height  int64  `json:"height"`
}

func (a *App) checkWithdraw(t *tx.Tx, v view) (*Withdraw, *rejection) {
	var w Withdraw
	if err := tx.DecodePayload(t.Body.Payload, &w); err != nil {
		return nil, reject(CodeMalformed, "%v", err)
	}
	s, ok, err := v.storedAt(w.ID, w.Version)
	if err != nil {
		return nil, reject(CodeInternal, "read state: %v", err)
	}
	switch {
	case !ok:
		return nil, reject(CodeNotWithdrawable, "no record %s version %q on the ledger", w.ID, w.Version)
	case s.Author != t.Body.Author:
		return nil, reject(CodeNotWithdrawable, "record %s belongs to %s; only its author may withdraw it", w.ID, s.Author)
	case s.Sealed == nil:
		return nil, reject(CodeNotWithdrawable, "record %s is plaintext: publish a revoking version instead", w.ID)
	}
	done, err := v.isWithdrawn(w.ID, w.Version)
	if err != nil {
		return nil, reject(CodeInternal, "read state: %v", err)
	}
	if done {
		return nil, reject(CodeDuplicate, "record %s version %q is already withdrawn", w.ID, w.Version)
	}
	return &w, nil
}

func (b *block) deliverWithdraw(author string, w *Withdraw) {
	b.writes.set(withdrawnKey(w.ID, w.Version), u64(uint64(b.height)))
	b.withdrawn = append(b.withdrawn, Withdrawal{ID: w.ID, Version: w.Version, Author: author, Height: b.height})
}

func (b *block) storedAt(id, version string) (storedRecord, bool, error) {
	idx, ok := b.writes.get(versionKey(id, version))
	if !ok {
		return b.a.committedStoredAt(id, version)
	}
	var s storedRecord
	rec, _ := b.writes.get(recordKey(bytesU64(idx)))
	if err := cborDec.Unmarshal(rec, &s); err != nil {
		return storedRecord{}, false, fmt.Errorf("decode record of %s: %w", id, err)
	}
	return s, true, nil
}

func (b *block) isWithdrawn(id, version string) (bool, error) {
	if _, ok := b.writes.get(withdrawnKey(id, version)); ok {
		return true, nil
	}
	return b.a.IsWithdrawn(id, version)
}

func (c *checkView) storedAt(id, version string) (storedRecord, bool, error) {
	return c.a.committedStoredAt(id, version)
}
func (c *checkView) isWithdrawn(id, version string) (bool, error) {
	return c.a.IsWithdrawn(id, version)
}

func (a *App) committedStoredAt(id, version string) (storedRecord, bool, error) {
	idx, err := a.kv.Get(versionKey(id, version))
	if err != nil || idx == nil {
		return storedRecord{}, false, err
	}
	v, err := a.kv.Get(recordKey(bytesU64(idx)))
	if err != nil || v == nil {
		return storedRecord{}, false, err
	}
	var s storedRecord
	if err := cborDec.Unmarshal(v, &s); err != nil {
		return storedRecord{}, false, fmt.Errorf("decode record of %s: %w", id, err)
	}
	return s, true, nil
}

// IsWithdrawn reports whether a sealed record version was withdrawn.
func (a *App) IsWithdrawn(id, version string) (bool, error) {
	v, err := a.kv.Get(withdrawnKey(id, version))
	return v != nil, err
}

// Withdrawals returns every committed withdrawal, in key order.
func (a *App) Withdrawals() ([]Withdrawal, error) {
	var out []Withdrawal
	err := a.kv.Iterate(prefixWithdrawn, prefixEnd(prefixWithdrawn), func(k, v []byte) error {
		id, version, _ := bytes.Cut(k[len(prefixWithdrawn):], []byte{0})
		s, ok, err := a.committedStoredAt(string(id), string(version))
		if err != nil || !ok {
			return fmt.Errorf("withdrawn record %s: %v", id, err)
		}
		out = append(out, Withdrawal{ID: string(id), Version: string(version), Author: s.Author, Height: int64(bytesU64(v))})
		return nil
	})
	return out, err
}

func bytesU64(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}
