package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
)

// Verifier checks many bundles against one member set. It remembers the
// checkpoints and transactions it has checked (bounded), so verifying the
// records of one export, which share a few checkpoints and transactions,
// checks each signature once. A remembered result is reused only for
// byte-for-byte the same checkpoint or transaction. Safe for concurrent
// use.
type Verifier struct {
	members []Member

	mu          sync.Mutex
	checkpoints map[[32]byte]*checkpointResult // by hash of note, header and commit
	lastCP      *seenCheckpoint                // the checkpoint checked last (most batches share one)
	txs         map[string]*cachedTx           // by the transaction hash records name
	headers     map[string]*signedHeader       // v2: by header bytes and signature
	txOrder     []string                       // keys of txs, oldest first
	txBytes     int                            // bytes of the transactions in txs
}

// seenCheckpoint is a checked signed checkpoint and its result.
type seenCheckpoint struct {
	sc SignedCheckpoint
	cr *checkpointResult
}

// cachedTx is a checked transaction and its bytes: a bundle whose
// transaction is byte-for-byte the same shares the result without hashing
// it again.
type cachedTx struct {
	raw []byte
	st  *signedTx
}

// Bounds of the caches: the checkpoint cache is emptied when full; the
// transaction cache (copies of the checked transactions, up to
// txCacheBytes) drops its oldest entries.
const (
	cacheEntries   = 256
	txCacheEntries = 4096
	txCacheBytes   = 256 << 20
)

// checkpointResult is the outcome of the checks of one signed checkpoint.
type checkpointResult struct {
	c      Checkpoint
	ok     bool    // the note parsed
	opened []Check // "checkpoint"
	bound  []Check // "app_hash", "header", "signatures"
}

// NewVerifier returns a caching verifier for the member set ms.
func NewVerifier(ms []Member) *Verifier {
	return &Verifier{members: ms, checkpoints: map[[32]byte]*checkpointResult{}, txs: map[string]*cachedTx{},
		headers: map[string]*signedHeader{}}
}

// Verify checks a bundle like the function Verify.
func (v *Verifier) Verify(b *Bundle) Report {
	var r Report
	leaf := LeafHash(b.Record)
	if string(leaf) == string(b.LeafHash) {
		r.add(CheckLeaf, nil, fmt.Sprintf("leaf hash %x", leaf))
	} else {
		r.add(CheckLeaf, fmt.Errorf("record fields hash to leaf %x, the bundle says %x", leaf, []byte(b.LeafHash)), "")
	}
	if b.Format == BundleFormatV2 {
		sh := v.header(b.TxHeader, b.TxSignature)
		r.add(CheckAuthor, checkAuthorV2(b, sh), fmt.Sprintf("transaction header signed by %s", b.Record.Author))
		r.add(CheckItem, checkItem(b, sh), fmt.Sprintf("item %d of %d under the signed items root %x", b.TxObject, sh.h.ItemCount, sh.h.ItemsRoot))
	} else {
		r.add(CheckAuthor, checkAuthor(b, v.tx(b.Tx, b.Record.TxHash)), fmt.Sprintf("signed by %s", b.Record.Author))
	}
	cr := v.checkpoint(b.Checkpoint)
	r.Checks = append(r.Checks, cr.opened...)
	if !cr.ok {
		return r
	}
	if err := checkInclusion(b, cr.c); err != nil {
		r.add(CheckInclusion, err, "")
	} else {
		r.add(CheckInclusion, nil, fmt.Sprintf("leaf %d in tree of size %d with root %x", b.Record.Index, cr.c.Size, cr.c.Root))
	}
	r.Checks = append(r.Checks, cr.bound...)
	return r
}

// tx checks a transaction, or finds it checked already: a cached entry
// under the hash the record names whose bytes equal raw (then raw hashes to
// that entry's hash, which was computed when it was first checked).
func (v *Verifier) tx(raw, claimed []byte) *signedTx {
	if v.txs == nil {
		return checkTx(raw, v.members)
	}
	v.mu.Lock()
	e, ok := v.txs[string(claimed)]
	v.mu.Unlock()
	if ok && bytes.Equal(e.raw, raw) {
		return e.st
	}
	st := checkTx(raw, v.members)
	v.mu.Lock()
	v.remember(st.hash, raw, st)
	v.mu.Unlock()
	return st
}

// remember caches a checked transaction (v.mu held), dropping the oldest
// entries to stay within the bounds.
func (v *Verifier) remember(hash [32]byte, raw []byte, st *signedTx) {
	k := string(hash[:])
	if _, ok := v.txs[k]; ok || len(raw) > txCacheBytes {
		return
	}
	for len(v.txOrder) > 0 && (len(v.txOrder) >= txCacheEntries || v.txBytes+len(raw) > txCacheBytes) {
		old := v.txOrder[0]
		v.txOrder = v.txOrder[1:]
		v.txBytes -= len(v.txs[old].raw)
		delete(v.txs, old)
	}
	v.txs[k] = &cachedTx{raw: bytes.Clone(raw), st: st} // a copy: the caller may reuse its buffer
	v.txOrder = append(v.txOrder, k)
	v.txBytes += len(raw)
}

// header checks a v2 transaction's signed header, or finds it checked
// already (keyed by its exact bytes and signature; emptied when full).
func (v *Verifier) header(hdr, sig []byte) *signedHeader {
	if v.headers == nil {
		return checkHeader(hdr, sig, v.members)
	}
	k := string(binary.BigEndian.AppendUint32(nil, uint32(len(hdr)))) + string(hdr) + string(sig) // unambiguous
	v.mu.Lock()
	sh, ok := v.headers[k]
	v.mu.Unlock()
	if ok {
		return sh
	}
	sh = checkHeader(hdr, sig, v.members)
	v.mu.Lock()
	if len(v.headers) >= txCacheEntries {
		clear(v.headers)
	}
	v.headers[k] = sh
	v.mu.Unlock()
	return sh
}

func (v *Verifier) checkpoint(sc SignedCheckpoint) *checkpointResult {
	if v.checkpoints == nil {
		return checkCheckpoint(sc, v.members)
	}
	v.mu.Lock()
	last := v.lastCP
	v.mu.Unlock()
	if last != nil && sameCheckpoint(last.sc, sc) {
		return last.cr
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(sc.Note), sc.Header, sc.Commit} {
		writeLen(h, part)
	}
	var key [32]byte
	h.Sum(key[:0])
	v.mu.Lock()
	cr, ok := v.checkpoints[key]
	v.mu.Unlock()
	if !ok {
		cr = checkCheckpoint(sc, v.members)
	}
	v.mu.Lock()
	if !ok {
		if len(v.checkpoints) >= cacheEntries {
			clear(v.checkpoints)
		}
		v.checkpoints[key] = cr
	}
	v.lastCP = &seenCheckpoint{sc: SignedCheckpoint{Format: sc.Format, Note: sc.Note,
		Header: bytes.Clone(sc.Header), Commit: bytes.Clone(sc.Commit)}, cr: cr}
	v.mu.Unlock()
	return cr
}

// sameCheckpoint reports whether two signed checkpoints are byte for byte
// the same (cheap when they share their bytes, as the bundles of one
// prover's burst do).
func sameCheckpoint(a, b SignedCheckpoint) bool {
	return a.Format == b.Format && a.Note == b.Note && bytes.Equal(a.Header, b.Header) && bytes.Equal(a.Commit, b.Commit)
}

func writeLen(h interface{ Write([]byte) (int, error) }, b []byte) {
	var n [8]byte
	for i := range 8 {
		n[i] = byte(uint64(len(b)) >> (56 - 8*i))
	}
	h.Write(n[:])
	h.Write(b)
}

func checkCheckpoint(sc SignedCheckpoint, ms []Member) *checkpointResult {
	var opened, bound Report
	c, ok := openCheckpoint(&opened, sc, ms)
	if ok {
		bindCheckpoint(&bound, c, sc, ms)
	}
	return &checkpointResult{c: c, ok: ok, opened: opened.Checks, bound: bound.Checks}
}
