// Package inbound is the edge providers call: /channels/sms/{code} speaks
// Twilio's messaging webhook, /channels/whatsapp/{code} the WhatsApp Cloud
// API's. Each request is authenticated by the provider's signature, made
// with the connection's secret, before anything is stored; then the
// integration service routes its messages. Answers are what the providers
// expect: empty TwiML, the verify challenge, or a bare status.
package inbound

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/provider/twilio"
	"github.com/hookline/hookline/provider/whatsapp"
)

// Config is what the edge needs.
type Config struct {
	Service hookline.InboundService
	// PublicURL is the address providers reach hookline at: Twilio signs
	// the URL it posts to, so the signature is checked over PublicURL and
	// the request's path and query.
	PublicURL string
	Logger    *slog.Logger
}

// Server serves the provider callbacks.
type Server struct {
	svc       hookline.InboundService
	publicURL string
	log       *slog.Logger
	mux       *http.ServeMux
}

// New returns the edge for cfg.
func New(cfg Config) *Server {
	s := &Server{svc: cfg.Service, publicURL: strings.TrimSuffix(cfg.PublicURL, "/"), log: cfg.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.mux.HandleFunc("POST /channels/sms/{code}", s.sms)
	s.mux.HandleFunc("GET /channels/whatsapp/{code}", s.whatsappVerify)
	s.mux.HandleFunc("POST /channels/whatsapp/{code}", s.whatsappEvent)
	return s
}

// Mount is the edge as a part of the top-level handler.
func (s *Server) Mount() edge.Mount {
	return edge.Mount{Pattern: "/channels/", Handler: s.mux, RenderError: s.RenderError}
}

// RenderError answers with err's status and a one-line text: providers
// log it, and retry on 5xx.
func (s *Server) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := "internal error"
	switch hookline.ErrorCode(err) {
	case hookline.CodeInvalid:
		status, msg = http.StatusBadRequest, hookline.ErrorMessage(err)
	case hookline.CodeUnauthorized, hookline.CodeForbidden:
		status, msg = http.StatusForbidden, hookline.ErrorMessage(err)
	case hookline.CodeNotFound:
		status, msg = http.StatusNotFound, hookline.ErrorMessage(err)
	case hookline.CodeTooLarge:
		status, msg = http.StatusRequestEntityTooLarge, hookline.ErrorMessage(err)
	case hookline.CodeUnavailable, hookline.CodeConflict:
		status, msg = http.StatusServiceUnavailable, hookline.ErrorMessage(err)
	}
	if status >= 500 {
		s.log.Error("provider callback failed", "request_id", edge.RequestID(r.Context()), "path", r.URL.Path, "error", err.Error())
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// readBody reads at most limit bytes of the body; more is CodeTooLarge.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, hookline.Errorf(hookline.CodeTooLarge, "the body exceeds %d bytes", limit)
	}
	if err != nil {
		return nil, hookline.Errorf(hookline.CodeInvalid, "the body could not be read: %v", err)
	}
	return body, nil
}

var errSignature = hookline.Errorf(hookline.CodeForbidden, "the request's signature does not verify")

// sms takes a Twilio messaging webhook: form parsed, X-Twilio-Signature
// checked over the public URL and the sorted parameters, messages routed,
// empty TwiML answered.
func (s *Server) sms(w http.ResponseWriter, r *http.Request) {
	conn, err := s.svc.InboundConnection(r.Context(), hookline.ConnectionSMS, r.PathValue("code"))
	if err != nil {
		s.RenderError(w, r, err)
		return
	}
	edge.Annotate(r.Context(), "connection", conn.Code)
	body, err := readBody(w, r, twilio.MaxFormBytes)
	if err != nil {
		s.RenderError(w, r, err)
		return
	}
	params, err := twilio.ParseForm(body)
	if err != nil {
		s.RenderError(w, r, errSignature)
		return
	}
	if !twilio.Verify(conn.Provider.AuthToken, s.publicURL+r.URL.RequestURI(), params, r.Header.Get(twilio.HeaderSignature)) {
		s.RenderError(w, r, errSignature)
		return
	}
	msgs, err := twilio.Message(params)
	if err != nil {
		s.RenderError(w, r, hookline.Errorf(hookline.CodeInvalid, "%v", err))
		return
	}
	if err := s.svc.Receive(r.Context(), conn, msgs); err != nil {
		s.RenderError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, twilio.EmptyTwiML)
}

// whatsappVerify answers the Cloud API's verify handshake.
func (s *Server) whatsappVerify(w http.ResponseWriter, r *http.Request) {
	conn, err := s.svc.InboundConnection(r.Context(), hookline.ConnectionWhatsApp, r.PathValue("code"))
	if err != nil {
		s.RenderError(w, r, err)
		return
	}
	challenge, ok := whatsapp.Handshake(r.URL.Query(), conn.Provider.VerifyToken)
	if !ok {
		s.RenderError(w, r, hookline.Errorf(hookline.CodeForbidden, "hub.mode or hub.verify_token is wrong"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, challenge)
}

// whatsappEvent takes a Cloud API event: X-Hub-Signature-256 checked on
// the raw body before it is parsed, messages routed (media resolved
// first), 200 answered.
func (s *Server) whatsappEvent(w http.ResponseWriter, r *http.Request) {
	conn, err := s.svc.InboundConnection(r.Context(), hookline.ConnectionWhatsApp, r.PathValue("code"))
	if err != nil {
		s.RenderError(w, r, err)
		return
	}
	edge.Annotate(r.Context(), "connection", conn.Code)
	body, err := readBody(w, r, whatsapp.MaxEventBytes)
	if err != nil {
		s.RenderError(w, r, err)
		return
	}
	if !whatsapp.Verify(conn.Provider.AppSecret, body, r.Header.Get(whatsapp.HeaderSignature)) {
		s.RenderError(w, r, errSignature)
		return
	}
	msgs, err := whatsapp.Parse(body)
	if err != nil {
		s.RenderError(w, r, hookline.Errorf(hookline.CodeInvalid, "%v", err))
		return
	}
	if err := s.svc.Receive(r.Context(), conn, msgs); err != nil {
		s.RenderError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
