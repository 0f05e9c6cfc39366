// Package httpapi serves hookline's JSON API over net/http: routes on the
// standard ServeMux, bearer-key authentication, tenant scoping, one decoder
// for request bodies and one mapping from hookline error codes to HTTP.
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// DefaultMaxBodyBytes is the request body limit when Config leaves it zero.
const DefaultMaxBodyBytes = 1 << 20

// Config holds what the API needs. Services are interfaces from the root
// package; cmd/hookline passes the concrete store.
type Config struct {
	Tenants hookline.TenantService
	Keys    hookline.KeyService
	// Webhooks and WebhookTemplates store the Webhook Builder's
	// definitions; WebhookEngine compiles, runs and fills them.
	Webhooks         hookline.WebhookService
	WebhookTemplates hookline.WebhookTemplateService
	WebhookEngine    hookline.WebhookEngine
	// Ready reports whether the store answers; /readyz calls it.
	Ready func(context.Context) error
	// AdminToken, when set, is accepted as an admin key besides the admin
	// keys stored in Keys.
	AdminToken string
	// MaxBodyBytes limits request bodies (413 beyond it).
	MaxBodyBytes int64
	Logger       *slog.Logger
}

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	tenants      hookline.TenantService
	keys         hookline.KeyService
	webhooks     hookline.WebhookService
	templates    hookline.WebhookTemplateService
	engine       hookline.WebhookEngine
	ready        func(context.Context) error
	adminHash    []byte
	maxBodyBytes int64
	log          *slog.Logger
	mux          *http.ServeMux
	resources    []resource
	openAPIDoc   []byte
}

// New returns a Server with every route registered.
func New(cfg Config) (*Server, error) {
	if cfg.Tenants == nil || cfg.Keys == nil || cfg.Ready == nil ||
		cfg.Webhooks == nil || cfg.WebhookTemplates == nil || cfg.WebhookEngine == nil {
		return nil, errors.New("httpapi: Tenants, Keys, Webhooks, WebhookTemplates, WebhookEngine and Ready are required")
	}
	s := &Server{
		tenants:      cfg.Tenants,
		keys:         cfg.Keys,
		webhooks:     cfg.Webhooks,
		templates:    cfg.WebhookTemplates,
		engine:       cfg.WebhookEngine,
		ready:        cfg.Ready,
		maxBodyBytes: cfg.MaxBodyBytes,
		log:          cfg.Logger,
		mux:          http.NewServeMux(),
	}
	if s.maxBodyBytes <= 0 {
		s.maxBodyBytes = DefaultMaxBodyBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.AdminToken != "" {
		s.adminHash = hookline.HashAPIKey(cfg.AdminToken)
	}
	s.resources = s.api()
	doc, err := s.openAPI()
	if err != nil {
		return nil, err
	}
	s.openAPIDoc = doc
	for _, res := range s.resources {
		for _, rt := range res.routes {
			s.mux.Handle(rt.pattern, s.wrap(rt))
		}
	}
	return s, nil
}

// ServeHTTP gives every request an id, logs it once when it ends, turns
// panics into internal errors and answers unknown routes in the API's error
// format.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &requestInfo{id: requestID(r)}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
	rec := &responseRecorder{ResponseWriter: w, status: http.StatusOK}
	rec.Header().Set("X-Request-Id", info.id)

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "request_id", info.id, "method", r.Method, "path", r.URL.Path,
				"error", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rec.wrote {
				s.writeError(rec, r, fmt.Errorf("panic: %v", v))
			}
		}
		attrs := []any{"request_id", info.id, "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "bytes", rec.bytes, "duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"remote", r.RemoteAddr}
		if info.keyID != 0 {
			attrs = append(attrs, "key_id", info.keyID)
		}
		if info.tenantID != 0 {
			attrs = append(attrs, "tenant_id", info.tenantID)
		}
		s.log.Info("request", attrs...)
	}()

	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(rec, r)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// noRoute answers requests no pattern matches, as the mux would (404, or
// 405 with Allow), but in the API's error format.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{
			Code:    codeMethodNotAllowed,
			Message: fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, probe.header.Get("Allow")),
		}})
	case http.StatusNotFound:
		s.writeError(w, r, hookline.Errorf(hookline.CodeNotFound, "no route for %s %s", r.Method, r.URL.Path))
	default:
		// Redirects to a canonical path and the like: let the mux answer.
		s.mux.ServeHTTP(w, r)
	}
}

// handlerFunc is an API handler. caller is nil on public routes. A returned
// error is written by writeError; a handler that returns nil has written
// its response.
type handlerFunc func(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var caller *hookline.Caller
		if !rt.public {
			var err error
			if caller, err = s.authenticate(r); err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hookline"`)
				s.writeError(w, r, err)
				return
			}
			if info := infoFrom(r.Context()); info != nil {
				info.keyID = caller.KeyID
				if caller.Tenant != nil {
					info.tenantID = caller.Tenant.ID
				}
			}
		}
		if err := rt.handle(w, r, caller); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate resolves the request's bearer key into a Caller. Every
// failure is CodeUnauthorized; the message never echoes the key.
func (s *Server) authenticate(r *http.Request) (*hookline.Caller, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, hookline.Errorf(hookline.CodeUnauthorized, "missing Authorization header; send Authorization: Bearer <API key>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, hookline.Errorf(hookline.CodeUnauthorized, "the Authorization header must be Bearer <API key>")
	}
	hash := hookline.HashAPIKey(token)
	if s.adminHash != nil && subtle.ConstantTimeCompare(hash, s.adminHash) == 1 {
		return &hookline.Caller{}, nil
	}
	invalid := hookline.Errorf(hookline.CodeUnauthorized, "invalid or revoked API key")
	key, err := s.keys.FindKeyByHash(r.Context(), hash)
	if hookline.ErrorCode(err) == hookline.CodeNotFound {
		return nil, invalid
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if key.TenantID == 0 {
		return &hookline.Caller{KeyID: key.ID}, nil
	}
	tenant, err := s.tenants.FindTenant(r.Context(), hookline.AdminScope(), key.TenantID)
	if hookline.ErrorCode(err) == hookline.CodeNotFound {
		// The tenant was deleted while the request was on its way.
		return nil, invalid
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	return &hookline.Caller{KeyID: key.ID, Tenant: tenant}, nil
}

// requestInfo travels with a request so that error logs and the access log
// share its id and caller.
type requestInfo struct {
	id       string
	keyID    int64
	tenantID int64
}

type requestInfoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// RequestID returns the id of the request ctx belongs to, "" outside one.
func RequestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// requestID keeps a well-formed X-Request-Id from a proxy in front of us,
// so that logs correlate, and makes a new one otherwise.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && strings.Trim(id,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return id
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// responseRecorder notes the status and size of a response for the log.
type responseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *responseRecorder) WriteHeader(status int) {
	if !w.wrote {
		w.status = status
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseRecorder) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusProbe records what the mux's own 404/405 handlers would answer.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }
func (p *statusProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}
func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
