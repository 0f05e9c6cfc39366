package egress

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookline/hookline"
)

// Limits and defaults of a request.
const (
	DefaultTimeout          = 5 * time.Second
	MaxTimeout              = 30 * time.Second
	DefaultMaxResponseBytes = 1 << 20
	DefaultUserAgent        = "hookline"
	// MaxRedirects is how many redirects one attempt follows.
	MaxRedirects = 10
	// maxAttempts bounds in-flow retries even when the server answers fast
	// with Retry-After: 0.
	maxAttempts = 5
)

// backoff is the wait before each retry, before jitter.
var backoff = []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second}

// Config configures a Client. The zero value is usable: nothing private is
// reachable, bodies are read up to 1 MiB.
type Config struct {
	Allow            []netip.Prefix // HOOKLINE_EGRESS_ALLOW: ranges opened despite the guard
	MaxResponseBytes int64          // default 1 << 20
	UserAgent        string         // default "hookline"
	// IdleConnsPerHost is how many connections to one host are kept open
	// between requests (default 64). Below the number of requests sent to
	// one host at once, every exchange past it opens and closes a
	// connection: a queue draining to one endpoint spent a tenth of its
	// time on that.
	IdleConnsPerHost int
}

// DefaultIdleConnsPerHost is Config.IdleConnsPerHost's default.
const DefaultIdleConnsPerHost = 64

// Request is one outbound HTTP request.
type Request struct {
	Method  string // default GET
	URL     string // http or https, without credentials
	Header  http.Header
	Body    []byte
	Timeout time.Duration // whole exchange including in-flow retries; 0 → 5 s; capped at 30 s
	// Retries happen on connection errors and 502/503/504, within Timeout, for GET, HEAD, PUT,
	// DELETE, OPTIONS; for POST and PATCH only when RetryUnsafe is set.
	RetryUnsafe bool
	NoRetry     bool
	// SecretHeaders names headers that carry credentials besides the usual
	// ones (Authorization, Cookie, ...), such as an API key header: like
	// those, they are not sent on when a redirect leaves the origin.
	SecretHeaders []string
	// SecretParams names query parameters that carry credentials (an API
	// key in the query, a secret param): a redirect that leaves the origin
	// and repeats them in its Location gets the URL without them.
	SecretParams []string
}

// Response is the outcome of a request that got an HTTP response, whatever
// its status.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte // at most MaxResponseBytes
	Truncated bool   // the body was longer and was cut
	Attempts  int
	Duration  time.Duration
	// URL is the URL that produced this response, after redirects.
	URL string
}

// Client sends requests through the address guard. It is safe for
// concurrent use and shares one keep-alive transport across all requests.
type Client struct {
	allow     []netip.Prefix
	maxBody   int64
	userAgent string
	transport *http.Transport
	// roundTrip sends one request: the transport, or a stand-in in
	// benchmarks that measure the client without the network.
	roundTrip http.RoundTripper
	dialer    *net.Dialer
	// lookup resolves host names; tests replace it to observe or answer
	// lookups without a real resolver.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	c := &Client{
		maxBody:   cfg.MaxResponseBytes,
		userAgent: cfg.UserAgent,
	}
	for _, p := range cfg.Allow {
		c.allow = append(c.allow, p.Masked())
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	c.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}
	c.dialer = &net.Dialer{
		KeepAlive: 30 * time.Second,
		// The second line of defence: whatever address a socket is about to
		// connect to is checked again, so no code path can dial around the
		// guard.
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return &Error{Kind: KindBlocked, Msg: fmt.Sprintf("unparsable dial address %q is not allowed", address)}
			}
			return Check(ap.Addr(), c.allow)
		},
	}
	c.transport = &http.Transport{
		// No proxy, not even from HTTP_PROXY/HTTPS_PROXY: with a proxy the
		// dialer would connect to the proxy and check the proxy's address,
		// while the proxy resolved and reached the real target unchecked.
		Proxy:                 nil,
		DialContext:           c.dialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		MaxIdleConns:          max(256, cfg.IdleConnsPerHost),
		MaxIdleConnsPerHost:   cmp.Or(cfg.IdleConnsPerHost, DefaultIdleConnsPerHost),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c.roundTrip = c.transport
	return c
}

// UserAgent is the User-Agent the client sends with requests that set none.
func (c *Client) UserAgent() string { return c.userAgent }

// dialContext resolves the host, checks every address and dials the checked
// addresses themselves, so nothing can change between check and connect
// (a DNS answer that flips to 127.0.0.1 after the check is never used).
func (c *Client) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Msg: fmt.Sprintf("bad dial address %q", address), Err: err}
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Msg: fmt.Sprintf("bad port %q", portStr), Err: err}
	}
	addrs, err := c.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	// One bad address refuses the host: a name that resolves to both a
	// public and a private address is either misconfigured or rebinding.
	for _, a := range addrs {
		if err := Check(a, c.allow); err != nil {
			return nil, blockedHost(host, err)
		}
	}
	var firstErr error
	for i, a := range addrs {
		dctx := ctx
		if left := len(addrs) - i; left > 1 {
			// Leave time for the other addresses, as net.Dialer does.
			if dl, ok := ctx.Deadline(); ok {
				share := time.Until(dl) / time.Duration(left)
				if share < 2*time.Second {
					share = min(2*time.Second, time.Until(dl))
				}
				var cancel context.CancelFunc
				dctx, cancel = context.WithTimeout(ctx, share)
				defer cancel()
			}
		}
		conn, err := c.dialer.DialContext(dctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// resolve turns a host into addresses. Literal addresses in any spelling are
// parsed here and never reach the resolver.
func (c *Client) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	addr, isIP, err := parseHostIP(host)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Msg: err.Error()}
	}
	if isIP {
		return []netip.Addr{addr}, nil
	}
	addrs, err := c.lookup(ctx, host)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return nil, dnsError(host, dnsErr)
		}
		return nil, &Error{Kind: KindDNS, Msg: "cannot resolve " + host + ": " + err.Error(), Err: err}
	}
	if len(addrs) == 0 {
		return nil, &Error{Kind: KindDNS, Msg: "cannot resolve " + host + ": no addresses"}
	}
	return addrs, nil
}

func blockedHost(host string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Kind: KindBlocked, Msg: host + ": " + e.Msg}
	}
	return &Error{Kind: KindBlocked, Msg: host + ": " + err.Error(), Err: err}
}

// checkURL enforces the rules on every URL the client is about to request,
// the first and each redirect's: http or https, no credentials, a host, and
// a literal address checked before any lookup. canon is the host[:port] to
// send instead of u.Host when the address is spelled otherwise than in its
// canonical form; "" when u.Host is fine as it is. u is not modified.
func (c *Client) checkURL(u *url.URL) (canon string, err error) {
	switch u.Scheme {
	case "http", "https":
	default:
		return "", &Error{Kind: KindInvalid, Msg: fmt.Sprintf("scheme %q is not allowed: use http or https", u.Scheme)}
	}
	if u.User != nil {
		return "", &Error{Kind: KindInvalid, Msg: "credentials in the URL are not allowed: send them in a header"}
	}
	if u.Opaque != "" {
		return "", &Error{Kind: KindInvalid, Msg: "URL must be absolute, such as https://example.com/path"}
	}
	host := u.Hostname()
	if host == "" {
		return "", &Error{Kind: KindInvalid, Msg: "URL has no host"}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return "", &Error{Kind: KindInvalid, Msg: fmt.Sprintf("port %q is not valid", p)}
		}
	}
	if strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		return "", &Error{Kind: KindInvalid, Msg: fmt.Sprintf("host %q has an empty label", host)}
	}
	addr, isIP, perr := parseHostIP(host)
	if perr != nil {
		return "", &Error{Kind: KindInvalid, Msg: perr.Error()}
	}
	if !isIP {
		// Names are checked after resolution, in the dialer. net/http maps
		// non-ASCII names through IDNA first, so fullwidth digits arrive
		// there as an ordinary spelling of an address.
		return "", nil
	}
	if err := Check(addr, c.allow); err != nil {
		return "", blockedHost(host, err)
	}
	// Send the address in its canonical spelling, as a browser would, so
	// the Host header and the dialer see what the guard saw.
	canon = addr.String()
	if addr.Is6() {
		canon = "[" + canon + "]"
	}
	if p := u.Port(); p != "" {
		canon += ":" + p
	}
	if canon == u.Host {
		return "", nil
	}
	return canon, nil
}

// checkRedirect checks the next hop of a redirect chain: hops counts the
// redirects followed before it. A literal address in another spelling is
// replaced by its canonical form in req, which the redirect loop made. A
// hop the guard blocks is KindBlocked; any other refusal is the server's
// answer at fault, KindInvalidResponse.
func (c *Client) checkRedirect(req *http.Request, hops int) error {
	if hops >= MaxRedirects {
		return &Error{Kind: KindInvalidResponse, Msg: fmt.Sprintf("stopped after %d redirects", MaxRedirects)}
	}
	canon, err := c.checkURL(req.URL)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			kind := e.Kind
			if kind == KindInvalid {
				kind = KindInvalidResponse
			}
			return &Error{Kind: kind, Msg: "redirect refused: " + e.Msg, Err: e.Err}
		}
		return err
	}
	if canon != "" {
		if req.Host == req.URL.Host {
			req.Host = canon
		}
		req.URL.Host = canon
	}
	return nil
}

// redirectRefused words a redirect hop whose host name resolved to an
// address the dialer's guard refused as checkRedirect words one whose
// literal address it refused, so that the user reads the same message
// whichever way the redirect named the address. Other errors are returned
// as they are.
func redirectRefused(err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindBlocked {
		return err
	}
	return &Error{Kind: KindBlocked, Msg: "redirect refused: " + e.Msg, Err: e.Err}
}

// retryable reports whether a request may be sent again after a failure;
// method is r's, defaulted.
func retryable(method string, r *Request) bool {
	if r.NoRetry {
		return false
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	case http.MethodPost, http.MethodPatch:
		return r.RetryUnsafe
	}
	return false
}

// Do sends the request, following redirects and retrying within the
// request's timeout, and returns the response whatever its status. The
// error is always an *Error.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	start := time.Now()
	prep, err := c.prepare(r)
	if err != nil {
		return nil, err
	}
	// The timeout covers every attempt, redirect and wait; a caller's
	// earlier deadline still wins.
	ctx, cancel := context.WithDeadline(ctx, start.Add(prep.timeout))
	defer cancel()
	// The time the exchange had, named in timeout messages.
	dl, _ := ctx.Deadline()
	budget := dl.Sub(start)

	retry := prep.retry
	var lastErr *Error
	for attempt := 1; ; attempt++ {
		attemptStart := time.Now()
		resp, err := c.attempt(ctx, prep, budget)
		if err != nil {
			lastErr = err
			if !retry || err.Kind != KindConnection || errors.Is(err, context.Canceled) {
				return nil, withAttempts(err, attempt)
			}
		} else {
			resp.Attempts = attempt
			if !retry || !retryStatus(resp.Status) {
				resp.Duration = time.Since(start)
				return resp, nil
			}
		}
		took := time.Since(attemptStart)
		wait := backoffDelay(attempt)
		if resp != nil {
			if ra, ok := RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && ra > wait {
				wait = ra
			}
		}
		// A retry starts only if the wait and another attempt as long as
		// this one fit before the deadline.
		dl, _ := ctx.Deadline()
		if attempt >= maxAttempts || time.Now().Add(wait+took).After(dl) {
			if resp != nil {
				resp.Duration = time.Since(start)
				return resp, nil
			}
			return nil, withAttempts(lastErr, attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			if resp != nil {
				resp.Duration = time.Since(start)
				return resp, nil
			}
			e := classify(ctx, ctx.Err(), "waiting to retry")
			if e.Kind == KindTimeout {
				e.Msg = fmt.Sprintf("the request to %s got no usable answer within %s: the time ran out waiting to retry", prep.host, roundBudget(budget))
			}
			return nil, withAttempts(e, attempt)
		case <-t.C:
		}
	}
}

func withAttempts(e *Error, n int) *Error {
	if n <= 1 {
		return e
	}
	return &Error{Kind: e.Kind, Msg: fmt.Sprintf("%s (%d attempts)", e.Msg, n), Err: e.Err}
}

func retryStatus(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// backoffDelay is the wait before retry n (1-based), with jitter.
func backoffDelay(n int) time.Duration {
	return Jitter(backoff[min(n, len(backoff))-1])
}

// Jitter spreads d by ±20%, so that many clients retrying the same
// endpoint, or deliveries failing together, do not all come back at once.
func Jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// RetryAfter parses a Retry-After value, delay-seconds or an HTTP-date, as
// a wait from now.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// prepared is a checked request, ready for its attempts.
type prepared struct {
	method string
	retry  bool
	// base is the request every attempt sends, without its context. Its
	// URL and header are the client's own copies, shared by all attempts:
	// neither the transport nor the client (which has no cookie jar)
	// modifies them.
	base      http.Request
	urlString string
	host      string // for messages: host[:port], never path or query
	timeout   time.Duration
	// secretHeaders and secretParams are the request's SecretHeaders and
	// SecretParams (see follow).
	secretHeaders []string
	secretParams  []string
}

// prepare checks r and returns it ready for its attempts. r is not
// changed: its header is copied, its body is read by each attempt.
func (c *Client) prepare(r *Request) (*prepared, error) {
	if r == nil {
		return nil, &Error{Kind: KindInvalid, Msg: "no request"}
	}
	p := &prepared{method: r.Method, secretHeaders: r.SecretHeaders, secretParams: r.SecretParams}
	if p.method == "" {
		p.method = http.MethodGet
	}
	if !hookline.IsToken(p.method) {
		return nil, &Error{Kind: KindInvalid, Msg: fmt.Sprintf("method %q is not valid", p.method)}
	}
	p.retry = retryable(p.method, r)
	switch {
	case r.Timeout < 0:
		return nil, &Error{Kind: KindInvalid, Msg: "timeout must not be negative"}
	case r.Timeout == 0:
		p.timeout = DefaultTimeout
	default:
		p.timeout = min(r.Timeout, MaxTimeout)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the whole URL
		}
		return nil, &Error{Kind: KindInvalid, Msg: "URL is not valid: " + err.Error()}
	}
	canon, err := c.checkURL(u)
	if err != nil {
		return nil, err
	}
	if canon != "" {
		// The address is sent in its canonical spelling, as a browser
		// would, so that the Host header and the dialer see what the guard
		// saw.
		u.Host = canon
	}
	p.urlString, p.host = u.String(), u.Host

	// The header is copied with canonical names, so that the caller's map
	// and value slices are never changed, without Host (which goes to the
	// request's Host field) and with a User-Agent when it names none.
	h := make(http.Header, len(r.Header)+1)
	hostValue := ""
	for k, vs := range r.Header {
		if !hookline.IsToken(k) {
			return nil, &Error{Kind: KindInvalid, Msg: fmt.Sprintf("header name %q is not valid", k)}
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, &Error{Kind: KindInvalid, Msg: fmt.Sprintf("header %s: value contains a line break or NUL", k)}
			}
		}
		ck := http.CanonicalHeaderKey(k)
		if ck == "Host" {
			if len(vs) > 0 {
				hostValue = vs[len(vs)-1]
			}
			continue
		}
		h[ck] = append(h[ck], vs...)
	}
	if _, ok := h["User-Agent"]; !ok {
		h.Set("User-Agent", c.userAgent)
	}

	p.base = http.Request{
		Method:     p.method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       u.Host,
	}
	if hostValue != "" {
		p.base.Host = hostValue
	}
	if body := r.Body; len(body) > 0 {
		p.base.ContentLength = int64(len(body))
		// A bytes.Reader is a body net/http knows to be in memory: it
		// writes the headers and the body in one packet.
		p.base.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	} else if p.method == http.MethodPost || p.method == http.MethodPut || p.method == http.MethodPatch {
		p.base.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	}
	return p, nil
}

// attempt sends the request once, following redirects, and reads the body
// up to the cap. budget is the time the whole exchange had, for timeout
// messages.
func (c *Client) attempt(ctx context.Context, p *prepared, budget time.Duration) (*Response, *Error) {
	var progress exchangeProgress
	req := p.base.WithContext(httptrace.WithClientTrace(ctx, progress.trace()))
	if req.GetBody != nil {
		req.Body, _ = req.GetBody() // never fails
	}
	resp, err := c.follow(req, p)
	if err != nil {
		e := classify(ctx, err, "sending the request to "+p.host)
		if e.Kind == KindTimeout {
			e.Msg = progress.timeoutMessage(p.host, budget)
		}
		return nil, e
	}
	defer resp.Body.Close()

	out := &Response{
		Status: resp.StatusCode,
		Header: resp.Header,
		URL:    p.urlString,
	}
	if resp.Request.URL != req.URL {
		out.URL = resp.Request.URL.String() // redirected
	}
	// One byte past the cap tells a body of exactly the cap from a longer
	// one. The body is then closed without draining the rest, which drops
	// the connection instead of reading an endless stream.
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		e := classify(ctx, err, "reading the response body from "+p.host)
		if e.Kind == KindTimeout {
			e.Msg = fmt.Sprintf("%s answered, but the response body did not arrive within %s (reading the response body)", p.host, roundBudget(budget))
		}
		return nil, e
	}
	if int64(len(body)) > c.maxBody {
		body = body[:c.maxBody]
		out.Truncated = true
	}
	out.Body = body
	return out, nil
}

// exchangeProgress follows one attempt through the transport, so that a
// timeout can say how far the request got: whether the receiver has it
// matters to whoever decides to send it again. Each hop of a redirect
// starts over.
type exchangeProgress struct {
	connected atomic.Bool // a connection is in hand for the current hop
	wrote     atomic.Bool // the current hop's request was written in full
}

func (p *exchangeProgress) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) {
			p.connected.Store(false)
			p.wrote.Store(false)
		},
		GotConn: func(httptrace.GotConnInfo) { p.connected.Store(true) },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			p.wrote.Store(info.Err == nil)
		},
	}
}

// timeoutMessage says where the attempt stood when its time ran out.
func (p *exchangeProgress) timeoutMessage(host string, budget time.Duration) string {
	switch {
	case p.wrote.Load():
		return fmt.Sprintf("the request was sent to %s, but no answer came within %s", host, roundBudget(budget))
	case p.connected.Load():
		return fmt.Sprintf("timed out before the request was sent to %s (writing it); it may have arrived in part", host)
	}
	return fmt.Sprintf("timed out before the request was sent to %s (connecting, within %s)", host, roundBudget(budget))
}

// roundBudget rounds a timeout for messages: a caller's deadline leaves
// odd remainders such as 4.999873s.
func roundBudget(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
