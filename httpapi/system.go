package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hookline/hookline"
)

// readyTimeout bounds the store check of /readyz.
const readyTimeout = 2 * time.Second

func (s *Server) systemAPI() resource {
	return resource{
		tag: "system",
		routes: []route{
			{pattern: "GET /healthz", handle: s.healthz, public: true, doc: &operation{
				summary: "Liveness: the process answers HTTP", status: http.StatusOK, response: status{}}},
			{pattern: "GET /readyz", handle: s.readyz, public: true, doc: &operation{
				summary: "Readiness: the store (SQLite or PostgreSQL) answers a query", status: http.StatusOK, response: status{},
				errors: []int{http.StatusServiceUnavailable}}},
			{pattern: "GET /api/v1/openapi.json", handle: s.openAPIHandler, public: true, doc: &operation{
				summary: "This OpenAPI 3.1 document", status: http.StatusOK}},
		},
	}
}

// status is the body of the health checks.
type status struct {
	Status string `json:"status" enum:"ok,ready" doc:"ok: the process answers; ready: its store answers too"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *hookline.Caller) error {
	writeJSON(w, http.StatusOK, status{"ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *hookline.Caller) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return &hookline.Error{Code: hookline.CodeUnavailable, Message: "the store does not answer", Err: fmt.Errorf("readiness check: %w", err)}
	}
	writeJSON(w, http.StatusOK, status{"ready"})
	return nil
}

func (s *Server) openAPIHandler(w http.ResponseWriter, r *http.Request, _ *hookline.Caller) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openAPIDoc)
	return nil
}
