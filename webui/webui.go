// Package webui serves hookline's web UI under /ui/: server-rendered pages
// (html/template, parsed at start-up so that a broken template fails the
// start) and static files, both embedded in the binary. It is an edge like
// the JSON API: its handlers decode a form, call the same service methods
// the API calls, and render the result; it reaches neither the API nor the
// store. People sign in with an API key and get a session cookie; every
// form that changes something carries a per-session CSRF token.
package webui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/edge"
)

// Prefix is where the UI is mounted.
const Prefix = "/ui/"

//go:embed templates static
var files embed.FS

// DefaultMaxBodyBytes bounds a form's body when Config leaves it zero.
const DefaultMaxBodyBytes = 1 << 20

// Config holds what the UI needs: the services, from the root package's
// interfaces; cmd/hookline passes the concrete ones.
type Config struct {
	Tenants      hookline.TenantService
	Webhooks     hookline.WebhookService
	Templates    hookline.WebhookTemplateService
	Deliveries   hookline.DeliveryService
	Sessions     hookline.SessionService
	Integrations hookline.IntegrationService
	Connections  hookline.ConnectionService
	Campaigns    hookline.CampaignService
	Bots         hookline.BotService
	Apps         hookline.AppService
	Channels     hookline.ChannelService
	// PublicURL is the address people reach hookline at; when it is
	// https, the session cookie is Secure.
	PublicURL string
	// MaxBodyBytes bounds a form's body (413 beyond it).
	MaxBodyBytes int64
	Logger       *slog.Logger
}

// Server is the web UI. It is safe for concurrent use.
type Server struct {
	tenants      hookline.TenantService
	webhooks     hookline.WebhookService
	templates    hookline.WebhookTemplateService
	deliveries   hookline.DeliveryService
	sessions     hookline.SessionService
	integrations hookline.IntegrationService
	connections  hookline.ConnectionService
	campaigns    hookline.CampaignService
	bots         hookline.BotService
	apps         hookline.AppService
	channels     hookline.ChannelService
	secure       bool
	maxBodyBytes int64
	log          *slog.Logger
	pages        map[string]*template.Template
	static       http.Handler
	sections     []section
	mux          *http.ServeMux
}

// New returns the UI with its templates parsed: a template that does not
// parse is an error here, not on a user's request.
func New(cfg Config) (*Server, error) {
	return newServer(cfg, files)
}

func newServer(cfg Config, fsys fs.FS) (*Server, error) {
	if cfg.Tenants == nil || cfg.Webhooks == nil || cfg.Templates == nil || cfg.Deliveries == nil || cfg.Sessions == nil ||
		cfg.Integrations == nil || cfg.Connections == nil || cfg.Campaigns == nil || cfg.Bots == nil || cfg.Apps == nil || cfg.Channels == nil {
		return nil, errors.New("webui: Tenants, Webhooks, Templates, Deliveries, Sessions, Integrations, Connections, Campaigns, Bots, Apps and Channels are required")
	}
	s := &Server{
		tenants:      cfg.Tenants,
		webhooks:     cfg.Webhooks,
		templates:    cfg.Templates,
		deliveries:   cfg.Deliveries,
		sessions:     cfg.Sessions,
		integrations: cfg.Integrations,
		connections:  cfg.Connections,
		campaigns:    cfg.Campaigns,
		bots:         cfg.Bots,
		apps:         cfg.Apps,
		channels:     cfg.Channels,
		secure:       strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://"),
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
	var err error
	if s.pages, err = parsePages(fsys); err != nil {
		return nil, err
	}
	static, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, fmt.Errorf("webui: static files: %w", err)
	}
	s.static = http.StripPrefix(Prefix+"static/", http.FileServerFS(static))
	s.sections = s.allSections()
	for _, rt := range s.accountRoutes() {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	for _, sec := range s.sections {
		for _, rt := range sec.routes {
			s.mux.Handle(rt.pattern, s.wrap(rt))
		}
	}
	return s, nil
}

// Mount is the UI as a part of the top-level handler.
func (s *Server) Mount() edge.Mount {
	return edge.Mount{Pattern: Prefix, Handler: s, RenderError: s.renderError}
}

// ServeHTTP serves a page, a static file, or the UI's not-found page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.renderError(w, r, hookline.Errorf(hookline.CodeNotFound, "there is no page at %s", r.URL.Path))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// securityHeaders keep the pages to their own scripts and styles, out of
// other sites' frames, and out of caches: they show a tenant's data.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

// A section is one entry of the navigation and the pages under it. The
// navigation lists the sections in order; a later part of the UI (bots,
// integrations, connections, campaigns) is one more section in
// allSections, with its own file of handlers and templates.
type section struct {
	label string
	// path is the section's page in the navigation; a request whose path
	// starts with it marks the section current.
	path string
	// also lists other paths whose pages belong to the section.
	also []string
	// admin keeps the section out of the navigation of callers without an
	// admin key; its pages still answer them, within their scope.
	admin  bool
	routes []route
}

// current reports whether the page at path belongs to the section.
func (sec section) current(path string) bool {
	for _, p := range append([]string{sec.path}, sec.also...) {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// allSections lists the UI's sections in navigation order.
func (s *Server) allSections() []section {
	return []section{
		s.dashboardSection(),
		s.webhookSection(),
		s.botSection(),
		s.integrationSection(),
		s.connectionSection(),
		s.campaignSection(),
		s.deliverySection(),
		s.approvalSection(),
	}
}

// route is one page or form action. Routes are signed in unless public;
// signed-in routes that change something (any method but GET and HEAD)
// check the session's CSRF token.
type route struct {
	pattern string
	handle  handlerFunc
	public  bool
}

// handlerFunc handles a request. A returned error is rendered as the UI's
// error page; a handler that returns nil has written its response.
type handlerFunc func(w http.ResponseWriter, r *http.Request, q *request) error

// request is what a signed-in request carries besides the HTTP request.
type request struct {
	caller *hookline.Caller
	// csrf is the session's CSRF token, which every form sends back.
	csrf string
}

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBodyBytes)
		q := &request{}
		if !rt.public {
			cookie, _ := r.Cookie(sessionCookie)
			var token string
			if cookie != nil {
				token = cookie.Value
			}
			caller, _, err := s.sessions.SessionCaller(r.Context(), token)
			if hookline.ErrorCode(err) == hookline.CodeUnauthorized {
				if cookie != nil {
					s.clearCookie(w, sessionCookie)
				}
				s.toSignIn(w, r)
				return
			}
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			q.caller, q.csrf = caller, csrfToken(token)
			if caller.KeyID != 0 {
				edge.Annotate(r.Context(), "key_id", caller.KeyID)
			}
			if caller.Tenant != nil {
				edge.Annotate(r.Context(), "tenant_id", caller.Tenant.ID)
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				if err := s.checkCSRF(r, q.csrf); err != nil {
					s.renderError(w, r, err)
					return
				}
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		if err := rt.handle(w, r, q); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// toSignIn sends a signed-out request to the sign-in page, which brings a
// GET back to where it was going.
func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request) {
	target := Prefix + "sign-in"
	if r.Method == http.MethodGet && r.URL.Path != Prefix {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// redirect answers a form with a redirect to a page (303: the browser
// follows it with a GET), so that reloading the page does not send the
// form again.
func redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// layout is what every signed-in page shows around its content.
type layout struct {
	Title string
	Nav   []navLink
	// Who names the signed-in caller.
	Who  string
	CSRF string
	// Notice is a one-line confirmation, such as "Webhook saved".
	Notice string
	// Main is the page's own data.
	Main any
}

type navLink struct {
	Label, Path string
	Current     bool
}

// page renders a signed-in page with status.
func (s *Server) page(w http.ResponseWriter, r *http.Request, q *request, status int, name, title string, main any) error {
	l := layout{Title: title, CSRF: q.csrf, Notice: notices[r.URL.Query().Get("notice")], Main: main}
	if q.caller != nil {
		l.Who = who(q.caller)
		for _, sec := range s.sections {
			if sec.admin && !q.caller.IsAdmin() {
				continue
			}
			l.Nav = append(l.Nav, navLink{Label: sec.label, Path: sec.path, Current: sec.current(r.URL.Path)})
		}
	}
	return s.render(w, status, name, l)
}

// render executes a page into a buffer first, so that a failing template
// gives an error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("webui: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("webui: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// notices are the confirmations a redirect may ask a page to show, by
// key, so that no text of the URL ends up on the page.
var notices = map[string]string{
	"created":   "Webhook created.",
	"saved":     "Webhook saved.",
	"deleted":   "Webhook deleted.",
	"retried":   "The delivery is queued again.",
	"signedout": "You are signed out.",

	"integration-saved":   "Integration saved.",
	"integration-deleted": "Integration deleted.",
	"integration-started": "Integration started: it forwards its chats.",
	"integration-stopped": "Integration stopped.",
	"replied":             "The reply is queued for delivery to the contact.",
	"connection-created":  "Connection created. Configure its inbound URL at the provider.",
	"connection-deleted":  "Connection deleted.",
	"campaign-created":    "Campaign created as a draft: make it live when it is ready.",
	"campaign-live":       "The campaign is live.",
	"campaign-paused":     "The campaign is paused.",
	"campaign-deleted":    "Campaign deleted.",
	"bot-imported":        "Bot imported.",
	"bot-deleted":         "Bot deleted.",
	"channel-created":     "Channel created. It answers once the operator approves it.",
	"channel-enabled":     "Channel enabled.",
	"channel-disabled":    "Channel disabled.",
	"channel-approved":    "Channel approved: it answers its calls now.",
	"channel-app":         "The app is associated with the channel.",
	"channel-deleted":     "Channel deleted.",
}

// who names a caller for the page header.
func who(c *hookline.Caller) string {
	if c.IsAdmin() {
		return "Operator (admin key)"
	}
	return fmt.Sprintf("%s (%s)", c.Tenant.Name, c.Tenant.Kind)
}

// errorPage is the data of the error page.
type errorPage struct {
	Status    int
	Message   string
	RequestID string
	SignIn    bool
}

// renderError renders an error as the UI's error page: its status from the
// error's code, its message unless it is internal, which is logged and
// shown as the request id only.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	msg := hookline.ErrorMessage(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("the form is larger than %d bytes", mbe.Limit)
	}
	if status == http.StatusInternalServerError {
		s.log.Error("web UI error", "request_id", edge.RequestID(r.Context()), "method", r.Method, "path", r.URL.Path, "error", err.Error())
	}
	securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	data := layout{Title: http.StatusText(status), Main: errorPage{Status: status, Message: msg,
		RequestID: edge.RequestID(r.Context()), SignIn: status == http.StatusUnauthorized}}
	if rerr := s.render(w, status, "error", data); rerr != nil {
		s.log.Error("web UI error page", "error", rerr.Error())
		http.Error(w, msg, status)
	}
}

// statusOf maps an error's code to the page's HTTP status.
func statusOf(err error) int { return edge.StatusOf(hookline.ErrorCode(err)) }
