package web

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/proof"
)

// proofURL is the UI page of the proof of a record version ("" = the
// newest version the viewer may see).
func proofURL(id, version string) string { return proofPath(id, version, "proof") }

// proofPath is the UI path /intel/ID/NAME of a record version's proof.
func proofPath(id, version, name string) string {
	u := "/intel/" + url.PathEscape(id) + "/" + name
	if version != "" {
		u += "?version=" + url.QueryEscape(version)
	}
	return u
}

// proofPage renders a proof bundle's parts, the node's own verification
// of it, and what the in-page verifier (static/verify.js) needs.
type proofPage struct {
	Item
	Bundle     *proof.Bundle
	LeafHash   string
	TxHash     string
	TxBytes    int
	Inclusion  []string
	Note       string
	HeaderHex  string
	CommitHex  string
	Checkpoint proof.Checkpoint
	Binding    int64          // the block whose header and commit bind the checkpoint
	Node       proof.Report   // the node's own verification: a claim, not a proof
	Members    []proof.Member // the member directory the page verifies against
	JSONURL    string         // the bundle download
}

// objectProof is the proof page of a record version: the bundle's parts and
// the node's own verification; with JavaScript the page verifies the
// bundle itself.
func (s *Server) objectProof(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	rec, b, err := s.bundleFor(r, v)
	if err != nil {
		return err
	}
	ms, err := s.memberSet(r)
	if err != nil {
		return err
	}
	data := proofPage{Item: item(rec), Bundle: b, LeafHash: hex.EncodeToString(b.LeafHash),
		TxHash: hex.EncodeToString(b.Record.TxHash), TxBytes: len(b.Tx), Note: b.Checkpoint.Note,
		HeaderHex: hex.EncodeToString(b.Checkpoint.Header), CommitHex: hex.EncodeToString(b.Checkpoint.Commit),
		Node: proof.Verify(b, ms), Members: ms, JSONURL: proofPath(rec.ID, rec.Version, "proof.json")}
	for _, h := range b.Inclusion {
		data.Inclusion = append(data.Inclusion, hex.EncodeToString(h))
	}
	data.Checkpoint, _, _ = proof.OpenCheckpoint(b.Checkpoint.Note, ms)
	data.Binding = data.Checkpoint.Height + 1
	s.render(w, r, http.StatusOK, "proof", v, data)
	return nil
}

// objectProofJSON downloads the proof bundle of a record version, exactly
// as GET /v1/proofs/{id} serves it.
func (s *Server) objectProofJSON(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	rec, b, err := s.bundleFor(r, v)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("encode proof of %s: %w", rec.ID, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="proof.json"`)
	_, _ = w.Write(append(body, '\n'))
	return nil
}

// bundleFor finds the record version a proof route names (?version=, or
// the newest the viewer may see) and its proof bundle. A record the viewer
// may not see has no proof for them either.
func (s *Server) bundleFor(r *http.Request, v *Viewer) (projection.Version, *proof.Bundle, error) {
	if s.cfg.Proofs == nil {
		return projection.Version{}, nil, errs.Errorf(errs.NotFound, "this node does not serve proofs")
	}
	id, q := r.PathValue("id"), r.URL.Query()
	for k := range q {
		if k != "version" {
			return projection.Version{}, nil, errs.Errorf(errs.Invalid, "unknown parameter %q; only version is allowed", k)
		}
	}
	vs, err := s.cfg.Backend.Get(r.Context(), id, true)
	if err != nil {
		return projection.Version{}, nil, fmt.Errorf("get %s: %w", id, err)
	}
	vs = s.visible(v, vs)
	if len(vs) == 0 {
		return projection.Version{}, nil, errs.Errorf(errs.NotFound, "no object %q on this node", id)
	}
	rec := vs[len(vs)-1]
	for _, x := range vs {
		if x.Latest {
			rec = x
		}
	}
	if q.Has("version") {
		found := false
		for _, x := range vs {
			if x.Version == q.Get("version") {
				rec, found = x, true
			}
		}
		if !found {
			return projection.Version{}, nil, errs.Errorf(errs.NotFound, "no version %q of %s on this node", q.Get("version"), id)
		}
	}
	b, err := s.cfg.Proofs.Bundle(r.Context(), id, rec.Version)
	if err != nil {
		return projection.Version{}, nil, fmt.Errorf("proof of %s: %w", id, err)
	}
	if b.Record.ObjectID != id {
		return projection.Version{}, nil, errs.Errorf(errs.Internal, "proof of %s: the bundle is about %s", id, b.Record.ObjectID)
	}
	return rec, b, nil
}

// memberSet is the member directory as the verifier reads it (the shape
// of `phalanx members --json`).
func (s *Server) memberSet(r *http.Request) ([]proof.Member, error) {
	ms, err := s.cfg.Backend.Members(r.Context())
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	return membersOf(ms)
}

func membersOf(ms []api.Member) ([]proof.Member, error) {
	out := make([]proof.Member, 0, len(ms))
	for _, m := range ms {
		sign, err1 := base64.StdEncoding.DecodeString(m.SignKey)
		val, err2 := base64.StdEncoding.DecodeString(m.ValidatorKey)
		if err1 != nil || err2 != nil {
			return nil, errs.Errorf(errs.Internal, "member %s has a key that is not base64", m.ID)
		}
		out = append(out, proof.Member{ID: m.ID, SignKey: sign, ValidatorKey: val, Power: m.Power, Status: m.Status})
	}
	return out, nil
}

type checkpointPage struct {
	Checkpoint proof.Checkpoint
	Signed     proof.SignedCheckpoint
	Text       string // the note text the node's signature covers
	Node       proof.Report
	Latest     int64
	Prev, Next int64 // neighbouring heights; 0 when there is none
	Binding    int64 // the block whose header and commit bind it
}

// checkpoint shows the signed checkpoint at a height (or the latest): its
// note text, what it commits to and the node's verification of it.
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if s.cfg.Proofs == nil {
		return errs.Errorf(errs.NotFound, "this node does not serve checkpoints")
	}
	latest := s.cfg.Proofs.Latest()
	h := latest
	if hs := r.PathValue("height"); hs != "latest" {
		var err error
		if h, err = strconv.ParseInt(hs, 10, 64); err != nil || h < 0 {
			return errs.Errorf(errs.Invalid, "height %q: want a number of at least 0, or latest", hs)
		}
	}
	sc, c, err := s.cfg.Proofs.Checkpoint(r.Context(), h)
	if err != nil {
		return fmt.Errorf("checkpoint %d: %w", h, err)
	}
	ms, err := s.memberSet(r)
	if err != nil {
		return err
	}
	_, rep := proof.VerifyCheckpoint(sc, ms)
	text, _, _ := strings.Cut(sc.Note, "\n\n")
	data := checkpointPage{Checkpoint: c, Signed: sc, Text: text + "\n", Node: rep, Latest: latest, Binding: h + 1}
	if h > 0 {
		data.Prev = h - 1
	}
	if h < latest {
		data.Next = h + 1
	}
	s.render(w, r, http.StatusOK, "checkpoint", v, data)
	return nil
}
