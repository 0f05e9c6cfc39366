package load

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDrive sends load to a local server that fails every fifth request
// and answers every seventh without the expected text, and checks the
// counts, the latencies and that the load stopped in time.
func TestDrive(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) != "ping" || r.Header.Get("X-Bench") != "yes" || r.URL.Path != "/a/b" {
			http.Error(w, "wrong request", http.StatusBadRequest)
			return
		}
		n := served.Add(1)
		switch {
		case n%5 == 0:
			http.Error(w, "five", http.StatusInternalServerError)
		case n%7 == 0:
			io.WriteString(w, "nothing")
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer srv.Close()
	req := Request{Method: "POST", Path: "/a/b", Header: http.Header{"X-Bench": {"yes"}}, Body: []byte("ping"), Expect: []byte(`"ok"`)}
	g, err := NewGenerator(srv.URL, req, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	began := time.Now()
	s := g.Drive(context.Background(), 300*time.Millisecond)
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("Drive took %v for 300ms of load", took)
	}
	if s.Requests < 10 || s.Requests != uint64(served.Load()) {
		t.Fatalf("%d requests sent, %d served", s.Requests, served.Load())
	}
	if s.Errors != 0 || s.Non2xx == 0 || s.Unexpected == 0 || s.Non2xx+s.Unexpected >= s.Requests {
		t.Fatalf("errors %d, non-2xx %d, unexpected %d of %d", s.Errors, s.Non2xx, s.Unexpected, s.Requests)
	}
	if !strings.Contains(s.FirstError, "status 500") && !strings.Contains(s.FirstError, "lacks") {
		t.Fatalf("first error %q", s.FirstError)
	}
	if s.Latency.Count() != s.Requests || s.Latency.Quantile(0.5) <= 0 || s.Latency.Quantile(0.99) < s.Latency.Quantile(0.5) {
		t.Fatalf("latency: %d values, p50 %v, p99 %v", s.Latency.Count(), s.Latency.Quantile(0.5), s.Latency.Quantile(0.99))
	}
	if s.Throughput() <= 0 || s.Elapsed < 300*time.Millisecond {
		t.Fatalf("throughput %v over %v", s.Throughput(), s.Elapsed)
	}

	once := g.Once(context.Background())
	if once.Requests != 1 {
		t.Fatalf("Once sent %d requests", once.Requests)
	}
}

// TestDriveCountsConnectionErrors drives a port nobody listens on: every
// request is an error, and Drive still ends on time.
func TestDriveCountsConnectionErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	g, err := NewGenerator(url, Request{Method: "GET", Path: "/"}, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := g.Drive(context.Background(), 50*time.Millisecond)
	if s.Requests == 0 || s.Errors != s.Requests || s.FirstError == "" {
		t.Fatalf("%d requests, %d errors, first %q", s.Requests, s.Errors, s.FirstError)
	}
}

// TestLoopbackOnly checks that nothing but 127.0.0.0/8 is accepted as a
// target, and that the dialer refuses other addresses even when a URL
// check is bypassed.
func TestLoopbackOnly(t *testing.T) {
	for _, bad := range []string{
		"http://10.0.0.1:80", "http://192.168.1.2:8080", "http://[::1]:8080", "http://localhost:8080",
		"http://example.com:80", "https://127.0.0.1:8443", "http://127.0.0.1", "ftp://127.0.0.1:21", "127.0.0.1:8080",
	} {
		if _, err := CheckLoopbackURL(bad); err == nil {
			t.Errorf("CheckLoopbackURL(%q) accepted it", bad)
		}
		if _, err := NewGenerator(bad, Request{Method: "GET"}, 1, time.Second); err == nil {
			t.Errorf("NewGenerator(%q) accepted it", bad)
		}
		if _, err := NewAPIClient(bad, "token"); err == nil {
			t.Errorf("NewAPIClient(%q) accepted it", bad)
		}
		if _, err := PeerHandler(PeerForwarder, PeerConfig{ReceiverURL: bad}); err == nil {
			t.Errorf("the forwarder accepted receiver %q", bad)
		}
	}
	for _, good := range []string{"http://127.0.0.1:8080", "http://127.1.2.3:1/x"} {
		if _, err := CheckLoopbackURL(good); err != nil {
			t.Errorf("CheckLoopbackURL(%q): %v", good, err)
		}
	}
	client := &http.Client{Transport: newLoopbackTransport(1)}
	_, err := client.Get("http://10.255.255.1:9/")
	if err == nil || !strings.Contains(err.Error(), "refusing to connect") {
		t.Fatalf("the loopback transport dialed 10.255.255.1: %v", err)
	}
}

// TestPace sends at a fixed rate to a server that stalls for a while:
// the schedule is kept (the count is the rate times the time), and the
// requests due during the stall count the stall in their latency, though
// they were sent only after it.
func TestPace(t *testing.T) {
	var served atomic.Int64
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 10 {
			<-stall
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	g, err := NewGenerator(srv.URL, Request{Method: "GET", Path: "/", Expect: []byte("ok")}, 1, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	time.AfterFunc(300*time.Millisecond, func() { close(stall) })
	began := time.Now()
	s := g.Pace(context.Background(), 500*time.Millisecond, 100)
	if took := time.Since(began); took > 3*time.Second {
		t.Fatalf("Pace took %v for 500ms", took)
	}
	if s.Scheduled != 50 || s.Requests != 50 || s.Failed() != 0 {
		t.Fatalf("scheduled %d, sent %d, failed %d (%s)", s.Scheduled, s.Requests, s.Failed(), s.FirstError)
	}
	// The stall of about 200 ms held up the requests due after the tenth:
	// the one after it waited for its whole length.
	if max := s.Latency.Max(); max < 150*time.Millisecond {
		t.Fatalf("the longest latency was %v: the stall was not counted", max)
	}
	if p50 := s.Latency.Quantile(0.5); p50 > 150*time.Millisecond {
		t.Fatalf("the median latency was %v", p50)
	}
}

// TestPaceCountsUnsentRequests paces a server that never answers in time:
// the requests the schedule could not send count as errors.
func TestPaceCountsUnsentRequests(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	g, err := NewGenerator(srv.URL, Request{Method: "GET", Path: "/"}, 1, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	s := g.Pace(context.Background(), 100*time.Millisecond, 100)
	if s.Scheduled != 10 || s.Requests != 10 || s.Errors != 10 || s.FirstError == "" {
		t.Fatalf("scheduled %d, counted %d, errors %d: %s", s.Scheduled, s.Requests, s.Errors, s.FirstError)
	}
}
