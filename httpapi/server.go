// Package httpapi serves hookline's JSON API over net/http: routes on the
// standard ServeMux, bearer-key authentication, one decoder for request
// bodies and one mapping from hookline error codes to HTTP. Handlers are
// thin: they decode, call one service method and encode; the use cases
// live in the services (package tenant, package webhook...).
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/edge"
)

// DefaultMaxBodyBytes is the request body limit when Config leaves it zero.
const DefaultMaxBodyBytes = 1 << 20

// Config holds what the API needs: the services, from the root package's
// interfaces; cmd/hookline passes the concrete ones.
type Config struct {
	Tenants   hookline.TenantService
	Keys      hookline.KeyService
	Webhooks  hookline.WebhookService
	Templates hookline.WebhookTemplateService
	// Deliveries is the delivery queue; nil leaves its routes out.
	Deliveries hookline.DeliveryService
	// Apps and Channels are the webhook channels'; nil leaves their
	// routes out.
	Apps     hookline.AppService
	Channels hookline.ChannelService
	// Integrations, Connections and Campaigns are the Custom Webhook
	// integration's services; nil Integrations leaves their routes out.
	Integrations hookline.IntegrationService
	Connections  hookline.ConnectionService
	Campaigns    hookline.CampaignService
	// Bots is the bots' service; nil leaves its routes out.
	Bots hookline.BotService
	// Ready reports whether the store answers; /readyz calls it.
	Ready func(context.Context) error
	// PublicURL is the address outside systems reach hookline at; the
	// OpenAPI document names it as its server.
	PublicURL string
	// MaxBodyBytes limits request bodies (413 beyond it).
	MaxBodyBytes int64
	Logger       *slog.Logger
}

// Server is the HTTP API. It is safe for concurrent use. Mount it with
// package edge, which gives every request an id, a log line and panic
// recovery.
type Server struct {
	tenants      hookline.TenantService
	keys         hookline.KeyService
	webhooks     hookline.WebhookService
	templates    hookline.WebhookTemplateService
	deliveries   hookline.DeliveryService
	apps         hookline.AppService
	channels     hookline.ChannelService
	integrations hookline.IntegrationService
	connections  hookline.ConnectionService
	campaigns    hookline.CampaignService
	bots         hookline.BotService
	ready        func(context.Context) error
	publicURL    string
	maxBodyBytes int64
	log          *slog.Logger
	mux          *http.ServeMux
	resources    []resource
	openAPIDoc   []byte
}

// New returns a Server with every route registered.
func New(cfg Config) (*Server, error) {
	if cfg.Tenants == nil || cfg.Keys == nil || cfg.Ready == nil || cfg.Webhooks == nil || cfg.Templates == nil {
		return nil, errors.New("httpapi: Tenants, Keys, Webhooks, Templates and Ready are required")
	}
	s := &Server{
		tenants:      cfg.Tenants,
		keys:         cfg.Keys,
		webhooks:     cfg.Webhooks,
		templates:    cfg.Templates,
		deliveries:   cfg.Deliveries,
		apps:         cfg.Apps,
		channels:     cfg.Channels,
		integrations: cfg.Integrations,
		connections:  cfg.Connections,
		campaigns:    cfg.Campaigns,
		bots:         cfg.Bots,
		ready:        cfg.Ready,
		publicURL:    strings.TrimSuffix(cfg.PublicURL, "/"),
		maxBodyBytes: cfg.MaxBodyBytes,
		log:          cfg.Logger,
		mux:          http.NewServeMux(),
	}
	if cfg.Integrations != nil && (cfg.Connections == nil || cfg.Campaigns == nil) {
		return nil, errors.New("httpapi: Integrations needs Connections and Campaigns")
	}
	if s.maxBodyBytes <= 0 {
		s.maxBodyBytes = DefaultMaxBodyBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
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

// Mount is the API as a part of the top-level handler: everything no
// other part takes, so that unknown routes answer in the API's format.
func (s *Server) Mount() edge.Mount {
	return edge.Mount{Pattern: "/", Handler: s, RenderError: s.RenderError}
}

// ServeHTTP routes the request, answering unknown routes in the API's
// error format.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
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
		s.RenderError(w, r, hookline.Errorf(hookline.CodeNotFound, "no route for %s %s", r.Method, r.URL.Path))
	default:
		// Redirects to a canonical path and the like: let the mux answer.
		s.mux.ServeHTTP(w, r)
	}
}

// handlerFunc is an API handler. caller is nil on public routes. A returned
// error is written by RenderError; a handler that returns nil has written
// its response.
type handlerFunc func(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var caller *hookline.Caller
		if rt.replyToken && hookline.IsReplyToken(bearerToken(r)) {
			// The service checks the reply token against the route's
			// integration.
			edge.Annotate(r.Context(), "auth", "reply_token")
		} else if !rt.public {
			var err error
			if caller, err = s.authenticate(r); err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hookline"`)
				s.RenderError(w, r, err)
				return
			}
			if caller.KeyID != 0 {
				edge.Annotate(r.Context(), "key_id", caller.KeyID)
			}
			if caller.Tenant != nil {
				edge.Annotate(r.Context(), "tenant_id", caller.Tenant.ID)
			}
		}
		if err := rt.handle(w, r, caller); err != nil {
			s.RenderError(w, r, err)
		}
	})
}

// authenticate reads the request's bearer key and has the key service
// resolve it. Every failure is CodeUnauthorized; the message never echoes
// the key.
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
	return s.keys.Authenticate(r.Context(), token)
}

// bearerToken is the token of a Bearer Authorization header, "" without
// one.
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

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
