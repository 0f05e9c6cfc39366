package edge

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// lines collects JSON log lines. The access log is written when a
// handler returns, which may be after the client has its answer, so
// waitFor polls.
type lines struct {
	mu  sync.Mutex
	out []string
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.out = append(l.out, string(p))
	l.mu.Unlock()
	return len(p), nil
}

func (l *lines) waitFor(t *testing.T, wants ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		l.mu.Lock()
		all := strings.Join(l.out, "")
		l.mu.Unlock()
		missing := ""
		for _, w := range wants {
			if !strings.Contains(all, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %s:\n%s", missing, all)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMountsRecoverInTheirOwnFormat: a panic in a part is answered as that
// part renders errors, logged with its stack, and the access log line has
// the request id and what the part noted.
func TestMountsRecoverInTheirOwnFormat(t *testing.T) {
	logs := &lines{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	render := func(format string) func(http.ResponseWriter, *http.Request, error) {
		return func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, format+" "+RequestID(r.Context()))
		}
	}
	h, err := New(log,
		Mount{Pattern: "/", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			Annotate(r.Context(), "tenant_id", 7)
			if r.URL.Path == "/boom" {
				panic("api failed")
			}
			io.WriteString(w, "api")
		}), RenderError: render("json")},
		Mount{Pattern: "/ui/", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("page failed")
		}), RenderError: render("html")},
	)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path, id string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := get("/ui/page", "req-1")
	if res.StatusCode != 500 || body != "html req-1" || res.Header.Get("X-Request-Id") != "req-1" {
		t.Fatalf("ui panic: %d %q %q", res.StatusCode, body, res.Header.Get("X-Request-Id"))
	}
	res, body = get("/boom", "bad id with spaces")
	if res.StatusCode != 500 || !strings.HasPrefix(body, "json ") || strings.Contains(body, "bad id") {
		t.Fatalf("api panic: %d %q", res.StatusCode, body)
	}
	if _, body = get("/ok", ""); body != "api" {
		t.Fatalf("api: %q", body)
	}
	logs.waitFor(t, `"error":"page failed"`, `"stack":`, `"request_id":"req-1"`, `"tenant_id":7`, `"path":"/ok"`)
	if _, err := New(log, Mount{Pattern: "/x/", Handler: http.NotFoundHandler()}); err == nil {
		t.Error("a mount without an error renderer was accepted")
	}
}
