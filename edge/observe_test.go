package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

type seen struct {
	mu   sync.Mutex
	list []string
}

func (s *seen) ObserveRequest(route string, status int, elapsed time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, route+" "+http.StatusText(status))
}

// TestObserverSeesRoutePatterns: the observer gets the pattern of the
// innermost mux that matched, never the path: a part's own route, a
// mount's pattern when the part has no mux of its own, and "unmatched"
// when only the catch-all matched. A panic is observed as the 500 the
// part rendered.
func TestObserverSeesRoutePatterns(t *testing.T) {
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "thing") })
	api.HandleFunc("POST /api/v1/things", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	api.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	obs := &seen{}
	render := func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusInternalServerError) }
	h, err := NewObserved(nil, obs,
		Mount{Pattern: "/", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// As the API does: ask its mux first, answer unknown routes
			// itself.
			if _, p := api.Handler(r); p == "" {
				http.Error(w, "no route", http.StatusNotFound)
				return
			}
			api.ServeHTTP(w, r)
		}), RenderError: render},
		Mount{Pattern: "/metrics", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "metrics")
		}), RenderError: render},
	)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/things/42"},
		{"GET", "/api/v1/things/43"},
		{"POST", "/api/v1/things"},
		{"GET", "/nowhere/7"},
		{"DELETE", "/api/v1/things/42"},
		{"GET", "/metrics"},
		{"GET", "/boom"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	want := []string{
		"GET /api/v1/things/{id} OK",
		"GET /api/v1/things/{id} OK",
		"POST /api/v1/things Created",
		"unmatched Not Found",
		"unmatched Not Found",
		"/metrics OK",
		"GET /boom Internal Server Error",
	}
	// The observer may run after the client has its answer: wait for
	// every request, in any order.
	deadline := time.Now().Add(2 * time.Second)
	for {
		obs.mu.Lock()
		got := slices.Clone(obs.list)
		obs.mu.Unlock()
		if len(got) >= len(want) || time.Now().After(deadline) {
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("observed:\n%q\nwant:\n%q", got, want)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
