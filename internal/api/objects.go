package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
)

// publish handles POST /v1/objects.
func (s *Server) publish(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	addr, err := parseAddress(q)
	if err != nil {
		return err
	}
	for _, k := range []string{"to", "group", "tlp"} {
		q.Del(k)
	}
	wait, timeout, err := parsePublishQuery(q, s.publishTimeout)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, s.maxBody, "application/json", "application/stix+json")
	if err != nil {
		return err
	}
	var subs []intake.Submission
	if len(addr.To) == 0 && addr.Group == "" && addr.TLP == 0 {
		subs, err = s.backend.Publish(r.Context(), body)
	} else if sh, serr := s.sharing(); serr != nil {
		err = serr
	} else {
		subs, err = sh.PublishTo(r.Context(), body, addr)
	}
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	var warnings []string
	if pw, ok := s.backend.(PublishWarner); ok {
		warnings = pw.PublishWarnings(body)
	}
	return s.answerSubmissions(w, r, subs, wait, timeout, warnings...)
}

// parsePublishQuery reads the wait and timeout parameters of a publish.
func parsePublishQuery(q url.Values, limit time.Duration) (wait bool, timeout time.Duration, err error) {
	if err := allowParams(q, "wait", "timeout"); err != nil {
		return false, 0, err
	}
	if wait, err = parseWait(q.Get("wait")); err != nil {
		return false, 0, err
	}
	if timeout, err = parseTimeout(q.Get("timeout"), limit); err != nil {
		return false, 0, err
	}
	return wait, timeout, nil
}

// fromSubmissions reports what the mempool said of each transaction.
func fromSubmissions(subs []intake.Submission) PublishResult {
	res := PublishResult{Transactions: make([]Transaction, len(subs))}
	for i, sub := range subs {
		res.Transactions[i] = Transaction{
			TxHash: sub.TxHash, Objects: sub.Objects,
			Code: sub.Code, Codename: sub.Codename, Log: sub.Log,
		}
	}
	res.count()
	return res
}

// count sets Accepted and Rejected: the objects carried by accepted and by
// rejected transactions.
func (res *PublishResult) count() {
	res.Accepted, res.Rejected = 0, 0
	for _, tx := range res.Transactions {
		if tx.Code == 0 {
			res.Accepted += len(tx.Objects)
		} else {
			res.Rejected += len(tx.Objects)
		}
	}
}

// waitAll waits until every transaction the mempool accepted is committed
// and records the ledger's outcome of each in res.
func (s *Server) waitAll(ctx context.Context, res *PublishResult, timeout time.Duration) error {
	defer res.count()
	for i := range res.Transactions {
		if res.Transactions[i].Code != 0 {
			continue
		}
		if err := s.waitTx(ctx, &res.Transactions[i], timeout); err != nil {
			return err
		}
	}
	return nil
}

// waitTx waits until tx is committed and records the ledger's outcome in
// it. A wait cut short by ctx (whose deadline is timeout away) is
// errs.Unavailable.
func (s *Server) waitTx(ctx context.Context, tx *Transaction, timeout time.Duration) error {
	out, err := s.backend.Wait(ctx, tx.TxHash)
	if errors.Is(err, context.DeadlineExceeded) {
		return errs.Errorf(errs.Unavailable, "transaction %s not committed within %s; follow it with GET /v1/txs/%s",
			tx.TxHash, timeout, tx.TxHash)
	}
	if errors.Is(err, context.Canceled) {
		return errs.Errorf(errs.Unavailable, "request canceled while waiting for transaction %s", tx.TxHash)
	}
	if err != nil {
		return fmt.Errorf("wait for transaction %s: %w", tx.TxHash, err)
	}
	tx.Height, tx.Code, tx.Codename, tx.Log, tx.Records = out.Height, out.Code, out.Codename, out.Log, out.Records
	return nil
}

// rejection describes the rejected transactions of res, naming the first;
// nil if none was rejected.
func rejection(res PublishResult) error {
	var first *Transaction
	n := 0
	for i := range res.Transactions {
		if res.Transactions[i].Code != 0 {
			n++
			first = cmp.Or(first, &res.Transactions[i])
		}
	}
	if n == 0 {
		return nil
	}
	return errs.Errorf(errs.Rejected, "%d of %d transactions rejected; transaction %s: %s: %s",
		n, len(res.Transactions), first.TxHash, first.Codename, first.Log)
}

// writePublishError writes a failed publish: the error, and what happened
// to each transaction submitted before it.
func (s *Server) writePublishError(w http.ResponseWriter, r *http.Request, res PublishResult, err error) error {
	if len(res.Transactions) == 0 {
		return err
	}
	d := detailOf(err)
	s.logIfInternal(r, d, err)
	res.Error = &d
	writeJSON(w, StatusOf(d.Code), res)
	return nil
}

// getObject handles GET /v1/objects/{id}.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := allowParams(q, "versions"); err != nil {
		return err
	}
	all, err := parseVersions(q.Get("versions"))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	viewer, err := s.viewer(r.Context())
	if err != nil {
		return err
	}
	// Every version, so that the latest one the viewer may read is found
	// even when a newer one is above its clearance.
	vs, err := s.backend.Get(r.Context(), id, true)
	if err != nil && errs.CodeOf(err) != errs.NotFound {
		return fmt.Errorf("get object %s: %w", id, err)
	}
	if vs = readable(viewer, vs); len(vs) == 0 {
		return errs.Errorf(errs.NotFound, "no object %s", id)
	}
	if all {
		writeJSON(w, http.StatusOK, VersionsResponse{Versions: vs})
	} else {
		writeJSON(w, http.StatusOK, vs[len(vs)-1])
	}
	return nil
}

func parseVersions(v string) (all bool, err error) {
	switch v {
	case "", "latest":
		return false, nil
	case "all":
		return true, nil
	}
	return false, errs.Errorf(errs.Invalid, "invalid versions %q: want \"all\" or \"latest\"", v)
}

func parseWait(v string) (bool, error) {
	switch v {
	case "", "false", "0", "none":
		return false, nil
	case "true", "1", "commit":
		return true, nil
	}
	return false, errs.Errorf(errs.Invalid, "invalid wait %q: want \"true\", \"commit\" or \"false\"", v)
}

// parseTimeout reads a timeout in seconds (or a Go duration such as "90s"),
// defaulting to and capped at limit.
func parseTimeout(v string, limit time.Duration) (time.Duration, error) {
	if v == "" {
		return limit, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, perr := strconv.ParseFloat(v, 64)
		if perr != nil {
			return 0, errs.Errorf(errs.Invalid, "invalid timeout %q: want seconds, such as 30", v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 {
		return 0, errs.Errorf(errs.Invalid, "invalid timeout %q: must be positive", v)
	}
	return min(d, limit), nil
}

// readBody reads r's body after checking its media type is one of types,
// refusing bodies over limit without reading them whole.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, types ...string) ([]byte, error) {
	if err := checkMediaType(r.Header.Get("Content-Type"), types); err != nil {
		return nil, err
	}
	if r.ContentLength > limit {
		return nil, errs.Errorf(errs.TooLarge, "%s", tooLargeMessage(limit))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return nil, errs.Errorf(errs.TooLarge, "%s", tooLargeMessage(limit))
	}
	if err != nil {
		return nil, errs.Errorf(errs.Invalid, "read request body: %v", err)
	}
	return body, nil
}

func tooLargeMessage(limit int64) string {
	return fmt.Sprintf("request body exceeds %d bytes", limit)
}

func checkMediaType(header string, types []string) error {
	mt, _, err := mime.ParseMediaType(header)
	if err == nil {
		for _, t := range types {
			if mt == t {
				return nil
			}
		}
	}
	return errs.Errorf(CodeUnsupportedMediaType, "unsupported Content-Type %q: want one of %v", header, types)
}

// allowParams refuses query parameters other than names, so a misspelt
// filter fails instead of being ignored.
func allowParams(q url.Values, names ...string) error {
	for k := range q {
		if !slices.Contains(names, k) {
			return errs.Errorf(errs.Invalid, "unknown query parameter %q; known: %v", k, names)
		}
	}
	return nil
}
