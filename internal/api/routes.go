package api

import (
	"net/http"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// handlerFunc is a route's handler: it writes a success response or returns
// an error for the caller to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one endpoint. An empty action means the route is public.
type route struct {
	method  string
	path    string
	action  auth.Action
	handler handlerFunc
}

// routes lists every endpoint the API serves; openapi.json documents each.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/healthz", "", s.healthz},
		{http.MethodGet, "/openapi.json", "", s.openAPI("application/json")},
		{http.MethodGet, "/openapi.yaml", "", s.openAPI("application/yaml")},
		{http.MethodPost, "/v1/objects", auth.ActionPublish, s.publish},
		{http.MethodGet, "/v1/objects/{id}", auth.ActionRead, s.getObject},
		{http.MethodGet, "/v1/search", auth.ActionRead, s.search},
		{http.MethodPost, "/v1/match", auth.ActionRead, s.match},
		{http.MethodGet, "/v1/alerts", auth.ActionRead, s.listAlerts},
		{http.MethodGet, "/v1/txs/{hash}", auth.ActionRead, s.getTx},
		{http.MethodGet, "/v1/export/{format}", auth.ActionRead, s.export},
		{http.MethodGet, "/v1/status", auth.ActionRead, s.status},
		{http.MethodGet, "/v1/members", auth.ActionRead, s.members},
		{http.MethodPost, "/v1/gov/proposals", auth.ActionAdmin, s.propose},
		{http.MethodGet, "/v1/gov/proposals", auth.ActionRead, s.listProposals},
		{http.MethodGet, "/v1/gov/proposals/{id}", auth.ActionRead, s.getProposal},
		{http.MethodPost, "/v1/gov/proposals/{id}/votes", auth.ActionAdmin, s.vote},
		{http.MethodGet, "/v1/gov/params", auth.ActionRead, s.params},
		{http.MethodGet, "/v1/groups", auth.ActionRead, s.listGroups},
		{http.MethodPost, "/v1/groups", auth.ActionPublish, s.changeGroup},
		{http.MethodPost, "/v1/withdrawals", auth.ActionPublish, s.withdraw},
		{http.MethodPost, "/v1/users", auth.ActionAdmin, s.addUser},
		{http.MethodGet, "/v1/users", auth.ActionAdmin, s.listUsers},
		{http.MethodPost, "/v1/users/{name}/grants", auth.ActionAdmin, s.grant},
		{http.MethodPost, "/v1/tokens", auth.ActionAdmin, s.createToken},
		{http.MethodGet, "/v1/tokens", auth.ActionAdmin, s.listTokens},
		{http.MethodDelete, "/v1/tokens/{id}", auth.ActionAdmin, s.revokeToken},
		{http.MethodGet, "/v1/proofs/{id}", auth.ActionRead, s.getProof},
		{http.MethodGet, "/v1/proofs/consistency", auth.ActionRead, s.getConsistency},
		{http.MethodGet, "/v1/checkpoints", auth.ActionRead, s.listCheckpoints},
		{http.MethodGet, "/v1/checkpoints/latest", auth.ActionRead, s.getLatestCheckpoint},
		{http.MethodGet, "/v1/checkpoints/{height}", auth.ActionRead, s.getCheckpoint},
		{http.MethodGet, "/v1/subscriptions", auth.ActionRead, s.listSubscriptions},
		{http.MethodPost, "/v1/subscriptions", auth.ActionRead, s.subscribe},
		{http.MethodDelete, "/v1/subscriptions/{id}", auth.ActionRead, s.unsubscribe},
		{http.MethodGet, "/v1/feed", auth.ActionRead, s.feed},
		{http.MethodGet, "/v1/notifications", auth.ActionRead, s.listNotifications},
		{http.MethodPost, "/v1/notifications/{id}/read", auth.ActionRead, s.markRead},
		{http.MethodPost, "/v1/profile", auth.ActionAdmin, s.updateProfile},
	}
}

func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.endpoint(rt))
	}
	if s.taxii != nil {
		mux.Handle("/taxii2/", s.taxii)
	}
	return mux
}

// endpoint wraps a route's handler with its authorization and error writing.
func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := s.authenticate(r, rt.action)
		if err == nil && rt.action == auth.ActionRead && s.health != nil {
			err = s.health(r.Context()) // data the node may no longer vouch for is not served
		}
		if err == nil {
			err = rt.handler(w, r)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// route dispatches r through the mux, answering unknown routes (404) and
// wrong methods (405) with JSON errors instead of the mux's plain text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	probe := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusNotFound:
		s.writeError(w, r, errs.Errorf(errs.NotFound, "no route for %s %s", r.Method, r.URL.Path))
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, errs.Errorf(CodeMethodNotAllowed, "method %s not allowed for %s; allowed: %s",
			r.Method, r.URL.Path, probe.header.Get("Allow")))
	default: // a redirect to the cleaned path
		h.ServeHTTP(w, r)
	}
}

// headerRecorder records the status and headers a handler writes, and
// discards its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }

func (h *headerRecorder) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *headerRecorder) Write(p []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(p), nil
}
