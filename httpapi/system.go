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
		schemas: map[string]any{
			"Status": object([]string{"status"}, map[string]any{"status": typed("string", `"ok" or "ready"`)}),
		},
		routes: []route{
			{pattern: "GET /healthz", handle: s.healthz, public: true, doc: &operation{
				summary: "Liveness: the process answers HTTP", status: http.StatusOK, response: "Status"}},
			{pattern: "GET /readyz", handle: s.readyz, public: true, doc: &operation{
				summary: "Readiness: the store answers a query", status: http.StatusOK, response: "Status",
				errors: []int{http.StatusServiceUnavailable}}},
			{pattern: "GET /api/v1/openapi.json", handle: s.openAPIHandler, public: true, doc: &operation{
				summary: "This OpenAPI 3.1 document", status: http.StatusOK}},
		},
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *hookline.Caller) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *hookline.Caller) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return &hookline.Error{Code: hookline.CodeUnavailable, Message: "the store does not answer", Err: fmt.Errorf("readiness check: %w", err)}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) openAPIHandler(w http.ResponseWriter, r *http.Request, _ *hookline.Caller) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openAPIDoc)
	return nil
}
