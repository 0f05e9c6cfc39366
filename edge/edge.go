// Package edge composes hookline's HTTP edges into one handler: each part
// (the JSON API under /api/v1, and later the webhook channel, the provider
// callbacks and the web UI) is mounted on a pattern with its own
// authentication and its own way of rendering errors, and every request,
// whichever part answers it, gets a request id, one access log line and
// panic recovery.
package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// Mount is one part of the top-level handler.
type Mount struct {
	// Pattern is a ServeMux pattern, such as "/api/v1/" or "/ui/"; "/"
	// catches every request no other mount takes.
	Pattern string
	Handler http.Handler
	// RenderError writes an error as the part's clients expect it. The
	// edge calls it for a panic in the part's handler, with an error that
	// carries no detail for the client.
	RenderError func(w http.ResponseWriter, r *http.Request, err error)
}

// Observer is told of every request once it has been served, for
// metrics. It is called from the request's goroutine, so it must be quick
// and safe for concurrent use.
type Observer interface {
	// ObserveRequest reports a served request. route is the pattern of
	// the innermost ServeMux that matched it, such as
	// "GET /api/v1/webhooks/{id}", or Unmatched; never the path, whose
	// values are unbounded.
	ObserveRequest(route string, status int, elapsed time.Duration)
}

// Unmatched is the route of a request no pattern matched but the
// catch-all "/" (a 404 or 405 of the API).
const Unmatched = "unmatched"

// New returns the handler that serves every mount.
func New(log *slog.Logger, mounts ...Mount) (http.Handler, error) {
	return NewObserved(log, nil, mounts...)
}

// NewObserved is New with an Observer (nil: none) told of every request.
func NewObserved(log *slog.Logger, obs Observer, mounts ...Mount) (http.Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	for _, m := range mounts {
		if m.Handler == nil || m.RenderError == nil {
			return nil, fmt.Errorf("edge: mount %q needs a handler and an error renderer", m.Pattern)
		}
		mux.Handle(m.Pattern, recovering(log, m))
	}
	return &handler{log: log, mux: mux, obs: obs}, nil
}

type handler struct {
	log *slog.Logger
	mux *http.ServeMux
	obs Observer
}

// ServeHTTP gives the request an id (a well-formed X-Request-Id from a
// proxy in front is kept, so that logs correlate), serves it, and logs it
// once when it ends.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &requestInfo{id: requestID(r)}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
	rec := &Recorder{ResponseWriter: w, status: http.StatusOK}
	rec.Header().Set("X-Request-Id", info.id)
	defer func() {
		attrs := []any{"request_id", info.id, "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "bytes", rec.bytes, "duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"remote", r.RemoteAddr}
		info.mu.Lock()
		attrs = append(attrs, info.attrs...)
		info.mu.Unlock()
		h.log.Info("request", attrs...)
		if h.obs != nil {
			h.obs.ObserveRequest(route(r), rec.status, time.Since(start))
		}
	}()
	h.mux.ServeHTTP(rec, r)
}

// route is the pattern that matched r. A ServeMux sets r.Pattern on the
// request it is given before calling the handler, so after serving it
// holds the innermost mux's pattern: the edge's sets the mount's, and a
// part that routes the same request on a mux of its own (the API)
// overwrites it with its route's. A part that routes a copy of the
// request leaves the mount's pattern, which is bounded too. "/" matches
// every path and names no route.
func route(r *http.Request) string {
	if r.Pattern == "" || r.Pattern == "/" {
		return Unmatched
	}
	return r.Pattern
}

// ErrPanic is what a part's RenderError receives for a panic: its details
// are in the log, never in the answer.
var ErrPanic = errors.New("panic while serving the request")

// recovering serves m's handler and turns a panic into an error rendered
// as m renders errors. http.ErrAbortHandler keeps its meaning: the
// connection is cut.
func recovering(log *slog.Logger, m Mount) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error("panic", "request_id", RequestID(r.Context()), "method", r.Method, "path", r.URL.Path,
				"error", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec, ok := w.(*Recorder); !ok || !rec.wrote {
				m.RenderError(w, r, fmt.Errorf("%w: %v", ErrPanic, v))
			}
		}()
		m.Handler.ServeHTTP(w, r)
	})
}

// requestInfo travels with a request so that the access log has the id
// and what the part that served it noted (the caller's key, say).
type requestInfo struct {
	id    string
	mu    sync.Mutex
	attrs []any
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

// Annotate adds key-value pairs to the request's access log line, such as
// the key and tenant that authenticated it. Secrets never go here.
func Annotate(ctx context.Context, args ...any) {
	info := infoFrom(ctx)
	if info == nil {
		return
	}
	info.mu.Lock()
	info.attrs = append(info.attrs, args...)
	info.mu.Unlock()
}

func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && strings.Trim(id,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return id
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Recorder notes the status and size of a response for the log, and
// whether anything was written, for panic recovery.
type Recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *Recorder) WriteHeader(status int) {
	if !w.wrote {
		w.status = status
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *Recorder) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// StatusOf maps an error code to its HTTP status, for the edges that
// answer with the code's usual status (the JSON API, the channel hooks,
// the web UI). The provider callbacks map some codes otherwise, for the
// providers' retries.
func StatusOf(code hookline.Code) int {
	switch code {
	case hookline.CodeInvalid:
		return http.StatusBadRequest
	case hookline.CodeUnauthorized:
		return http.StatusUnauthorized
	case hookline.CodeForbidden:
		return http.StatusForbidden
	case hookline.CodeNotFound:
		return http.StatusNotFound
	case hookline.CodeConflict:
		return http.StatusConflict
	case hookline.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case hookline.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
