package web

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/auth"
)

//go:embed templates/*.html static/*
var assets embed.FS

// pages holds each page's template, parsed together with the layout.
type pages map[string]*template.Template

var pageNames = []string{"login", "error", "dashboard", "intel", "object", "publish", "status",
	"community", "ledger", "block", "tx", "settings", "proof", "checkpoint", "import", "feed"}

func parsePages() (pages, error) {
	p := pages{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p[name] = t
	}
	return p, nil
}

// view is what the layout renders: the page's own data in Data.
type view struct {
	Page   string
	Viewer *Viewer
	Data   any
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"short": func(s string, n int) string {
		if len(s) <= n {
			return s
		}
		return s[:n] + "…"
	},
	"join": strings.Join,
	"can": func(v *Viewer, action string) bool {
		return v != nil && auth.Role(v.Role).Can(auth.Action(action))
	},
	"tlp":       tlpOf,
	"proofURL":  proofURL,
	"b64":       base64.StdEncoding.EncodeToString,
	"addressOf": addressOf,
}

// render writes page name with status. It renders into a buffer first so
// that a template error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v *Viewer, data any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", view{Page: name, Viewer: v, Data: data}); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
