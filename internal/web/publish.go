package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// valueKind is one kind of indicator value the publish form offers.
type valueKind struct {
	Key, Label, Path string // Path is the STIX pattern's object path
	Placeholder      string
}

var valueKinds = []valueKind{
	{"ipv4", "IPv4 address", "ipv4-addr:value", "198.51.100.7"},
	{"ipv6", "IPv6 address", "ipv6-addr:value", "2001:db8::7"},
	{"domain", "Domain name", "domain-name:value", "evil.example"},
	{"url", "URL", "url:value", "https://evil.example/path"},
	{"email", "E-mail address", "email-addr:value", "phish@evil.example"},
	{"md5", "MD5 hash", "file:hashes.MD5", "32 hex digits"},
	{"sha1", "SHA-1 hash", "file:hashes.'SHA-1'", "40 hex digits"},
	{"sha256", "SHA-256 hash", "file:hashes.'SHA-256'", "64 hex digits"},
}

var (
	domainRE = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	hexRE    = regexp.MustCompile(`^[0-9a-fA-F]+$`)
)

// checkValue validates an indicator value of kind and returns it in the
// form the pattern uses. The page's script applies the same rules as the
// analyst types; this is the check that counts.
func checkValue(kind, value string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", errs.Errorf(errs.Invalid, "the value is empty")
	}
	bad := func(want string) (string, error) {
		return "", errs.Errorf(errs.Invalid, "%q is not %s", value, want)
	}
	switch kind {
	case "ipv4":
		if ip := net.ParseIP(value); ip == nil || ip.To4() == nil || strings.Contains(value, ":") {
			return bad("an IPv4 address")
		}
	case "ipv6":
		if ip := net.ParseIP(value); ip == nil || !strings.Contains(value, ":") {
			return bad("an IPv6 address")
		}
	case "domain":
		if len(value) > 253 || !domainRE.MatchString(value) {
			return bad("a domain name")
		}
		value = strings.ToLower(value)
	case "url":
		u, err := url.Parse(value)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ftp") {
			return bad("an http, https or ftp URL")
		}
	case "email":
		a, err := mail.ParseAddress(value)
		if err != nil || a.Address != value {
			return bad("an e-mail address")
		}
	case "md5", "sha1", "sha256":
		n := map[string]int{"md5": 32, "sha1": 40, "sha256": 64}[kind]
		if len(value) != n || !hexRE.MatchString(value) {
			return bad(fmt.Sprintf("a %s hash (%d hex digits)", strings.ToUpper(kind), n))
		}
		value = strings.ToLower(value)
	default:
		return "", errs.Errorf(errs.Invalid, "unknown value type %q", kind)
	}
	return value, nil
}

// pattern builds the STIX pattern matching value of kind.
func pattern(kind, value string) string {
	for _, k := range valueKinds {
		if k.Key == kind {
			esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(value)
			return "[" + k.Path + " = '" + esc + "']"
		}
	}
	return ""
}

type publishPage struct {
	Kinds   []valueKind
	Levels  []string
	Error   string
	Form    map[string]string
	Members []api.Member    // members a publish may be addressed to
	Groups  []ledger.Group  // sharing groups
	To      map[string]bool // recipients chosen on the form shown again
	Formats []string        // import formats
	Posted  string          // id prefix of the form refused ("ind", "rep", "up", "imp")
}

// postedForm names the publish form a POST to path came from.
var postedForm = map[string]string{"/publish/indicator": "ind", "/publish/report": "rep", "/publish/bundle": "up", "/publish/import": "imp"}

// publishable returns the TLP levels this node may publish.
func (s *Server) publishable() []string {
	if s.cfg.Markings != nil {
		return s.cfg.Markings.PublishableLevels()
	}
	return []string{"clear", "green"}
}

func (s *Server) publishForm(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return s.showPublish(w, r, v, http.StatusOK, "", map[string]string{"marking": "green", "kind": "ipv4"}, nil)
}

// showPublish renders the publish page with the member directory and
// sharing groups the forms address to.
func (s *Server) showPublish(w http.ResponseWriter, r *http.Request, v *Viewer, status int, msg string, form map[string]string, to []string) error {
	data := publishPage{Kinds: valueKinds, Levels: s.publishable(), Error: msg, Form: form, To: map[string]bool{},
		Formats: importFormats, Posted: postedForm[r.URL.Path]}
	var err error
	if data.Members, data.Groups, err = s.directory(r.Context()); err != nil {
		return err
	}
	for _, id := range to {
		data.To[id] = true
	}
	s.render(w, r, status, "publish", v, data)
	return nil
}

// formError shows the publish form again with the analyst's input and the
// reason it was refused.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, v *Viewer, err error) error {
	if errs.CodeOf(err) != errs.Invalid && errs.CodeOf(err) != errs.TooLarge {
		return err
	}
	form := map[string]string{}
	for k := range r.PostForm {
		if k != "csrf" {
			form[k] = r.PostFormValue(k)
		}
	}
	return s.showPublish(w, r, v, api.StatusOf(errs.CodeOf(err)), err.Error(), form, r.PostForm["to"])
}

// common reads the fields every published object shares.
func (s *Server) common(r *http.Request, typ string) (map[string]any, error) {
	level := r.PostFormValue("marking")
	if !slices.Contains(s.publishable(), level) {
		return nil, errs.Errorf(errs.Invalid, "marking %q cannot be published from this node (it offers %s)",
			level, strings.Join(s.publishable(), ", "))
	}
	id, err := newID(typ)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Format("2006-01-02T15:04:05.000Z")
	o := map[string]any{"type": typ, "spec_version": "2.1", "id": id, "created": now, "modified": now,
		"object_marking_refs": []string{tlp2ID[level]}}
	if name := strings.TrimSpace(r.PostFormValue("name")); name != "" {
		o["name"] = name
	}
	if d := strings.TrimSpace(r.PostFormValue("description")); d != "" {
		o["description"] = d
	}
	var labels []string
	for _, l := range strings.Split(r.PostFormValue("labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	if len(labels) > 0 {
		o["labels"] = labels
	}
	return o, nil
}

// publishIndicator builds an indicator from the form and publishes it.
func (s *Server) publishIndicator(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	kind := r.PostFormValue("kind")
	value, err := checkValue(kind, r.PostFormValue("value"))
	if err != nil {
		return s.formError(w, r, v, err)
	}
	o, err := s.common(r, "indicator")
	if err != nil {
		return s.formError(w, r, v, err)
	}
	o["pattern"], o["pattern_type"], o["valid_from"] = pattern(kind, value), "stix", o["created"]
	o["indicator_types"] = []string{"malicious-activity"}
	if o["name"] == nil {
		o["name"] = value
	}
	return s.publishObject(w, r, v, o)
}

// publishReport builds a report from the form and publishes it.
func (s *Server) publishReport(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	o, err := s.common(r, "report")
	if err != nil {
		return s.formError(w, r, v, err)
	}
	if o["name"] == nil {
		return s.formError(w, r, v, errs.Errorf(errs.Invalid, "a report needs a name"))
	}
	refs := strings.Fields(strings.ReplaceAll(r.PostFormValue("object_refs"), ",", " "))
	if len(refs) == 0 {
		return s.formError(w, r, v, errs.Errorf(errs.Invalid, "a report needs at least one object reference"))
	}
	o["object_refs"], o["published"], o["report_types"] = refs, o["created"], []string{"threat-report"}
	return s.publishObject(w, r, v, o)
}

// publishObject publishes one object, waits (bounded) for its commit and
// shows its page; a slow commit shows the progress page instead.
func (s *Server) publishObject(w http.ResponseWriter, r *http.Request, v *Viewer, o map[string]any) error {
	body, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode object: %w", err)
	}
	a, err := address(r)
	if err != nil {
		return s.formError(w, r, v, err)
	}
	subs, err := s.publishAddressed(r.Context(), body, a)
	if err != nil {
		return s.formError(w, r, v, err)
	}
	if len(subs) != 1 || subs[0].Code != 0 {
		return s.formError(w, r, v, errs.Errorf(errs.Invalid, "the node refused the object: %s", submissionLog(subs)))
	}
	id := o["id"].(string)
	out, err := s.waitFor(r, subs[0].TxHash)
	switch {
	case err != nil:
		http.Redirect(w, r, statusURL(subs), http.StatusSeeOther)
	case out.Code != 0:
		return s.formError(w, r, v, errs.Errorf(errs.Invalid, "the ledger rejected the object: %s %s", out.Codename, out.Log))
	default:
		http.Redirect(w, r, "/intel/"+url.PathEscape(id)+"?published=1", http.StatusSeeOther)
	}
	return nil
}

// publishBundle publishes an uploaded STIX bundle and shows its progress.
func (s *Server) publishBundle(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f, _, err := r.FormFile("bundle")
	if err != nil {
		return s.formError(w, r, v, errs.Errorf(errs.Invalid, "choose a STIX bundle file to upload"))
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	if int64(len(body)) > maxUploadBytes {
		return s.formError(w, r, v, errs.Errorf(errs.TooLarge, "the bundle is larger than %d bytes", maxUploadBytes))
	}
	a, err := address(r)
	if err != nil {
		return s.formError(w, r, v, err)
	}
	subs, err := s.publishAddressed(r.Context(), body, a)
	if err != nil {
		return s.formError(w, r, v, err)
	}
	http.Redirect(w, r, statusURL(subs), http.StatusSeeOther)
	return nil
}

// maxStatusTxs bounds the transactions one progress page follows.
const maxStatusTxs = 200

func statusURL(subs []intake.Submission) string {
	q := url.Values{}
	for i, sub := range subs {
		if i == maxStatusTxs {
			break
		}
		q.Add("tx", sub.TxHash)
	}
	return "/publish/status?" + q.Encode()
}

func submissionLog(subs []intake.Submission) string {
	var parts []string
	for _, s := range subs {
		if s.Code != 0 {
			parts = append(parts, s.Codename+": "+s.Log)
		}
	}
	return strings.Join(parts, "; ")
}

type statusPage struct {
	Txs       []txStatus
	Done, All int
	Pending   bool
}

type txStatus struct {
	Hash    string
	State   string // "committed", "rejected", "pending"
	Detail  string
	Height  int64
	Objects []string
}

// publishStatus shows how many of a publish's transactions are committed:
// a <progress> bar, refreshed every second (without JavaScript) until all
// are in.
func (s *Server) publishStatus(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	hashes := r.URL.Query()["tx"]
	if len(hashes) == 0 || len(hashes) > maxStatusTxs {
		return errs.Errorf(errs.Invalid, "give 1 to %d transaction hashes", maxStatusTxs)
	}
	data := statusPage{All: len(hashes)}
	for _, h := range hashes {
		t := txStatus{Hash: h, State: "pending"}
		out, err := s.cfg.Backend.Outcome(r.Context(), h)
		switch {
		case errs.CodeOf(err) == errs.NotFound:
			data.Pending = true
		case err != nil:
			return err
		case out.Code != 0:
			t.State, t.Detail, t.Height = "rejected", out.Codename+": "+out.Log, out.Height
			data.Done++
		default:
			t.State, t.Height = "committed", out.Height
			for _, rec := range out.Records {
				t.Objects = append(t.Objects, rec.ID)
			}
			data.Done++
		}
		data.Txs = append(data.Txs, t)
	}
	s.render(w, r, http.StatusOK, "status", v, data)
	return nil
}

// newID returns a STIX id of typ with a random (version 4) UUID.
func newID(typ string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s--%x-%x-%x-%x-%x", typ, b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// waitFor waits, at most PublishWait, for a transaction to be committed;
// errs.Unavailable when it is not by then.
func (s *Server) waitFor(r *http.Request, hash string) (intake.Outcome, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.PublishWait)
	defer cancel()
	out, err := s.cfg.Backend.Wait(ctx, hash)
	if err != nil && ctx.Err() != nil {
		return out, errs.Errorf(errs.Unavailable, "transaction %s not committed after %s", hash, s.cfg.PublishWait)
	}
	return out, err
}
