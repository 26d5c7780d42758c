package proof

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// Names of the checks Verify runs, in order.
const (
	CheckLeaf       = "leaf"             // the leaf hash is the hash of the record's fields
	CheckAuthor     = "author_signature" // the author signed the transaction (v2: its header) that carried the object
	CheckItem       = "tx_item"          // v2: the object is an item of the signed header's items root
	CheckCheckpoint = "checkpoint"       // the checkpoint note parses (and who signed the note)
	CheckInclusion  = "inclusion"        // the leaf is in the tree the checkpoint names
	CheckAppHash    = "app_hash"         // the next block's header commits to the checkpoint
	CheckHeader     = "header"           // the commit signs exactly that header
	CheckSignatures = "signatures"       // more than 2/3 of the members' voting power signed
	CheckConsistent = "consistency"      // the later log extends the earlier one
)

// Check is the outcome of one check.
type Check struct {
	Name   string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is the outcome of every check of a verification.
type Report struct {
	Checks []Check `json:"checks"`
}

// OK reports whether every check passed.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Failed returns the names of the checks that failed.
func (r Report) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// Find returns the named check.
func (r Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

func (r *Report) add(name string, err error, ok string) {
	if err != nil {
		r.Checks = append(r.Checks, Check{Name: name, Detail: err.Error()})
		return
	}
	r.Checks = append(r.Checks, Check{Name: name, OK: true, Detail: ok})
}

// Verify checks a proof bundle against a member set, offline. Every check
// runs (a failed one does not hide the others) and says why it failed.
func Verify(b *Bundle, ms []Member) Report {
	return (&Verifier{members: ms}).Verify(b)
}

// LeafHash is the RFC 6962 leaf hash of a record: SHA-256(0x00 || leaf data).
func LeafHash(r Record) []byte {
	rec := r.Ledger()
	return rfc6962.DefaultHasher.HashLeaf(rec.LeafData())
}

func checkInclusion(b *Bundle, c Checkpoint) error {
	if b.Record.Index >= c.Size {
		return fmt.Errorf("leaf %d is outside the checkpoint's tree of size %d", b.Record.Index, c.Size)
	}
	if inclusionHolds(b.Record.Index, c.Size, b.LeafHash, b.Inclusion, c.Root) {
		return nil
	}
	path := make([][]byte, len(b.Inclusion))
	for i, h := range b.Inclusion {
		path[i] = h
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, b.Record.Index, c.Size, b.LeafHash, path, c.Root); err != nil {
		return fmt.Errorf("leaf %d is not proven in the tree of size %d: %v", b.Record.Index, c.Size, err)
	}
	return nil
}

// inclusionHolds is RFC 9162's inclusion proof verification (section
// 2.1.3.2) without allocation: it reports whether path proves leaf at
// index in the tree of size with the given root. It is the fast path of
// checkInclusion, which asks the merkle library (for its precise reason)
// only when this says no; a test checks both agree.
func inclusionHolds(index, size uint64, leaf []byte, path []HexBytes, root []byte) bool {
	if index >= size || len(leaf) != sha256.Size || len(root) != sha256.Size {
		return false
	}
	var buf [1 + 2*sha256.Size]byte
	buf[0] = 1 // RFC 6962 interior node prefix
	r := [sha256.Size]byte(leaf)
	fn, sn := index, size-1
	for _, p := range path {
		if sn == 0 || len(p) != sha256.Size {
			return false
		}
		if fn&1 == 1 || fn == sn {
			copy(buf[1:], p)
			copy(buf[1+sha256.Size:], r[:])
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			copy(buf[1:], r[:])
			copy(buf[1+sha256.Size:], p)
		}
		r = sha256.Sum256(buf[:])
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && [sha256.Size]byte(root) == r
}

// signedTx is what one transaction proves, whichever of its objects a
// bundle is about.
type signedTx struct {
	hash    [32]byte
	author  string
	objects [][]byte
	err     error // the transaction does not decode or its signature fails
}

// checkTx decodes a transaction and checks its author's signature with the
// member set.
func checkTx(raw []byte, ms []Member) *signedTx {
	st := &signedTx{hash: sha256.Sum256(raw)}
	t, err := tx.Decode(raw)
	if err != nil {
		st.err = fmt.Errorf("transaction: %v", err)
		return st
	}
	st.author = t.Body.Author
	m, ok := memberByID(ms, t.Body.Author)
	switch {
	case t.Version != 1:
		st.err = fmt.Errorf("transaction is of version %d: its records are proven by a %s bundle", t.Version, BundleFormatV2)
	case !ok:
		st.err = fmt.Errorf("author %q is not in the member set", t.Body.Author)
	case t.Verify(m.SignKey) != nil:
		st.err = fmt.Errorf("transaction signature does not verify with %s's key", t.Body.Author)
	case t.Body.Type != tx.TypePublish && t.Body.Type != tx.TypeSealed:
		st.err = fmt.Errorf("transaction is a %s, neither a publish nor a sealed publish", t.Body.Type)
	}
	if st.err != nil {
		return st
	}
	if st.objects, err = t.Contents(); err != nil {
		st.err = fmt.Errorf("transaction payload: %v", err)
	}
	return st
}

// TxContents decodes a transaction of either version and lists what it
// carries (tx.Tx.Contents); the prover finds a record's position with it.
func TxContents(raw []byte) ([][]byte, error) {
	t, err := tx.Decode(raw)
	if err != nil {
		return nil, err
	}
	return t.Contents()
}

// signedHeader is what the signed header of a version 2 transaction
// proves, whichever of its items a bundle is about.
type signedHeader struct {
	h       tx.Header
	decoded bool  // the header decodes: its items root can be checked against
	err     error // the header does not decode, its author is unknown or the signature fails
}

// checkHeader decodes a v2 header and checks its author's signature with
// the member set.
func checkHeader(header, sig []byte, ms []Member) *signedHeader {
	h, err := tx.DecodeHeader(header)
	if err != nil {
		return &signedHeader{err: fmt.Errorf("transaction header: %v", err)}
	}
	sh := &signedHeader{h: h, decoded: true}
	m, ok := memberByID(ms, h.Author)
	switch {
	case !ok:
		sh.err = fmt.Errorf("author %q is not in the member set", h.Author)
	case tx.VerifyHeader(m.SignKey, header, sig) != nil:
		sh.err = fmt.Errorf("transaction header signature does not verify with %s's key", h.Author)
	}
	return sh
}

// checkAuthorV2 checks the signed header: its author is the record's, the
// author's key in the member set signed it, and it is a publish for a
// plaintext record, a sealed publish for a sealed one.
func checkAuthorV2(b *Bundle, sh *signedHeader) error {
	rec := b.Record
	switch {
	case sh.decoded && sh.h.Author != rec.Author:
		return fmt.Errorf("transaction header is by %q, the record says %q", sh.h.Author, rec.Author)
	case sh.err != nil:
		return sh.err
	case rec.Sealed != nil && sh.h.Type != tx.TypeSealed:
		return fmt.Errorf("the record is sealed but the signed transaction is a %s", sh.h.Type)
	case rec.Sealed == nil && sh.h.Type != tx.TypePublish:
		return fmt.Errorf("the record is plaintext but the signed transaction is a %s", sh.h.Type)
	}
	return nil
}

// checkItem checks that the record's content is item tx_object of the
// signed header's items root: the RFC 6962 leaf H(0x00 || content) with
// item_path proves it in the tree of item_count items.
func checkItem(b *Bundle, sh *signedHeader) error {
	rec := b.Record
	switch {
	case !sh.decoded:
		return fmt.Errorf("no items root to prove the item in: %v", sh.err)
	case (rec.Sealed != nil) == (len(rec.Object) > 0):
		return errors.New("the record must carry exactly one of object and sealed")
	case b.TxObject < 0 || uint64(b.TxObject) >= sh.h.ItemCount:
		return fmt.Errorf("the signed header commits to %d items; the bundle points at item %d", sh.h.ItemCount, b.TxObject)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(rec.content())
	if inclusionHolds(uint64(b.TxObject), sh.h.ItemCount, leaf, b.ItemPath, sh.h.ItemsRoot) {
		return nil
	}
	return fmt.Errorf("the record's object is not proven as item %d of the %d the author signed (items root %x)",
		b.TxObject, sh.h.ItemCount, sh.h.ItemsRoot)
}

// checkAuthor checks the transaction: it hashes to the record's tx hash,
// its author is the record's, the author's key in the member set signed
// it, and it carries the record's object at the stated position.
func checkAuthor(b *Bundle, st *signedTx) error {
	rec := b.Record
	switch {
	case !bytes.Equal(st.hash[:], rec.TxHash):
		return fmt.Errorf("transaction hashes to %x, the record names %x", st.hash, []byte(rec.TxHash))
	case st.author != "" && st.author != rec.Author:
		return fmt.Errorf("transaction is by %q, the record says %q", st.author, rec.Author)
	case st.err != nil:
		return st.err
	case b.TxObject < 0 || b.TxObject >= len(st.objects):
		return fmt.Errorf("transaction carries %d objects; the bundle points at object %d", len(st.objects), b.TxObject)
	case (rec.Sealed != nil) == (len(rec.Object) > 0):
		return errors.New("the record must carry exactly one of object and sealed")
	case !bytes.Equal(st.objects[b.TxObject], rec.content()):
		return fmt.Errorf("object %d of the signed transaction differs from the record's object", b.TxObject)
	}
	return nil
}

func memberByID(ms []Member, id string) (Member, bool) {
	for _, m := range ms {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// VerifyCheckpoint checks a signed checkpoint against a member set:
// the note parses, the next block's header commits to it, the commit signs
// that header and more than 2/3 of the members' voting power signed.
func VerifyCheckpoint(sc SignedCheckpoint, ms []Member) (Checkpoint, Report) {
	var r Report
	c, ok := openCheckpoint(&r, sc, ms)
	if ok {
		bindCheckpoint(&r, c, sc, ms)
	}
	return c, r
}

// openCheckpoint parses the checkpoint note (check "checkpoint").
func openCheckpoint(r *Report, sc SignedCheckpoint, ms []Member) (Checkpoint, bool) {
	c, signers, err := OpenCheckpoint(sc.Note, ms)
	if err != nil {
		r.add(CheckCheckpoint, err, "")
		return c, c.Origin != "" // a bad note signature does not stop the other checks
	}
	by := "no member's note signature verifies; the validators' commit binds it"
	if len(signers) > 0 {
		by = "note signed by " + strings.Join(signers, ", ")
	}
	r.add(CheckCheckpoint, nil, fmt.Sprintf("%s at height %d: size %d, root %x (%s)", c.Origin, c.Height, c.Size, c.Root, by))
	return c, true
}

// bindCheckpoint checks the header and commit that bind a checkpoint
// (checks "app_hash", "header" and "signatures").
func bindCheckpoint(r *Report, c Checkpoint, sc SignedCheckpoint, ms []Member) {
	sb, err := decodeSigned(sc.Header, sc.Commit)
	if err != nil {
		r.add(CheckAppHash, err, "")
		r.add(CheckHeader, err, "")
		r.add(CheckSignatures, err, "")
		return
	}
	r.add(CheckAppHash, checkAppHash(c, sb), fmt.Sprintf("header %d carries app hash %x", sb.header.Height, c.AppHash()))
	r.add(CheckHeader, sb.checkHeader(), fmt.Sprintf("commit signs header %X", []byte(sb.header.Hash())))
	t := tallyCommit(sb.header.ChainID, sb.commit, ms)
	if t.quorum() {
		r.add(CheckSignatures, nil, t.String())
	} else {
		r.add(CheckSignatures, errors.New(t.String()), "")
	}
}

func checkAppHash(c Checkpoint, sb signedBlock) error {
	switch {
	case sb.header.ChainID != c.Origin:
		return fmt.Errorf("header is of chain %q, the checkpoint of %q", sb.header.ChainID, c.Origin)
	case sb.header.Height != c.Height+1:
		return fmt.Errorf("header is of height %d; a checkpoint at height %d is bound by header %d", sb.header.Height, c.Height, c.Height+1)
	case !bytes.Equal(sb.header.AppHash, c.AppHash()):
		return fmt.Errorf("checkpoint gives app hash %x, header %d carries %x", c.AppHash(), sb.header.Height, []byte(sb.header.AppHash))
	}
	return nil
}
