package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/merkle/compact"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// block is the state staged by FinalizeBlock: an overlay of writes over the
// committed state.
type block struct {
	a         *App
	height    int64
	time      time.Time
	writes    *writeSet // state writes (hashed into the state hash)
	sorted    []Pair    // writes in key order, set by finish
	nonces    map[string]uint64
	owners    map[string]owner
	newIDs    []string // each id stored for the first time in this block
	tree      *compact.Range
	records   []record.Record
	txFirst   []Pair // meta: index of each publish transaction's first record
	txItems   []Pair // meta: signed header and item tree of each v2 transaction
	txs       []TxResult
	stateHash []byte
	appHash   []byte

	included   []authorNonce          // author and nonce of every decodable transaction in the block
	members    map[string]*Member     // member changes made by proposals in this block
	props      map[uint64]Proposal    // proposals opened or closed in this block
	newParams  *Params                // parameters changed by a proposal in this block
	valUpdates []abci.ValidatorUpdate // validator set changes for CometBFT
	groups     map[string]Group       // sharing groups created or changed in this block
	withdrawn  []Withdrawal           // sealed records withdrawn in this block
}

func (a *App) newBlock(height int64, t time.Time, writes int) *block {
	tr, err := rangeFn.NewRange(0, a.tree.End(), cloneHashes(a.tree.Hashes()))
	if err != nil {
		panic(fmt.Sprintf("ledger: clone tree: %v", err)) // a valid range always clones
	}
	return &block{a: a, height: height, time: t.UTC(), writes: newWriteSet(writes),
		nonces: map[string]uint64{}, owners: make(map[string]owner, writes/5), tree: tr,
		members: map[string]*Member{}, props: map[uint64]Proposal{}, groups: map[string]Group{}}
}

// deliver executes one transaction: all of it or none of it.
func (b *block) deliver(raw []byte) *abci.ExecTxResult {
	hash := sha256.Sum256(raw)
	in := b.a.decodeTx(raw, hash)
	if in.err == nil {
		b.included = append(b.included, authorNonce{in.t.Body.Author, in.t.Body.Nonce})
	}
	d, rej := b.a.validate(in, b, b.height)
	b.a.forget(hash)
	if rej != nil {
		b.txs = append(b.txs, TxResult{Hash: hash[:], Code: rej.code, Log: rej.log})
		return &abci.ExecTxResult{Code: rej.code, Log: rej.log, Codespace: "phalanx"}
	}
	author := d.t.Body.Author
	b.nonces[author] = d.t.Body.Nonce
	b.writes.set(nonceKey(author), u64(d.t.Body.Nonce))
	var data []byte
	switch {
	case d.propose != nil:
		data = b.deliverPropose(author, d.propose)
	case d.vote != nil:
		b.deliverVote(author, d.vote)
	case d.sealed != nil:
		data = b.deliverSealed(hash[:], author, d.sealed)
	case d.group != nil:
		b.deliverGroup(author, d.group)
	case d.withdraw != nil:
		b.deliverWithdraw(author, d.withdraw)
	case d.profile != nil:
		b.deliverProfile(author, d.profile)
	default:
		data = b.deliverPublish(hash[:], author, d.objs)
	}
	if d.t.Version == 2 {
		b.txItems = append(b.txItems, txItemsPairs(hash[:], d.t, b.tree.End()-d.t.Header.ItemCount)...)
	}
	b.txs = append(b.txs, TxResult{Hash: hash[:], Code: CodeOK, Data: data})
	return &abci.ExecTxResult{Code: CodeOK, Data: data, Events: []abci.Event{{
		Type: d.t.Body.Type.String(),
		Attributes: []abci.EventAttribute{
			{Key: "author", Value: author, Index: true},
		},
	}}}
}

func (b *block) deliverPublish(txHash []byte, author string, objs []checked) []byte {
	outs := make([]recordOut, len(objs))
	b.txFirst = append(b.txFirst, Pair{txFirstKey(txHash), u64(b.tree.End())})
	for i, c := range objs {
		outs[i] = b.addRecord(txHash, author, c)
	}
	return marshalOuts(outs)
}

// marshalOuts is json.Marshal(outs), byte for byte (the result data is
// part of CometBFT's results hash), written directly when every id and
// version is plain printable ASCII that encoding/json leaves as is (ids
// and versions of validated objects are), and by encoding/json otherwise.
func marshalOuts(outs []recordOut) []byte {
	if outs == nil {
		return []byte("null")
	}
	size := 2
	for _, o := range outs {
		if !plainJSON(o.ID) || !plainJSON(o.Version) {
			data, _ := json.Marshal(outs) // plain structs: cannot fail
			return data
		}
		size += len(o.ID) + len(o.Version) + 48
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for i, o := range outs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":"`...)
		b = append(b, o.ID...)
		b = append(b, `","version":"`...)
		b = append(b, o.Version...)
		b = append(b, `","index":`...)
		b = strconv.AppendUint(b, o.Index, 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// plainJSON reports whether encoding/json writes s between quotes
// unchanged: printable ASCII without '"', '\\' and the HTML characters
// it escapes ('<', '>', '&').
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// recordOut is one entry of a publish transaction's result data.
type recordOut struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Index   uint64 `json:"index"`
}

func (b *block) addRecord(txHash []byte, author string, c checked) recordOut {
	o := c.obj
	if c.isNew {
		ow := owner{Author: author, Type: o.Type, Created: o.Created}
		b.owners[o.ID] = ow
		b.newIDs = append(b.newIDs, o.ID)
		b.writes.set(objectKey(o.ID), encodeOwner(ow))
	}
	r := record.Record{Index: b.tree.End(), Height: b.height, Time: b.time, TxHash: txHash, Author: author,
		ObjectID: o.ID, Type: o.Type, Modified: o.Version(), Object: o.Raw,
		Access: &record.Access{Level: uint8(tlp.OfRefs(o.Markings, tlp.Green))}, Parsed: o}
	return b.appendRecord(r)
}

// appendRecord stores a record, indexes its version and appends its leaf.
func (b *block) appendRecord(r record.Record) recordOut {
	idx := r.Index
	b.writes.set(versionKey(r.ObjectID, r.Modified), u64(idx))
	b.writes.set(recordKey(idx), encodeRecord(fromRecord(r)))
	leaf := r.LeafHash()
	if err := b.tree.Append(leaf, b.visit); err != nil {
		panic(fmt.Sprintf("ledger: append leaf %d: %v", idx, err)) // appending to a range from 0 cannot fail
	}
	b.records = append(b.records, r)
	return recordOut{ID: r.ObjectID, Version: r.Modified, Index: idx}
}

// visit stores a tree node's hash; its key and value share one
// allocation.
func (b *block) visit(id compact.NodeID, hash []byte) {
	kv := appendNodeKey(make([]byte, 0, len(prefixNode)+9+len(hash)), id)
	k := len(kv)
	kv = append(kv, hash...)
	b.writes.set(kv[:k:k], kv[k:])
}

// finish computes the block's state hash and app hash.
func (b *block) finish() {
	b.sorted = b.writes.sorted()
	b.stateHash = nextStateHash(b.a.stateHash, b.height, b.sorted)
	b.appHash = computeAppHash(b.tree.End(), rootOf(b.tree), b.stateHash)
}

// pairs is everything Commit writes: the state writes and the meta
// bookkeeping, in key order. Pebble sorts a large batch before it
// applies it (and a memtable takes keys in order faster); the state
// writes are sorted already, so only the few meta pairs are sorted here
// and merged in. A stable sort keeps a rewritten meta key's last value
// last, as in the unsorted batch.
func (b *block) pairs() ([]Pair, error) {
	results, err := b.txResultPairs()
	if err != nil {
		return nil, err
	}
	meta := []Pair{
		{keyTree, mustEncode(tree{Size: b.tree.End(), Hashes: b.tree.Hashes()})},
		{keyStateHash, b.stateHash}, {keyAppHash, b.appHash}, {keyHeight, u64(uint64(b.height))},
		{checkpointKey(b.height), mustEncode(storedCheckpoint{Size: b.tree.End(), StateHash: b.stateHash})}}
	meta = append(meta, b.txFirst...)
	meta = append(meta, b.txItems...)
	meta = append(meta, results...)
	slices.SortStableFunc(meta, comparePairs)
	return mergePairs(b.sorted, meta), nil
}

func comparePairs(x, y Pair) int { return bytes.Compare(x.Key, y.Key) }

// mergePairs merges two lists of pairs in key order into a new one; of
// equal keys, those of x come first.
func mergePairs(x, y []Pair) []Pair {
	out := make([]Pair, 0, len(x)+len(y))
	for len(x) > 0 && len(y) > 0 {
		if comparePairs(y[0], x[0]) < 0 {
			out, y = append(out, y[0]), y[1:]
		} else {
			out, x = append(out, x[0]), x[1:]
		}
	}
	return append(append(out, x...), y...)
}

// view is the state a transaction is validated against.
type view interface {
	acceptNonce(member string, nonce uint64) *rejection
	member(id string) *Member
	allMembers() []*Member // sorted by id
	params() Params
	proposal(id uint64) (Proposal, bool, error)
	nonce(id string) uint64
	owner(id string) (owner, bool, error)
	hasVersion(id, version string) (bool, error)
	group(name string) (Group, bool, error)
	storedAt(id, version string) (storedRecord, bool, error)
	isWithdrawn(id, version string) (bool, error)
}

func (b *block) member(id string) *Member {
	if m, ok := b.members[id]; ok {
		return m
	}
	return b.a.committedMember(id)
}

func (b *block) allMembers() []*Member {
	ms := b.a.committedMembers()
	for id, m := range b.members {
		ms[id] = m
	}
	return sortedMembers(ms)
}

func (b *block) params() Params {
	if b.newParams != nil {
		return *b.newParams
	}
	return b.a.Params()
}

func (b *block) proposal(id uint64) (Proposal, bool, error) {
	if p, ok := b.props[id]; ok {
		return p, true, nil
	}
	return b.a.committedProposal(id)
}

// vote returns a member's current choice on a proposal ("" if none).
func (b *block) vote(id uint64, member string) (string, error) {
	if v, ok := b.writes.get(voteKey(id, member)); ok {
		return string(v), nil
	}
	v, err := b.a.kv.Get(voteKey(id, member))
	return string(v), err
}

func (b *block) nonce(id string) uint64 {
	if n, ok := b.nonces[id]; ok {
		return n
	}
	return b.a.nonces[id]
}

func (b *block) owner(id string) (owner, bool, error) {
	if o, ok := b.owners[id]; ok {
		return o, true, nil
	}
	return b.a.committedOwner(id)
}

func (b *block) hasVersion(id, version string) (bool, error) {
	if _, ok := b.writes.get(versionKey(id, version)); ok {
		return true, nil
	}
	return b.a.committedVersion(id, version)
}

// checkView is the mempool's view: committed state plus admitted nonces.
type checkView struct {
	a       *App
	recheck bool // a recheck after a commit: the transaction is already counted as pending
}

func (c *checkView) member(id string) *Member { return c.a.committedMember(id) }
func (c *checkView) allMembers() []*Member    { return sortedMembers(c.a.committedMembers()) }
func (c *checkView) params() Params           { return c.a.Params() }
func (c *checkView) proposal(id uint64) (Proposal, bool, error) {
	return c.a.committedProposal(id)
}
func (c *checkView) nonce(id string) uint64 { return c.a.checkNonces[id] }
func (c *checkView) owner(id string) (owner, bool, error) {
	return c.a.committedOwner(id)
}
func (c *checkView) hasVersion(id, v string) (bool, error) { return c.a.committedVersion(id, v) }

func (a *App) committedOwner(id string) (owner, bool, error) {
	if !a.ids.mayContain(id) {
		return owner{}, false, nil
	}
	v, err := a.kv.Get(objectKey(id))
	if err != nil || v == nil {
		return owner{}, false, err
	}
	var o owner
	if err := cborDec.Unmarshal(v, &o); err != nil {
		return owner{}, false, fmt.Errorf("decode owner of %s: %w", id, err)
	}
	return o, true, nil
}

func (a *App) committedVersion(id, version string) (bool, error) {
	v, err := a.kv.Get(versionKey(id, version))
	return v != nil, err
}

// rejection is why a transaction was refused.
type rejection struct {
	code uint32
	log  string
}

func reject(code uint32, format string, args ...any) *rejection {
	return &rejection{code: code, log: fmt.Sprintf(format, args...)}
}

// checked is a validated object and whether its id is new to the ledger.
type checked struct {
	obj   *stix.Object
	isNew bool
}

// delivery is a validated transaction and what it carries.
type delivery struct {
	t        *tx.Tx
	objs     []checked
	propose  *Propose
	vote     *Vote
	sealed   []sealedRec
	group    *GroupOp
	withdraw *Withdraw
	profile  *ProfileUpdate
}

// validate runs every check a transaction must pass at height, cheapest
// first.
func (a *App) validate(in incoming, v view, height int64) (delivery, *rejection) {
	t, rej := a.validateEnvelope(in, v)
	if rej != nil {
		return delivery{}, rej
	}
	d := delivery{t: t}
	switch t.Body.Type {
	case tx.TypePropose:
		d.propose, rej = a.checkPropose(t, v)
	case tx.TypeVote:
		d.vote, rej = a.checkVote(t, v, height)
	case tx.TypeSealed:
		d.sealed, rej = a.checkSealed(t, v)
	case tx.TypeGroup:
		d.group, rej = a.checkGroup(t, v)
	case tx.TypeWithdraw:
		d.withdraw, rej = a.checkWithdraw(t, v)
	case tx.TypeProfile:
		d.profile, rej = a.checkProfile(t)
	default:
		var objs []*stix.Object
		if objs, rej = a.parsePublish(in.hash, t, v.params()); rej == nil {
			d.objs, rej = a.checkState(objs, t.Body.Author, v)
		}
	}
	return d, rej
}

// incoming is a transaction as it arrives: its bytes, their SHA-256, and
// its decoding (or why it does not decode).
type incoming struct {
	raw  []byte
	hash [32]byte
	t    *tx.Tx
	err  error
	// verifiedWith is the key t's signature is known to verify with
	// (from the envelope cache), or nil.
	verifiedWith []byte
}

// decodeTx decodes raw, whose SHA-256 is hash, taking the decoded
// transaction from the envelope cache when it is there.
func (a *App) decodeTx(raw []byte, hash [32]byte) incoming {
	in := incoming{raw: raw, hash: hash}
	if in.t, in.verifiedWith = a.envelopes.get(hash); in.t == nil {
		in.t, in.err = tx.Decode(raw)
	}
	return in
}

// validateEnvelope checks the transaction's size, decoding, chain, author,
// signature, nonce and type: everything but the payload.
func (a *App) validateEnvelope(in incoming, v view) (*tx.Tx, *rejection) {
	if max := v.params().MaxTxBytes; int64(len(in.raw)) > max {
		return nil, reject(CodeTooLarge, "transaction is %d bytes; the limit is %d", len(in.raw), max)
	}
	if in.err != nil {
		return nil, decodeRejection(in.err)
	}
	t := in.t
	if n := t.ExpandedSize(in.raw); int64(n) > v.params().MaxTxBytes {
		return nil, expandedTooLarge(n, v.params())
	}
	if rej := a.checkEnvelope(in, v); rej != nil {
		return nil, rej
	}
	switch t.Body.Type {
	case tx.TypePublish, tx.TypePropose, tx.TypeVote, tx.TypeSealed, tx.TypeGroup, tx.TypeWithdraw, tx.TypeProfile:
	default:
		return nil, reject(CodeUnknownType, "unknown transaction type %d", t.Body.Type)
	}
	return t, nil
}

// checkEnvelope checks chain, author, signature and nonce. A signature the
// envelope cache knows to verify with the author's key is not checked
// again; one checked here goes into the cache.
func (a *App) checkEnvelope(in incoming, v view) *rejection {
	t := in.t
	if t.Body.ChainID != a.chainID {
		return reject(CodeWrongChain, "transaction is for chain %q; this is %q", t.Body.ChainID, a.chainID)
	}
	m := v.member(t.Body.Author)
	if m == nil {
		return reject(CodeUnknownMember, "author %q is not a member", t.Body.Author)
	}
	if m.Status != StatusActive {
		return reject(CodeRemovedMember, "author %q was removed from the community", t.Body.Author)
	}
	if in.verifiedWith == nil || !bytes.Equal(in.verifiedWith, m.SignKey) {
		if err := t.Verify(m.SignKey); err != nil {
			return signatureRejection(t, m.ID, err)
		}
		a.envelopes.put(in.hash, t.ExpandedSize(in.raw), t, m.SignKey) // what the decoded items hold
	}
	return v.acceptNonce(m.ID, t.Body.Nonce)
}

// acceptNonce is the block's nonce rule: exactly the next one.
func (b *block) acceptNonce(member string, n uint64) *rejection {
	if want := b.nonce(member) + 1; n != want {
		kind := "out-of-order"
		if n < want {
			kind = "replayed"
		}
		return reject(CodeBadNonce, "%s nonce %d from %s; expected %d", kind, n, member, want)
	}
	return nil
}

// authorNonce names one transaction's place in its author's sequence.
type authorNonce struct {
	author string
	nonce  uint64
}

// maxNonceAhead bounds how far past the committed nonce the mempool takes
// a transaction.
const maxNonceAhead = 100000

// acceptNonce is the mempool's nonce rule. Transactions of one author can
// reach a node's mempool out of order (gossip from several peers, and
// CometBFT appends to its list outside the ABCI lock), so any nonce after
// the committed one is admitted once; PrepareProposal puts each author's
// transactions back in order and FinalizeBlock demands the exact sequence.
func (c *checkView) acceptNonce(member string, n uint64) *rejection {
	committed := c.a.Nonce(member)
	switch {
	case n <= committed:
		return reject(CodeBadNonce, "replayed nonce %d from %s; expected %d", n, member, committed+1)
	case n > committed+maxNonceAhead:
		return reject(CodeBadNonce, "out-of-order nonce %d from %s; expected at most %d", n, member, committed+maxNonceAhead)
	case !c.recheck && c.a.checkPending[member][n]:
		return reject(CodeBadNonce, "replayed nonce %d from %s: already waiting in the mempool", n, member)
	}
	return nil
}

// parsePublish decodes and validates the payload's objects. The result is a
// pure function of the transaction bytes and the limits, so it is cached
// between CheckTx and FinalizeBlock.
func (a *App) parsePublish(key [32]byte, t *tx.Tx, prm Params) ([]*stix.Object, *rejection) {
	if objs, ok := a.parsed.get(key, limitsOf(prm)); ok {
		return objs, nil
	}
	primed := a.primed.take(key) // this node's intake's parse, if it built the transaction
	contents, err := t.Contents()
	if err != nil {
		return nil, reject(CodeMalformed, "%v", err)
	}
	if len(contents) == 0 {
		return nil, reject(CodeEmpty, "publish transaction carries no objects")
	}
	if int64(len(contents)) > prm.MaxObjectsPerTx {
		return nil, reject(CodeTooLarge, "transaction carries %d objects; the limit is %d", len(contents), prm.MaxObjectsPerTx)
	}
	objs := make([]*stix.Object, len(contents))
	seen := make(map[string]bool, len(contents))
	for i, raw := range contents {
		o, rej := a.parseObject(i, raw, prm.MaxObjectBytes, seen, primed)
		if rej != nil {
			return nil, rej
		}
		objs[i] = o
	}
	a.parsed.put(key, limitsOf(prm), objs)
	return objs, nil
}

// parseObject parses and checks item i of a publish, raw; the item's
// primed object (see Prime), when there is one, stands in for stix.Parse.
func (a *App) parseObject(i int, raw []byte, maxBytes int64, seen map[string]bool, primed []*stix.Object) (*stix.Object, *rejection) {
	if int64(len(raw)) > maxBytes {
		return nil, reject(CodeTooLarge, "object %d is %d bytes; the limit is %d", i, len(raw), maxBytes)
	}
	o := primedObject(primed, i, raw)
	if o == nil {
		var err error
		if o, err = stix.Parse(raw); err != nil {
			return nil, reject(CodeInvalidSTIX, "object %d: %v", i, err)
		}
	}
	if !bytes.Equal(o.Raw, raw) {
		return nil, reject(CodeInvalidSTIX, "object %d (%s): not in compact JSON form", i, o.ID)
	}
	if lvl := tlp.OfRefs(o.Markings, tlp.Clear); lvl.Sealed() {
		return nil, reject(CodeMustSeal, "object %d (%s) is marked TLP:%v: content above TLP:GREEN must be sealed for its recipients", i, o.ID, lvl)
	}
	key := o.ID + "\x00" + o.Version()
	if seen[key] {
		return nil, reject(CodeDuplicate, "object %d (%s version %q) appears twice in the transaction", i, o.ID, o.Version())
	}
	seen[key] = true
	return o, nil
}

// checkState checks the objects against the ledger: ownership, unchanged
// type and created across versions, no duplicate versions.
func (a *App) checkState(objs []*stix.Object, author string, v view) ([]checked, *rejection) {
	out := make([]checked, len(objs))
	first := map[string]*stix.Object{} // ids new to the ledger, first seen in this transaction
	for i, o := range objs {
		if f, ok := first[o.ID]; ok {
			if f.Type != o.Type || f.Created != o.Created {
				return nil, reject(CodeInvalidSTIX, "object %d (%s): a new version must keep type and created of the first", i, o.ID)
			}
			out[i] = checked{obj: o}
			continue
		}
		isNew, rej := a.checkVersion(i, o, author, v)
		if rej != nil {
			return nil, rej
		}
		if isNew {
			first[o.ID] = o
		}
		out[i] = checked{obj: o, isNew: isNew}
	}
	return out, nil
}

func (a *App) checkVersion(i int, o *stix.Object, author string, v view) (bool, *rejection) {
	ow, ok, err := v.owner(o.ID)
	if err != nil {
		return false, reject(CodeInternal, "read state: %v", err)
	}
	if !ok {
		return true, nil // a new id has no versions yet
	}
	if ow.Author != author {
		return false, reject(CodeNotOwner, "object %d (%s) belongs to %s; only its author may version it", i, o.ID, ow.Author)
	}
	if ow.Type != o.Type || (!ow.Sealed && ow.Created != o.Created) {
		return false, reject(CodeInvalidSTIX, "object %d (%s): a new version must keep type and created of the first", i, o.ID)
	}
	dup, err := v.hasVersion(o.ID, o.Version())
	if err != nil {
		return false, reject(CodeInternal, "read state: %v", err)
	}
	if dup {
		return false, reject(CodeDuplicate, "object %d (%s version %q) is already on the ledger", i, o.ID, o.Version())
	}
	return false, nil
}

func cloneHashes(hs [][]byte) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = bytes.Clone(h)
	}
	return out
}

// decodeRejection maps a decoding error: items that do not match the
// header's count are bad_items, anything else malformed.
func decodeRejection(err error) *rejection {
	switch {
	case errors.Is(err, tx.ErrItems):
		return reject(CodeBadItems, "%v", err)
	case errors.Is(err, tx.ErrTooLarge):
		return reject(CodeTooLarge, "%v", err)
	}
	return reject(CodeMalformed, "%v", err)
}

// signatureRejection maps a failed Verify: a v2 transaction whose header
// signature holds but whose items do not hash to its root is bad_items.
func signatureRejection(t *tx.Tx, member string, err error) *rejection {
	switch {
	case errors.Is(err, tx.ErrItems):
		return reject(CodeBadItems, "%v", err)
	case t.Version == 2:
		return reject(CodeBadSignature, "header signature (transaction v2) does not verify with %s's key", member)
	}
	return reject(CodeBadSignature, "signature does not verify with %s's key", member)
}
