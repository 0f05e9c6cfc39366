package egress

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// All traffic in these tests goes to 127.0.0.0/8. Host names never reach
// the machine's resolver: every client's lookup is replaced by a table or
// by a resolver pointed at a fake DNS server on loopback.

var allowLoopback1 = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// testClient returns a client whose lookups are answered from names (any
// other name is "no such host") and counted.
func testClient(t *testing.T, cfg Config, names map[string][]netip.Addr) (*Client, *atomic.Int32) {
	t.Helper()
	c := New(cfg)
	var lookups atomic.Int32
	c.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		if addrs, ok := names[host]; ok {
			return addrs, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	t.Cleanup(c.transport.CloseIdleConnections)
	return c, &lookups
}

// TestDialerControl: the dialer's own hook refuses a refused address even
// when called directly, bypassing resolution and the URL checks.
func TestDialerControl(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c, _ := testClient(t, Config{}, nil)
	_, err := c.dialer.DialContext(context.Background(), "tcp", srv.Listener.Addr().String())
	wantKind(t, err, KindBlocked)
	if n := srv.conns.Load(); n != 0 {
		t.Errorf("server saw %d connections", n)
	}
	open, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	conn, err := open.dialer.DialContext(context.Background(), "tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

// countingServer is an httptest server that counts connections and requests.
type countingServer struct {
	*httptest.Server
	conns, hits atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *countingServer) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

func wantKind(t *testing.T, err error, kind Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *egress.Error", err, err)
	}
	if e.Kind != kind {
		t.Fatalf("kind %q (%v), want %q", e.Kind, e, kind)
	}
	return e
}

func TestDoAllowed(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.UserAgent()+" "+r.Header.Get("X-Custom")+" "+r.Host)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "got %s", body)
	})
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	resp, err := c.Do(context.Background(), &Request{
		Method: "POST",
		URL:    srv.URL + "/hook?x=1",
		Header: http.Header{"x-custom": {"yes"}},
		Body:   []byte(`{"a":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusCreated || string(resp.Body) != `got {"a":1}` || resp.Truncated || resp.Attempts != 1 {
		t.Fatalf("response %+v", resp)
	}
	if got, want := resp.Header.Get("X-Seen"), "POST hookline yes "+srv.Listener.Addr().String(); got != want {
		t.Errorf("server saw %q, want %q", got, want)
	}
	if resp.URL != srv.URL+"/hook?x=1" {
		t.Errorf("URL %q", resp.URL)
	}
	if resp.Duration <= 0 {
		t.Errorf("duration %v", resp.Duration)
	}

	// A caller's User-Agent and Host header win; the default method is GET.
	resp, err = c.Do(context.Background(), &Request{
		URL:    srv.URL,
		Header: http.Header{"User-Agent": {"custom/1"}, "Host": {"api.example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Seen"); got != "GET custom/1  api.example.com" {
		t.Errorf("server saw %q", got)
	}

	c2, _ := testClient(t, Config{Allow: allowLoopback1, UserAgent: "hookline-test/2"}, nil)
	resp, err = c2.Do(context.Background(), &Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Seen"); !strings.HasPrefix(got, "GET hookline-test/2 ") {
		t.Errorf("server saw %q", got)
	}
}

// The caller's header is used as given but never changed: not the map, not
// the value slices (which the client shares), whatever it adds or drops.
func TestDoLeavesCallerHeader(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen", strings.Join(r.Header.Values("X-Twice"), "|")+" "+r.UserAgent()+" "+r.Host)
	})
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	values := make([]string, 1, 4) // room that an append could write into
	values[0] = "a"
	header := http.Header{"X-Twice": values, "x-twice": {"b"}, "host": {"api.example.com"}}
	for range 8 { // map order decides which spelling comes first
		resp, err := c.Do(context.Background(), &Request{URL: srv.URL, Header: header})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("X-Seen"); got != "a|b hookline api.example.com" && got != "b|a hookline api.example.com" {
			t.Errorf("server saw %q", got)
		}
	}
	if len(header) != 3 || len(header["X-Twice"]) != 1 || header["User-Agent"] != nil || values[:2][1] != "" {
		t.Errorf("caller's header changed: %v (spare room %q)", header, values[:2][1])
	}

	// A header's own User-Agent is sent instead of the client's.
	clean := http.Header{"X-Twice": {"c"}, "User-Agent": {"mine/1"}}
	resp, err := c.Do(context.Background(), &Request{URL: srv.URL, Header: clean})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Seen"); got != "c mine/1 "+srv.Listener.Addr().String() {
		t.Errorf("server saw %q", got)
	}
	if len(clean) != 2 {
		t.Errorf("caller's header changed: %v", clean)
	}
}

func TestDoKeepAlive(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	for range 5 {
		if _, err := c.Do(context.Background(), &Request{Method: "POST", URL: srv.URL, Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.conns.Load(); n != 1 {
		t.Errorf("5 sequential requests used %d connections, want 1", n)
	}
}

func TestDoConcurrent(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			body := fmt.Sprintf("request %d", i)
			resp, err := c.Do(context.Background(), &Request{Method: "PUT", URL: srv.URL, Body: []byte(body)})
			if err != nil {
				t.Error(err)
				return
			}
			if string(resp.Body) != body {
				t.Errorf("got %q, want %q", resp.Body, body)
			}
		})
	}
	wg.Wait()
}

// TestDoRefusesLoopback: without an allow entry the loopback server is
// refused in the guard and never sees a connection.
func TestDoRefusesLoopback(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c, lookups := testClient(t, Config{}, map[string][]netip.Addr{
		"internal.test": {netip.MustParseAddr("127.0.0.1")},
		"mixed.test":    {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.3")},
	})

	_, err := c.Do(context.Background(), &Request{URL: srv.URL})
	e := wantKind(t, err, KindBlocked)
	if want := "127.0.0.1: loopback address 127.0.0.1 is not allowed"; e.Msg != want {
		t.Errorf("message %q, want %q", e.Msg, want)
	}

	// A name resolving to loopback is refused after resolution, in the dialer.
	_, err = c.Do(context.Background(), &Request{URL: "http://internal.test:" + srv.port() + "/"})
	e = wantKind(t, err, KindBlocked)
	if want := "internal.test: loopback address 127.0.0.1 is not allowed"; e.Msg != want {
		t.Errorf("message %q, want %q", e.Msg, want)
	}

	// Allowing one address does not open a name that also resolves to another.
	c2, _ := testClient(t, Config{Allow: allowLoopback1}, map[string][]netip.Addr{
		"mixed.test": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.3")},
	})
	_, err = c2.Do(context.Background(), &Request{URL: "http://mixed.test:" + srv.port() + "/"})
	e = wantKind(t, err, KindBlocked)
	if !strings.Contains(e.Msg, "127.0.0.3") {
		t.Errorf("message %q does not name 127.0.0.3", e.Msg)
	}

	// IPv6 spellings of loopback are refused before dialing.
	for _, host := range []string{"[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::7f00:1]"} {
		_, err = c.Do(context.Background(), &Request{URL: "http://" + host + ":" + srv.port() + "/"})
		wantKind(t, err, KindBlocked)
	}

	if n := srv.conns.Load(); n != 0 {
		t.Errorf("server saw %d connections, want 0", n)
	}
	if n := lookups.Load(); n != 1 {
		t.Errorf("%d lookups, want 1 (internal.test)", n)
	}
}

// TestDoOddSpellings: every inet_aton spelling of 127.0.0.1 is normalized
// and refused before any lookup; with 127.0.0.1 allowed it is sent to the
// canonical address.
func TestDoOddSpellings(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Host) })
	spellings := []string{"2130706433", "0x7f000001", "017700000001", "127.1", "127.0.1", "0x7f.1", "0177.0.0.1", "127.0.0.1.", "0x7F.0.0.0x1"}
	blocked, lookups := testClient(t, Config{}, nil)
	allowed, allowedLookups := testClient(t, Config{Allow: allowLoopback1}, nil)
	for _, host := range spellings {
		u := "http://" + host + ":" + srv.port() + "/"
		_, err := blocked.Do(context.Background(), &Request{URL: u})
		e := wantKind(t, err, KindBlocked)
		if want := host + ": loopback address 127.0.0.1 is not allowed"; e.Msg != want {
			t.Errorf("%s: message %q, want %q", host, e.Msg, want)
		}
		resp, err := allowed.Do(context.Background(), &Request{URL: u})
		if err != nil {
			t.Fatalf("%s with 127.0.0.1 allowed: %v", host, err)
		}
		if want := "127.0.0.1:" + srv.port(); string(resp.Body) != want {
			t.Errorf("%s: server saw Host %q, want %q", host, resp.Body, want)
		}
	}
	// Fullwidth digits become ASCII through net/http's IDNA mapping and are
	// then read as an address by the dialer, still without a lookup.
	_, err := blocked.Do(context.Background(), &Request{URL: "http://１２７.０.０.１:" + srv.port() + "/"})
	wantKind(t, err, KindBlocked)
	_, err = blocked.Do(context.Background(), &Request{URL: "http://０ｘ７ｆ.１:" + srv.port() + "/"})
	wantKind(t, err, KindBlocked)

	// Numeric hosts that are no address are invalid, not looked up.
	for _, host := range []string{"127.0.0.256", "1.2.3.4.5", "08.1", "example.123", "127.0.0.1..", ".127.0.0.1"} {
		_, err := allowed.Do(context.Background(), &Request{URL: "http://" + host + "/"})
		wantKind(t, err, KindInvalid)
	}
	if n := lookups.Load() + allowedLookups.Load(); n != 0 {
		t.Errorf("%d DNS lookups, want 0", n)
	}
	if n := srv.hits.Load(); n != int32(len(spellings)) {
		t.Errorf("server saw %d requests, want %d (only the allowed client's)", n, len(spellings))
	}
}

// listen127002 listens on 127.0.0.2, another loopback address, and counts
// accepted connections.
func listen127002(t *testing.T) (port string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, accepted
}

func TestDoRedirects(t *testing.T) {
	t.Parallel()
	port2, accepted := listen127002(t)
	var srv *countingServer
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-127.0.0.2":
			http.Redirect(w, r, "http://127.0.0.2:"+port2+"/", http.StatusFound)
		case "/to-odd":
			http.Redirect(w, r, "http://2130706435:"+port2+"/", http.StatusFound) // 127.0.0.3
		case "/to-name":
			http.Redirect(w, r, "http://rebind.test:"+port2+"/", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/to-creds":
			http.Redirect(w, r, "http://user:pw@127.0.0.1:"+srv.port()+"/final", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/bad-location":
			w.Header().Set("Location", "http://[::1")
			w.WriteHeader(http.StatusFound)
		case "/hop1":
			http.Redirect(w, r, "/hop2", http.StatusPermanentRedirect)
		case "/hop2":
			http.Redirect(w, r, "http://2130706433:"+srv.port()+"/final?q=1", http.StatusTemporaryRedirect)
		case "/final":
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s", r.Method, b)
		}
	})
	c, _ := testClient(t, Config{Allow: allowLoopback1}, map[string][]netip.Addr{
		"rebind.test": {netip.MustParseAddr("127.0.0.2")},
	})

	// Literal addresses are refused when the redirect is checked, names
	// after resolution in the dialer; both read the same.
	for _, tc := range []struct{ path, msg string }{
		{"/to-127.0.0.2", "redirect refused: 127.0.0.2: loopback address 127.0.0.2 is not allowed"},
		{"/to-odd", "redirect refused: 2130706435: loopback address 127.0.0.3 is not allowed"},
		{"/to-name", "redirect refused: rebind.test: loopback address 127.0.0.2 is not allowed"},
	} {
		_, err := c.Do(context.Background(), &Request{URL: srv.URL + tc.path})
		e := wantKind(t, err, KindBlocked)
		if e.Msg != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.path, e.Msg, tc.msg)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("127.0.0.2 accepted %d connections, want 0", n)
	}

	// Other refusals are the server's answer at fault, and a GET is not
	// retried for them: the same request gets the same answer.
	before := srv.hits.Load()
	_, err := c.Do(context.Background(), &Request{URL: srv.URL + "/to-file"})
	e := wantKind(t, err, KindInvalidResponse)
	if !strings.Contains(e.Msg, `scheme "file"`) {
		t.Errorf("message %q", e.Msg)
	}
	_, err = c.Do(context.Background(), &Request{URL: srv.URL + "/to-creds"})
	wantKind(t, err, KindInvalidResponse)
	_, err = c.Do(context.Background(), &Request{URL: srv.URL + "/bad-location"})
	if e := wantKind(t, err, KindInvalidResponse); !strings.Contains(e.Msg, "Location that does not parse") {
		t.Errorf("message %q", e.Msg)
	}
	if n := srv.hits.Load() - before; n != 3 {
		t.Errorf("three refused redirects made %d requests, want 3", n)
	}

	before = srv.hits.Load()
	_, err = c.Do(context.Background(), &Request{URL: srv.URL + "/loop"})
	e = wantKind(t, err, KindInvalidResponse)
	if !strings.Contains(e.Msg, "stopped after 10 redirects") {
		t.Errorf("message %q", e.Msg)
	}
	if n := srv.hits.Load() - before; n != 11 {
		t.Errorf("redirect loop made %d requests, want 11 (the first and 10 redirects)", n)
	}

	// Allowed hops are followed; a 307 replays the body; the final URL is
	// reported with its host in canonical form.
	resp, err := c.Do(context.Background(), &Request{Method: "PUT", URL: srv.URL + "/hop1", Body: []byte("payload")})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "PUT payload" {
		t.Errorf("body %q", resp.Body)
	}
	if want := "http://127.0.0.1:" + srv.port() + "/final?q=1"; resp.URL != want {
		t.Errorf("final URL %q, want %q", resp.URL, want)
	}
}

func TestDoInvalidRequests(t *testing.T) {
	t.Parallel()
	c, lookups := testClient(t, Config{Allow: allowLoopback1}, nil)
	cases := []struct {
		req  *Request
		want string
	}{
		{nil, "no request"},
		{&Request{URL: "ftp://127.0.0.1/"}, `scheme "ftp"`},
		{&Request{URL: "127.0.0.1/path"}, `scheme ""`},
		{&Request{URL: "http://user:secret@127.0.0.1/"}, "credentials in the URL"},
		{&Request{URL: "http:///path"}, "no host"},
		{&Request{URL: "http:opaque"}, "absolute"},
		{&Request{URL: "http://[::1"}, "URL is not valid"},
		{&Request{URL: "http://127.0.0.1:99999/"}, `port "99999"`},
		{&Request{Method: "GE T", URL: "http://127.0.0.1/"}, `method "GE T"`},
		{&Request{URL: "http://127.0.0.1/", Header: http.Header{"X-A": {"a\r\nX-B: b"}}}, "line break"},
		{&Request{URL: "http://127.0.0.1/", Header: http.Header{"X-A": {"ok", "a\nb"}}}, "line break"},
		{&Request{URL: "http://127.0.0.1/", Header: http.Header{"X-A": {"a\x00b"}}}, "NUL"},
		{&Request{URL: "http://127.0.0.1/", Header: http.Header{"Bad Name": {"v"}}}, `header name "Bad Name"`},
		{&Request{URL: "http://127.0.0.1/", Header: http.Header{"Bad:Name": {"v"}}}, `header name "Bad:Name"`},
		{&Request{URL: "http://127.0.0.1/", Header: http.Header{"Nämé": {"v"}}}, `header name "Nämé"`},
		{&Request{Method: "G{T", URL: "http://127.0.0.1/"}, `method "G{T"`},
		{&Request{URL: "http://127.0.0.1/", Timeout: -time.Second}, "negative"},
	}
	for _, tc := range cases {
		_, err := c.Do(context.Background(), tc.req)
		e := wantKind(t, err, KindInvalid)
		if !strings.Contains(e.Msg, tc.want) {
			t.Errorf("%+v: message %q, want it to contain %q", tc.req, e.Msg, tc.want)
		}
		if strings.Contains(e.Error(), "secret") {
			t.Errorf("message %q shows the URL's password", e.Error())
		}
	}
	if n := lookups.Load(); n != 0 {
		t.Errorf("%d lookups for invalid requests", n)
	}
}

func TestTimeoutDefaults(t *testing.T) {
	t.Parallel()
	c := New(Config{})
	for _, tc := range []struct{ in, want time.Duration }{
		{0, 5 * time.Second},
		{time.Second, time.Second},
		{time.Hour, 30 * time.Second},
	} {
		p, err := c.prepare(&Request{URL: "https://example.com/", Timeout: tc.in})
		if err != nil {
			t.Fatal(err)
		}
		if p.timeout != tc.want {
			t.Errorf("Timeout %v → %v, want %v", tc.in, p.timeout, tc.want)
		}
	}
}

func TestDoTimeout(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-body":
			w.Write([]byte("start"))
			w.(http.Flusher).Flush()
		case "/slow-redirect":
			// Each hop answers in time; the chain as a whole does not.
			time.Sleep(80 * time.Millisecond)
			http.Redirect(w, r, "/slow-redirect", http.StatusFound)
			return
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct{ path, phase string }{
		{"/slow-headers", "the request was sent to " + host + ", but no answer came within 200ms"},
		{"/slow-body", host + " answered, but the response body did not arrive within 200ms"},
		{"/slow-redirect", "the request was sent to " + host + ", but no answer came within 200ms"},
	} {
		start := time.Now()
		_, err := c.Do(context.Background(), &Request{URL: srv.URL + tc.path, Timeout: 200 * time.Millisecond})
		took := time.Since(start)
		e := wantKind(t, err, KindTimeout)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(e.Msg, tc.phase) {
			t.Errorf("%s: %v", tc.path, err)
		}
		if took < 200*time.Millisecond || took > 2*time.Second {
			t.Errorf("%s: returned after %v, want about 200ms", tc.path, took)
		}
	}

	// A caller's earlier deadline wins, is a timeout too, and is the
	// time the message names.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, &Request{URL: srv.URL + "/slow-headers", Timeout: 5 * time.Second})
	if e := wantKind(t, err, KindTimeout); !strings.Contains(e.Msg, "no answer came within 100ms") {
		t.Errorf("caller's deadline: %q", e.Msg)
	}

	// A request that never left, its host name still resolving, says so:
	// the receiver cannot have it.
	slowDNS, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	slowDNS.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	_, err = slowDNS.Do(context.Background(), &Request{Method: "POST", URL: "http://slow.test/x", Body: []byte("{}"), Timeout: 100 * time.Millisecond})
	if e := wantKind(t, err, KindTimeout); e.Msg != "timed out before the request was sent to slow.test (connecting, within 100ms)" {
		t.Errorf("connecting: %q", e.Msg)
	}

	// A caller's cancellation is not a timeout and unwraps to context.Canceled.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = c.Do(ctx, &Request{URL: srv.URL + "/slow-headers"})
	wantKind(t, err, KindConnection)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancellation: %v does not wrap context.Canceled", err)
	}
}

func TestDoResponseCap(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/exact":
			w.Write([]byte(strings.Repeat("a", 1000)))
		case "/long":
			w.Write([]byte(strings.Repeat("b", 5000)))
		case "/endless":
			chunk := []byte(strings.Repeat("c", 4096))
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	})
	c, _ := testClient(t, Config{Allow: allowLoopback1, MaxResponseBytes: 1000}, nil)

	resp, err := c.Do(context.Background(), &Request{URL: srv.URL + "/exact"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Body) != 1000 || resp.Truncated {
		t.Errorf("exact: %d bytes, truncated %v; want 1000, false", len(resp.Body), resp.Truncated)
	}
	resp, err = c.Do(context.Background(), &Request{URL: srv.URL + "/long"})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != strings.Repeat("b", 1000) || !resp.Truncated {
		t.Errorf("long: %d bytes, truncated %v; want 1000, true", len(resp.Body), resp.Truncated)
	}
	// An endless body is cut at the cap and the connection dropped, well
	// before the timeout.
	start := time.Now()
	resp, err = c.Do(context.Background(), &Request{URL: srv.URL + "/endless", Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Body) != 1000 || !resp.Truncated {
		t.Errorf("endless: %d bytes, truncated %v", len(resp.Body), resp.Truncated)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("endless body took %v", took)
	}

	// The default cap is 1 MiB.
	big := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 1<<20+10))
	})
	c2, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	resp, err = c2.Do(context.Background(), &Request{URL: big.URL})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Body) != 1<<20 || !resp.Truncated {
		t.Errorf("default cap: %d bytes, truncated %v", len(resp.Body), resp.Truncated)
	}
}

// flaky answers the first n requests with status (0: drop the connection)
// and then 200 "ok", recording each request's body and time.
type flaky struct {
	mu     sync.Mutex
	n      int
	status int
	header http.Header
	bodies []string
	times  []time.Time
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(b))
	f.times = append(f.times, time.Now())
	fail := len(f.bodies) <= f.n
	f.mu.Unlock()
	if !fail {
		io.WriteString(w, "ok")
		return
	}
	if f.status == 0 {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	for k, vs := range f.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(f.status)
}

func (f *flaky) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

func retryServer(t *testing.T, f *flaky) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestDoCompressedResponse: a gzip body is decoded and capped after
// decoding (a small bomb is cut, not read whole); a body that does not
// decode is an invalid response, not retried.
func TestDoCompressedResponse(t *testing.T) {
	t.Parallel()
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	small, bomb := gz([]byte(`{"ok":true}`)), gz(make([]byte, 10<<20))
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		switch r.URL.Path {
		case "/small":
			w.Write(small)
		case "/bomb":
			w.Write(bomb)
		case "/broken":
			w.Write([]byte("this is not gzip"))
		case "/bad-block": // a deflate block of the reserved type 3
			w.Write(append(small[:10:10], 0x07, 0, 0, 0))
		case "/bad-checksum":
			b := bytes.Clone(small)
			b[len(b)-8] ^= 0xff
			w.Write(b)
		}
	})
	c, _ := testClient(t, Config{Allow: allowLoopback1, MaxResponseBytes: 1000}, nil)

	resp, err := c.Do(context.Background(), &Request{URL: srv.URL + "/small"})
	if err != nil || string(resp.Body) != `{"ok":true}` {
		t.Fatalf("small: %+v, %v", resp, err)
	}
	resp, err = c.Do(context.Background(), &Request{URL: srv.URL + "/bomb"})
	if err != nil || len(resp.Body) != 1000 || !resp.Truncated {
		t.Fatalf("bomb: %d bytes, truncated %v, %v", len(resp.Body), resp != nil && resp.Truncated, err)
	}
	for _, path := range []string{"/broken", "/bad-block", "/bad-checksum"} {
		before := srv.hits.Load()
		_, err = c.Do(context.Background(), &Request{URL: srv.URL + path})
		if e := wantKind(t, err, KindInvalidResponse); !strings.Contains(e.Msg, "does not decode") {
			t.Errorf("%s: message %q", path, e.Msg)
		}
		if n := srv.hits.Load() - before; n != 1 {
			t.Errorf("%s: %d requests, want 1 (not retried)", path, n)
		}
	}
}

func TestDoRetries(t *testing.T) {
	t.Parallel()
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	ctx := context.Background()

	t.Run("GET 503 then 200", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 503}
		resp, err := c.Do(ctx, &Request{URL: retryServer(t, f)})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 || resp.Attempts != 2 || f.count() != 2 {
			t.Errorf("status %d after %d attempts (server saw %d)", resp.Status, resp.Attempts, f.count())
		}
		if gap := f.times[1].Sub(f.times[0]); gap < 80*time.Millisecond {
			t.Errorf("retried after %v, want a backoff of about 100ms", gap)
		}
	})
	for _, status := range []int{502, 504} {
		t.Run(fmt.Sprintf("DELETE %d then 200", status), func(t *testing.T) {
			t.Parallel()
			f := &flaky{n: 1, status: status}
			resp, err := c.Do(ctx, &Request{Method: "DELETE", URL: retryServer(t, f)})
			if err != nil || resp.Status != 200 || resp.Attempts != 2 {
				t.Errorf("%+v, %v", resp, err)
			}
		})
	}
	t.Run("500 is not retried", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 500}
		resp, err := c.Do(ctx, &Request{URL: retryServer(t, f)})
		if err != nil || resp.Status != 500 || resp.Attempts != 1 {
			t.Errorf("%+v, %v", resp, err)
		}
	})
	t.Run("POST 503 is not retried", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 503}
		resp, err := c.Do(ctx, &Request{Method: "POST", URL: retryServer(t, f), Body: []byte("x")})
		if err != nil || resp.Status != 503 || resp.Attempts != 1 || f.count() != 1 {
			t.Errorf("%+v, %v, server saw %d", resp, err, f.count())
		}
	})
	t.Run("POST 503 with RetryUnsafe replays the body", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 503}
		resp, err := c.Do(ctx, &Request{Method: "POST", URL: retryServer(t, f), Body: []byte(`{"n":1}`), RetryUnsafe: true})
		if err != nil || resp.Status != 200 || resp.Attempts != 2 {
			t.Fatalf("%+v, %v", resp, err)
		}
		if f.bodies[0] != `{"n":1}` || f.bodies[1] != `{"n":1}` {
			t.Errorf("bodies %q", f.bodies)
		}
	})
	t.Run("PATCH needs RetryUnsafe", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 502}
		resp, err := c.Do(ctx, &Request{Method: "PATCH", URL: retryServer(t, f)})
		if err != nil || resp.Attempts != 1 {
			t.Errorf("%+v, %v", resp, err)
		}
	})
	t.Run("NoRetry", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 503}
		resp, err := c.Do(ctx, &Request{URL: retryServer(t, f), NoRetry: true})
		if err != nil || resp.Status != 503 || resp.Attempts != 1 {
			t.Errorf("%+v, %v", resp, err)
		}
	})
	t.Run("connection dropped then 200", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1}
		resp, err := c.Do(ctx, &Request{Method: "PUT", URL: retryServer(t, f), Body: []byte("same")})
		if err != nil || resp.Status != 200 || resp.Attempts != 2 {
			t.Fatalf("%+v, %v", resp, err)
		}
		if f.bodies[1] != "same" {
			t.Errorf("bodies %q", f.bodies)
		}
	})
	t.Run("POST connection dropped is not retried", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1}
		_, err := c.Do(ctx, &Request{Method: "POST", URL: retryServer(t, f), Body: []byte("x")})
		wantKind(t, err, KindConnection)
		if f.count() != 1 {
			t.Errorf("server saw %d requests", f.count())
		}
	})
	t.Run("connection refused exhausts attempts", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = c.Do(ctx, &Request{URL: "http://" + addr + "/?api_key=SECRET", Timeout: 5 * time.Second})
		e := wantKind(t, err, KindConnection)
		if !strings.Contains(e.Msg, "connection refused") || !strings.Contains(e.Msg, "(5 attempts)") {
			t.Errorf("message %q", e.Msg)
		}
		if strings.Contains(e.Error(), "SECRET") {
			t.Errorf("message %q shows the query", e.Error())
		}
	})
	t.Run("Retry-After honoured", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 503, header: http.Header{"Retry-After": {"1"}}}
		resp, err := c.Do(ctx, &Request{URL: retryServer(t, f), Timeout: 5 * time.Second})
		if err != nil || resp.Status != 200 || resp.Attempts != 2 {
			t.Fatalf("%+v, %v", resp, err)
		}
		if gap := f.times[1].Sub(f.times[0]); gap < 950*time.Millisecond {
			t.Errorf("retried after %v, want at least Retry-After's 1s", gap)
		}
	})
	t.Run("Retry-After date honoured", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 503, header: http.Header{"Retry-After": {time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)}}}
		resp, err := c.Do(ctx, &Request{URL: retryServer(t, f), Timeout: 5 * time.Second})
		if err != nil || resp.Status != 200 || resp.Attempts != 2 {
			t.Fatalf("%+v, %v", resp, err)
		}
		// HTTP dates have whole seconds, so the wait is between 1 and 2 s.
		if gap := f.times[1].Sub(f.times[0]); gap < 950*time.Millisecond {
			t.Errorf("retried after %v, want Retry-After's date", gap)
		}
	})
	t.Run("Retry-After past the deadline is not waited for", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1, status: 503, header: http.Header{"Retry-After": {"10"}}}
		resp, err := c.Do(ctx, &Request{URL: retryServer(t, f), Timeout: 2 * time.Second})
		if err != nil || resp.Status != 503 || resp.Attempts != 1 {
			t.Fatalf("%+v, %v", resp, err)
		}
		if resp.Duration > time.Second {
			t.Errorf("took %v", resp.Duration)
		}
	})
	t.Run("never beyond the timeout", func(t *testing.T) {
		t.Parallel()
		f := &flaky{n: 1000, status: 503}
		resp, err := c.Do(ctx, &Request{URL: retryServer(t, f), Timeout: 600 * time.Millisecond})
		if err != nil || resp.Status != 503 {
			t.Fatalf("%+v, %v", resp, err)
		}
		if resp.Attempts < 3 || resp.Attempts != f.count() {
			t.Errorf("%d attempts, server saw %d", resp.Attempts, f.count())
		}
		if resp.Duration > 600*time.Millisecond {
			t.Errorf("took %v, past the 600ms timeout", resp.Duration)
		}
	})
	t.Run("slow attempts leave no room for a retry", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(400 * time.Millisecond)
			w.WriteHeader(503)
		})
		resp, err := c.Do(ctx, &Request{URL: srv.URL, Timeout: 700 * time.Millisecond})
		if err != nil || resp.Status != 503 || resp.Attempts != 1 || srv.hits.Load() != 1 {
			t.Fatalf("%+v, %v, %d hits", resp, err, srv.hits.Load())
		}
	})
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"Sat, 21 Nov 2026 09:00:07 GMT", 7 * time.Second, true},
		{"Sat, 21 Nov 2026 08:00:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
	} {
		got, ok := RetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// fakeDNS answers every query on a loopback UDP port with NXDOMAIN.
func fakeDNS(t *testing.T) (addr string, queries *atomic.Int32) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	queries = &atomic.Int32{}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			if n < 12 {
				continue
			}
			queries.Add(1)
			// The question section: labels up to the root, then type and class.
			end := 12
			for end < n && q[end] != 0 {
				end += int(q[end]) + 1
			}
			end += 5
			if end > n {
				continue
			}
			resp := make([]byte, 0, end)
			resp = append(resp, q[0], q[1])           // ID
			resp = append(resp, 0x80|q[2]&0x79, 0x83) // QR, opcode, RD; RA, NXDOMAIN
			resp = append(resp, 0, 1, 0, 0, 0, 0, 0, 0)
			resp = append(resp, q[12:end]...)
			pc.WriteTo(resp, from)
		}
	}()
	return pc.LocalAddr().String(), queries
}

func TestDoDNSFailure(t *testing.T) {
	t.Parallel()
	dnsAddr, queries := fakeDNS(t)
	c := New(Config{Allow: allowLoopback1})
	t.Cleanup(c.transport.CloseIdleConnections)
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", dnsAddr)
	}}
	var lookups atomic.Int32
	c.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		return resolver.LookupNetIP(ctx, "ip", host)
	}
	_, err := c.Do(context.Background(), &Request{URL: "http://nothing-here.invalid/"})
	e := wantKind(t, err, KindDNS)
	if want := "cannot resolve nothing-here.invalid: no such host"; e.Msg != want {
		t.Errorf("message %q, want %q", e.Msg, want)
	}
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("%v does not wrap a not-found *net.DNSError", err)
	}
	if queries.Load() == 0 {
		t.Error("the fake DNS server saw no query")
	}
	if n := lookups.Load(); n != 1 {
		t.Errorf("%d lookups: a DNS failure was retried", n)
	}

	// With no resolver answering at all, the failure is still "dns".
	ln, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.LocalAddr().String()
	ln.Close()
	deadResolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", dead) // refused
	}}
	c.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		return deadResolver.LookupNetIP(ctx, "ip", host)
	}
	_, err = c.Do(context.Background(), &Request{URL: "https://nothing-here.invalid/", Timeout: 2 * time.Second})
	e = wantKind(t, err, KindDNS)
	if !strings.HasPrefix(e.Msg, "cannot resolve nothing-here.invalid: ") {
		t.Errorf("message %q", e.Msg)
	}
}

func TestDoTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "HTTP/%d %s", r.ProtoMajor, tls.VersionName(r.TLS.Version))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	// The default roots do not trust httptest's certificate.
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	_, err := c.Do(context.Background(), &Request{URL: srv.URL})
	e := wantKind(t, err, KindTLS)
	if !strings.Contains(e.Msg, "certificate") {
		t.Errorf("message %q", e.Msg)
	}

	// Trusting it, the request goes through over HTTP/2.
	trusting, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	trusting.transport.TLSClientConfig.RootCAs = pool
	resp, err := trusting.Do(context.Background(), &Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(resp.Body); got != "HTTP/2 TLS 1.3" {
		t.Errorf("server saw %q", got)
	}

	// A server limited to TLS 1.1 is refused.
	old := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	old.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	old.StartTLS()
	t.Cleanup(old.Close)
	pool.AddCert(old.Certificate())
	_, err = trusting.Do(context.Background(), &Request{URL: old.URL})
	wantKind(t, err, KindTLS)
}

// TestDoIgnoresProxyEnvironment: HTTP_PROXY would route around the guard,
// so it is not used.
func TestDoIgnoresProxyEnvironment(t *testing.T) {
	proxy := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "proxy") })
	target := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "target") })
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	u, _ := url.Parse(target.URL)
	resp, err := c.Do(context.Background(), &Request{URL: "http://" + u.Host + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "target" || proxy.hits.Load() != 0 {
		t.Errorf("body %q, proxy hits %d", resp.Body, proxy.hits.Load())
	}
}

// TestDoRedirectDropsCredentials: an Authorization header follows a
// redirect on the same host but not to another host.
func TestDoRedirectDropsCredentials(t *testing.T) {
	t.Parallel()
	var srv *countingServer
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/echo", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "http://other.test:"+srv.port()+"/echo", http.StatusFound)
		case "/echo":
			io.WriteString(w, r.Header.Get("Authorization"))
		}
	})
	c, _ := testClient(t, Config{Allow: allowLoopback1}, map[string][]netip.Addr{
		"other.test": {netip.MustParseAddr("127.0.0.1")},
	})
	auth := http.Header{"Authorization": {"Bearer t0ken"}}
	resp, err := c.Do(context.Background(), &Request{URL: srv.URL + "/same", Header: auth})
	if err != nil || string(resp.Body) != "Bearer t0ken" {
		t.Fatalf("same host: %q, %v", resp.Body, err)
	}
	resp, err = c.Do(context.Background(), &Request{URL: srv.URL + "/away", Header: auth})
	if err != nil || string(resp.Body) != "" {
		t.Fatalf("other host saw %q, %v", resp.Body, err)
	}
	if want := "http://other.test:" + srv.port() + "/echo"; resp.URL != want {
		t.Errorf("final URL %q, want %q", resp.URL, want)
	}
}

// TestDoRedirectKeepsCredentialsWithTheirOrigin: two servers on one
// address, on two ports, are two origins. A redirect from the first to the
// second carries no Authorization, cookie, secret header or secret query
// parameter; the rest of the request goes on. A redirect within the first
// server keeps them all.
func TestDoRedirectKeepsCredentialsWithTheirOrigin(t *testing.T) {
	t.Parallel()
	echo := func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "auth=%q cookie=%q key=%q trace=%q query=%q",
			r.Header.Get("Authorization"), r.Header.Get("Cookie"), r.Header.Get("X-Api-Key"),
			r.Header.Get("X-Trace"), r.URL.RawQuery)
	}
	second := newServer(t, echo)
	first := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			// Redirects that keep the query, as many do, repeat the key.
			http.Redirect(w, r, second.URL+"/echo?"+r.URL.RawQuery, http.StatusFound)
		case "/stay":
			http.Redirect(w, r, "/echo?"+r.URL.RawQuery, http.StatusFound)
		default:
			echo(w, r)
		}
	})
	if first.port() == second.port() {
		t.Fatal("the two servers share a port")
	}
	c, _ := testClient(t, Config{Allow: allowLoopback1}, nil)
	header := http.Header{"Authorization": {"Bearer t0ken"}, "Cookie": {"s=1"}, "X-Api-Key": {"k3y-secret"}, "X-Trace": {"t-1"}}
	send := func(path string) string {
		t.Helper()
		resp, err := c.Do(context.Background(), &Request{URL: first.URL + path + "?api_key=k3y-query&page=2", Header: header,
			SecretHeaders: []string{"X-Api-Key"}, SecretParams: []string{"api_key"}})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return string(resp.Body)
	}
	if got, want := send("/away"), `auth="" cookie="" key="" trace="t-1" query="page=2"`; got != want {
		t.Errorf("another port:\n got %s\nwant %s", got, want)
	}
	if got, want := send("/stay"), `auth="Bearer t0ken" cookie="s=1" key="k3y-secret" trace="t-1" query="api_key=k3y-query&page=2"`; got != want {
		t.Errorf("same origin:\n got %s\nwant %s", got, want)
	}
}

// TestOrigin: an origin is scheme, host and port, default ports written
// out, case folded.
func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Example.COM/x?y":  "https://example.com:443",
		"https://example.com:443/": "https://example.com:443",
		"http://example.com":       "http://example.com:80",
		"http://127.0.0.1:8001/a":  "http://127.0.0.1:8001",
		"HTTP://[::1]:8002/":       "http://[::1]:8002",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Origin(u); got != want {
			t.Errorf("Origin(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestDoRedirectHeaders: which headers each hop of a redirect carries.
// Credentials, the request's SecretHeaders included, stay on the origin
// (judged on the canonical host): a subdomain is another origin; headers
// describing a body
// go when a 303 drops the body; no hop gets a Referer.
func TestDoRedirectHeaders(t *testing.T) {
	t.Parallel()
	var srv *countingServer
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		to := func(host, path string, code int) {
			http.Redirect(w, r, "http://"+host+":"+srv.port()+path, code)
		}
		switch r.URL.Path {
		case "/to-sub":
			to("sub.api.test", "/echo", http.StatusFound)
		case "/to-other":
			to("other.test", "/echo", http.StatusFound)
		case "/to-odd-self":
			to("2130706433", "/echo", http.StatusFound) // 127.0.0.1 spelled otherwise
		case "/see-other":
			http.Redirect(w, r, "/echo", http.StatusSeeOther)
		case "/temporary":
			http.Redirect(w, r, "/echo", http.StatusTemporaryRedirect)
		case "/no-location":
			w.WriteHeader(http.StatusFound)
			io.WriteString(w, "moved, but not saying where")
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s body=%q auth=%q key=%q cookie=%q type=%q referer=%q trace=%q",
				r.Method, b, r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), r.Header.Get("Cookie"),
				r.Header.Get("Content-Type"), r.Header.Get("Referer"), r.Header.Get("X-Trace"))
		}
	})
	loopback := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	c, _ := testClient(t, Config{Allow: allowLoopback1}, map[string][]netip.Addr{
		"api.test": loopback, "sub.api.test": loopback, "other.test": loopback,
	})
	header := http.Header{
		"Authorization": {"Bearer t0ken"}, "X-Api-Key": {"k3y-secret"}, "Cookie": {"s=1"},
		"Content-Type": {"application/json"}, "X-Trace": {"t-1"},
	}
	base := "http://api.test:" + srv.port()
	const all = `auth="Bearer t0ken" key="k3y-secret" cookie="s=1"`
	const none = `auth="" key="" cookie=""`
	for _, tc := range []struct {
		name, url, method, want string
	}{
		{"a subdomain is another origin and gets none", base + "/to-sub", "POST",
			`GET body="" ` + none + ` type="" referer="" trace="t-1"`},
		{"another host gets none", base + "/to-other", "POST",
			`GET body="" ` + none + ` type="" referer="" trace="t-1"`},
		{"a 303 drops the body and its type", base + "/see-other", "PUT",
			`GET body="" ` + all + ` type="" referer="" trace="t-1"`},
		{"a 307 repeats method, body and type", base + "/temporary", "PATCH",
			`PATCH body="{}" ` + all + ` type="application/json" referer="" trace="t-1"`},
		{"the same address spelled otherwise is the same host", srv.URL + "/to-odd-self", "GET",
			`GET body="" ` + all + ` type="" referer="" trace="t-1"`},
	} {
		resp, err := c.Do(context.Background(), &Request{Method: tc.method, URL: tc.url, Header: header,
			Body: []byte("{}"), SecretHeaders: []string{"x-api-key"}, RetryUnsafe: true})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(resp.Body) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, resp.Body, tc.want)
		}
	}

	// Without SecretHeaders an API key header is an ordinary header.
	resp, err := c.Do(context.Background(), &Request{URL: base + "/to-other", Header: header})
	if err != nil || !strings.Contains(string(resp.Body), `key="k3y-secret"`) {
		t.Errorf("plain header: %s, %v", resp.Body, err)
	}
	// A 3xx without a Location is the answer.
	resp, err = c.Do(context.Background(), &Request{URL: base + "/no-location"})
	if err != nil || resp.Status != http.StatusFound || string(resp.Body) != "moved, but not saying where" {
		t.Errorf("no Location: %+v, %v", resp, err)
	}
}

// TestDoFallsBackToNextAddress: when the first checked address refuses the
// connection, the next one is dialed.
func TestDoFallsBackToNextAddress(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c, _ := testClient(t, Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, map[string][]netip.Addr{
		"two.test": {netip.MustParseAddr("127.0.0.4"), netip.MustParseAddr("127.0.0.1")},
	})
	resp, err := c.Do(context.Background(), &Request{URL: "http://two.test:" + srv.port() + "/", NoRetry: true})
	if err != nil || string(resp.Body) != "ok" || resp.Attempts != 1 {
		t.Fatalf("%+v, %v", resp, err)
	}
}
