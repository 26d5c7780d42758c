package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/importer"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// Bounds of imports from the publish page.
const (
	maxImports    = 32               // imports remembered; the oldest finished one is forgotten first
	importTimeout = 30 * time.Minute // an import running longer is stopped
)

// importFormats are the formats the import form offers (internal/importer).
var importFormats = []string{importer.FormatSTIX, importer.FormatMISP, importer.FormatCSV, importer.FormatText}

// importJob is one import started from the publish page, followed by its
// status page.
type importJob struct {
	ID, Owner, File, Format string
	Started                 time.Time

	mu      sync.Mutex
	stats   importer.Stats
	done    bool
	summary importer.Summary
	err     string
}

// Update implements importer.Progress.
func (j *importJob) Update(s importer.Stats) { j.mu.Lock(); j.stats = s; j.mu.Unlock() }

// Done implements importer.Progress.
func (j *importJob) Done(s importer.Stats) { j.mu.Lock(); j.stats = s; j.mu.Unlock() }

func (j *importJob) finish(sum importer.Summary, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done, j.summary = true, sum
	if err != nil {
		j.err = err.Error()
	}
}

// imports holds the server's import jobs and stops them on Close.
type imports struct {
	mu      sync.Mutex
	jobs    map[string]*importJob
	ctx     context.Context // cancelled by Server.Close
	cancel  context.CancelFunc
	running sync.WaitGroup
}

// Close stops the imports still running (each ends with what it has
// committed so far) and waits for them.
func (s *Server) Close() error {
	s.imports.cancel()
	s.imports.running.Wait()
	return nil
}

// add remembers j, forgetting the oldest finished job beyond maxImports;
// errs.Unavailable when maxImports are still running.
func (im *imports) add(j *importJob) error {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.jobs == nil {
		im.jobs = map[string]*importJob{}
	}
	if len(im.jobs) >= maxImports {
		var oldest *importJob
		for _, x := range im.jobs {
			x.mu.Lock()
			done := x.done
			x.mu.Unlock()
			if done && (oldest == nil || x.Started.Before(oldest.Started)) {
				oldest = x
			}
		}
		if oldest == nil {
			return errs.Errorf(errs.Unavailable, "%d imports are running on this node; try again when one is done", maxImports)
		}
		delete(im.jobs, oldest.ID)
	}
	im.jobs[j.ID] = j
	return nil
}

func (im *imports) get(id string) (*importJob, bool) {
	im.mu.Lock()
	defer im.mu.Unlock()
	j, ok := im.jobs[id]
	return j, ok
}

// startImport saves the uploaded file (at most maxUploadBytes) and runs
// internal/importer on it in the background, publishing through the same
// path as the publish forms; the browser is sent to the import's status
// page.
func (s *Server) startImport(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	format := r.PostFormValue("format")
	if format != "" && !slices.Contains(importFormats, format) {
		return s.formError(w, r, v, errs.Errorf(errs.Invalid, "format %q: want one of stix, misp, csv, text (or none to decide from the file)", format))
	}
	a, err := address(r)
	if err != nil {
		return s.formError(w, r, v, err)
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return s.formError(w, r, v, errs.Errorf(errs.Invalid, "choose a MISP event, STIX bundle or IOC list file to import"))
	}
	defer f.Close()
	path, err := s.saveUpload(f, hdr.Filename)
	if err != nil {
		return s.formError(w, r, v, err)
	}
	src, err := importer.Open(path, importer.Options{Format: format, Now: s.now()})
	if err != nil {
		os.RemoveAll(filepath.Dir(path))
		return s.formError(w, r, v, errs.Errorf(errs.Invalid, "%s: %v", hdr.Filename, err))
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("import id: %w", err)
	}
	j := &importJob{ID: hex.EncodeToString(id), Owner: v.TokenID, File: hdr.Filename, Format: format, Started: s.now()}
	if j.Format == "" {
		j.Format = "decided from the file"
	}
	if err := s.imports.add(j); err != nil {
		src.Close()
		os.RemoveAll(filepath.Dir(path))
		return err
	}
	ctx, cancel := context.WithTimeout(s.imports.ctx, importTimeout)
	s.imports.running.Add(1)
	go func() {
		defer s.imports.running.Done()
		defer cancel()
		defer os.RemoveAll(filepath.Dir(path))
		defer src.Close()
		sum, err := importer.Run(ctx, importer.Config{Source: src, Ledger: uiLedger{s: s, addr: a}, Progress: j})
		j.finish(sum, err)
		s.log.InfoContext(ctx, "web import done", "by", v.TokenID, "import", j.ID, "accepted", sum.Accepted,
			"duplicate", sum.Duplicate, "rejected", sum.Rejected, "err", err)
	}()
	http.Redirect(w, r, "/publish/imports/"+j.ID, http.StatusSeeOther)
	return nil
}

// saveUpload writes an upload to a new temporary directory, refusing it
// beyond maxUploadBytes, and returns the file's path.
func (s *Server) saveUpload(f io.Reader, name string) (string, error) {
	dir, err := os.MkdirTemp("", "phalanx-import-")
	if err != nil {
		return "", fmt.Errorf("save upload: %w", err)
	}
	base := filepath.Base(filepath.Clean("/" + name))
	if base == "/" || base == "." {
		base = "upload"
	}
	path := filepath.Join(dir, base)
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("save upload: %w", err)
	}
	n, err := io.Copy(out, io.LimitReader(f, maxUploadBytes+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		os.RemoveAll(dir)
		return "", fmt.Errorf("save upload: %w", err)
	case n > maxUploadBytes:
		os.RemoveAll(dir)
		return "", errs.Errorf(errs.TooLarge, "the file is larger than %d bytes", maxUploadBytes)
	case n == 0:
		os.RemoveAll(dir)
		return "", errs.Errorf(errs.Invalid, "the file is empty")
	}
	return path, nil
}

type importPage struct {
	Job     *importJob
	Stats   importer.Stats
	Done    bool
	Summary importer.Summary
	Err     string
	Percent int64
	Reasons []reasonCount
}

type reasonCount struct {
	Reason string
	Count  int64
}

// importStatus shows an import's progress (a <progress> bar, the page
// refreshing itself every second without JavaScript) and, at the end, its
// summary. Only the token that started an import sees it.
func (s *Server) importStatus(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	j, ok := s.imports.get(r.PathValue("id"))
	if !ok || j.Owner != v.TokenID {
		return errs.Errorf(errs.NotFound, "no import %s on this node for this sign-in", r.PathValue("id"))
	}
	j.mu.Lock()
	data := importPage{Job: j, Stats: j.stats, Done: j.done, Summary: j.summary, Err: j.err}
	j.mu.Unlock()
	if data.Stats.Total > 0 {
		data.Percent = min(100, data.Stats.Done*100/data.Stats.Total)
	}
	if data.Done && data.Err == "" {
		data.Percent = 100
	}
	for reason, n := range data.Summary.Reasons {
		data.Reasons = append(data.Reasons, reasonCount{reason, n})
	}
	sort.Slice(data.Reasons, func(a, b int) bool {
		x, y := data.Reasons[a], data.Reasons[b]
		return x.Count > y.Count || x.Count == y.Count && x.Reason < y.Reason
	})
	s.render(w, r, http.StatusOK, "import", v, data)
	return nil
}

// uiLedger is the importer's Ledger over the node's own Backend: it
// publishes each batch through the publish forms' path (sealing for the
// chosen recipients) and waits for the commits.
type uiLedger struct {
	s    *Server
	addr intake.Address
}

// Known implements importer.Ledger from the node's read model.
func (l uiLedger) Known(ctx context.Context, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, id := range ids {
		vs, err := l.s.cfg.Backend.Get(ctx, id, true)
		if errs.CodeOf(err) == errs.NotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("look up %s: %w", id, err)
		}
		for _, x := range vs {
			out[id] = append(out[id], x.Version)
		}
	}
	return out, nil
}

// Publish implements importer.Ledger: one bundle, every transaction
// waited for; private objects (a MISP event's "your organisation only")
// are sealed for this node's member alone.
func (l uiLedger) Publish(ctx context.Context, objs []*stix.Object, private bool) ([]importer.TxResult, error) {
	addr := l.addr
	if private {
		st, err := l.s.cfg.Backend.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("this node's member: %w", err)
		}
		addr = intake.Address{To: []string{st.Member}, TLP: l.addr.TLP}
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--8d0c2f4e-1b7a-4c3e-9f6d-5a2e7b9c1d40","objects":[`)
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.Raw)
	}
	b.WriteString("]}")
	subs, err := l.s.publishAddressed(ctx, b.Bytes(), addr)
	if err != nil {
		return nil, err
	}
	out := make([]importer.TxResult, 0, len(subs))
	covered := 0
	for _, sub := range subs {
		res := importer.TxResult{Objects: len(sub.Objects)}
		if sub.Code != 0 {
			res.Reason = sub.Codename + ": " + sub.Log
		} else if o, err := l.s.cfg.Backend.Wait(ctx, sub.TxHash); err != nil {
			return nil, fmt.Errorf("wait for %s: %w", sub.TxHash, err)
		} else if o.Code != 0 {
			res.Reason = o.Codename + ": " + o.Log
		} else {
			res.Accepted = true
		}
		covered += res.Objects
		out = append(out, res)
	}
	if covered != len(objs) {
		return nil, fmt.Errorf("the node reported %d of %d objects", covered, len(objs))
	}
	return out, nil
}
