// Package hook is the edge outside systems talk to bots through (seed
// 004): POST /chatbot/hooks/{botId} (the bot's first webhook channel) and
// POST /chatbot/hooks/{botId}/hookInstance/{id}. It authenticates a call
// by its JWT (Authorization: bearer <JWT>), decodes the payload, hands it
// to the channel service and writes the answer: {"text": [...]} in sync
// mode, an empty 200 in async mode. Errors are rendered here, in this
// edge's own JSON, from the same hookline.Error every layer returns.
package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/edge"
)

// Prefix is the path under which the hooks answer.
const Prefix = "/chatbot/hooks/"

// Handler serves the hooks. It is safe for concurrent use.
type Handler struct {
	hooks hookline.HookService
	log   *slog.Logger
	mux   *http.ServeMux
}

// New returns the hooks' handler over the channel service.
func New(hooks hookline.HookService, log *slog.Logger) (*Handler, error) {
	if hooks == nil {
		return nil, errors.New("hook: a HookService is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{hooks: hooks, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /chatbot/hooks/{botId}", h.serveFirst)
	h.mux.HandleFunc("POST /chatbot/hooks/{botId}/hookInstance/{id}", h.serveInstance)
	return h, nil
}

// Mount is the hooks as a part of the top-level handler.
func (h *Handler) Mount() edge.Mount {
	return edge.Mount{Pattern: Prefix, Handler: h, RenderError: h.RenderError}
}

// ServeHTTP routes a call; unknown paths and methods answer in this edge's
// error format.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern != "" {
		h.mux.ServeHTTP(w, r)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, Prefix)
	if n := strings.Count(path, "/"); r.Method != http.MethodPost && (n == 0 || n == 2 && strings.Contains(path, "/hookInstance/")) {
		w.Header().Set("Allow", http.MethodPost)
		h.render(w, r, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("use POST on %s", r.URL.Path), "")
		return
	}
	h.RenderError(w, r, hookline.Errorf(hookline.CodeNotFound, "no hook at %s; hooks are POST /chatbot/hooks/{botId} and /chatbot/hooks/{botId}/hookInstance/{id}", r.URL.Path))
}

func (h *Handler) serveFirst(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, false)
}

func (h *Handler) serveInstance(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, true)
}

// serve is one call: the route's ids, the token, the channel's check, the
// payload, the answer.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, instance bool) {
	botID, ok := pathID(r, "botId")
	var id int64
	if instance {
		var okID bool
		id, okID = pathID(r, "id")
		ok = ok && okID
	}
	if !ok {
		h.RenderError(w, r, hookline.Errorf(hookline.CodeNotFound, "no hook at %s: the bot and channel ids are numbers", r.URL.Path))
		return
	}
	token, err := bearer(r)
	if err != nil {
		h.RenderError(w, r, err)
		return
	}
	ch, err := h.hooks.AuthenticateHook(r.Context(), botID, id, token)
	if err != nil {
		h.RenderError(w, r, err)
		return
	}
	edge.Annotate(r.Context(), "bot_id", ch.BotID, "channel_id", ch.ID)
	if r.ContentLength > hookline.MaxHookBodyBytes {
		h.RenderError(w, r, tooLarge())
		return
	}
	p, err := DecodePayload(http.MaxBytesReader(w, r.Body, hookline.MaxHookBodyBytes))
	if err != nil {
		h.RenderError(w, r, err)
		return
	}
	answer, replayed, err := h.hooks.ReceiveMessage(r.Context(), ch, p, r.Header.Get("Idempotency-Key"))
	if err != nil {
		h.RenderError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if answer.Async {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	body, err := encode(syncAnswer{Text: answer.Text})
	if err != nil {
		h.RenderError(w, r, fmt.Errorf("the bot's answer is not JSON: %w", err))
		return
	}
	write(w, http.StatusOK, body)
}

// syncAnswer is the body of a sync channel's answer (seed 004).
type syncAnswer struct {
	Text []json.RawMessage `json:"text"`
}

// pathID reads a path id: a positive integer.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// bearer reads the call's token: Authorization: bearer <JWT>, the scheme
// in any case.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", hookline.Errorf(hookline.CodeUnauthorized, "missing Authorization header; send Authorization: bearer <JWT>, the JWT signed (HS256) with the client secret of the channel's app")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return "", hookline.Errorf(hookline.CodeUnauthorized, "the Authorization header must be bearer <JWT>")
	}
	return token, nil
}

// errorBody is this edge's error: {"error": {"code", "message", "field"?}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// RenderError answers with err's status and this edge's error body. A 401
// says how to authenticate; internal errors are logged with the request id
// and shown only as that id.
func (h *Handler) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	code := hookline.ErrorCode(err)
	msg := hookline.ErrorMessage(err)
	switch code {
	case hookline.CodeInternal:
		id := edge.RequestID(r.Context())
		h.log.Error("internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err.Error())
		msg = fmt.Sprintf("internal error (request id %s)", id)
	case hookline.CodeUnavailable:
		h.log.Warn("unavailable", "request_id", edge.RequestID(r.Context()), "path", r.URL.Path, "error", err.Error())
	case hookline.CodeUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookline"`)
	}
	h.render(w, r, edge.StatusOf(code), string(code), msg, hookline.ErrorField(err))
}

func (h *Handler) render(w http.ResponseWriter, _ *http.Request, status int, code, msg, field string) {
	body, err := encode(errorBody{Error: errorDetail{Code: code, Message: msg, Field: field}})
	if err != nil {
		// Strings always encode; this is a bug.
		panic(fmt.Sprintf("hook: encode an error: %v", err))
	}
	write(w, status, body)
}

// encode is v's JSON, without HTML escapes: the answer is data, never a
// page.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

func write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
