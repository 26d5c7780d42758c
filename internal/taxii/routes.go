package taxii

import (
	"net/http"
)

// Discovery is the discovery resource (§4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRootInfo is the API root resource (§4.2.1).
type APIRootInfo struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	root := Prefix + "{root}/"
	coll := root + "collections/{collection}/"
	obj := coll + "objects/{object}/"
	for _, rt := range []struct {
		pattern string
		n       needs
		h       handler
	}{
		{"GET " + Prefix + "{$}", needRead, s.discovery},
		{"GET " + root + "{$}", needRead, s.apiRoot},
		{"GET " + root + "status/{status}/{$}", needToken, s.getStatus},
		{"GET " + root + "collections/{$}", needRead, s.getCollections},
		{"GET " + coll + "{$}", needRead, s.getCollection},
		{"GET " + coll + "manifest/{$}", needRead, s.getManifest},
		{"GET " + coll + "objects/{$}", needRead, s.getObjects},
		{"POST " + coll + "objects/{$}", needPublish, s.postObjects},
		{"GET " + obj + "{$}", needRead, s.getObject},
		{"DELETE " + obj + "{$}", needPublish, s.deleteObject},
		{"GET " + obj + "versions/{$}", needRead, s.getVersions},
	} {
		h := rt.h
		if rt.pattern != "GET "+Prefix+"{$}" {
			h = s.inRoot(h)
		}
		mux.Handle(rt.pattern, s.endpoint(rt.n, h))
	}
	return mux
}

// inRoot answers 404 for API roots other than APIRoot.
func (s *Server) inRoot(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, req *request) error {
		if r.PathValue("root") != APIRoot {
			return taxiiErr(http.StatusNotFound, "not found", "no API root %q", clip(r.PathValue("root")))
		}
		return h(w, r, req)
	}
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ *request) error {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	root := scheme + "://" + r.Host + Prefix + APIRoot + "/"
	writeTAXII(w, http.StatusOK, Discovery{
		Title:       "Phalanx TAXII 2.1 server",
		Description: "STIX 2.1 intelligence committed to the Phalanx ledger, as member " + s.cfg.Member + "'s node serves it.",
		Default:     root,
		APIRoots:    []string{root},
	})
	return nil
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request, _ *request) error {
	writeTAXII(w, http.StatusOK, APIRootInfo{
		Title: "Phalanx ledger",
		Description: "One API root for the whole ledger. Pages hold at most 1000 objects; " +
			"larger limits are lowered to 1000.",
		Versions:         []string{MediaType},
		MaxContentLength: s.cfg.MaxContentLength,
	})
	return nil
}
