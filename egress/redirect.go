package egress

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// follow sends req through the transport and follows redirects the way
// net/http's Client does (methods, bodies and headers per hop), with these
// differences:
//
//   - every hop is checked by checkRedirect first: scheme, credentials,
//     literal addresses and the hop count;
//   - credentials are kept only on the first request's origin (scheme, host
//     and port, see Origin), judged on the hop's canonical host: another
//     port, another scheme or a subdomain is another origin. Once a hop
//     leaves the origin, no later hop gets them back. The request's
//     SecretHeaders count as credentials too (net/http would carry an API
//     key header anywhere), and its SecretParams are taken out of the
//     query of a Location that repeats them;
//   - no Referer is added: these are server-to-server calls, and a Referer
//     would carry the previous URL, query and all, to the next host.
//
// Sending through the transport directly also spares every request the
// Client's copy of its header, which only redirects need. The caller closes
// the returned response's body.
func (c *Client) follow(req *http.Request, p *prepared) (*http.Response, error) {
	first := req
	includeBody, strip := true, false
	for hops := 0; ; hops++ {
		resp, err := c.roundTrip.RoundTrip(req)
		if err != nil {
			if hops > 0 {
				err = redirectRefused(err)
			}
			return nil, err
		}
		method, redirect, bodyOnHop := redirectBehavior(req.Method, resp.StatusCode, first)
		if !redirect {
			return resp, nil
		}
		// A 3xx without a Location is an answer like any other.
		loc := resp.Header.Get("Location")
		if loc == "" {
			return resp, nil
		}
		includeBody = includeBody && bodyOnHop
		u, err := req.URL.Parse(loc)
		if err != nil {
			resp.Body.Close()
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its text repeats the Location
			}
			return nil, &Error{Kind: KindInvalidResponse, Msg: fmt.Sprintf("the server redirected to a Location that does not parse (%v)", err), Err: err}
		}
		next := &http.Request{
			Method:     method,
			URL:        u,
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     make(http.Header, len(first.Header)),
		}
		// A Host set apart from the URL stays for relative redirects, as
		// net/http keeps it: the server sent a path on the same virtual host.
		if req.Host != "" && req.Host != req.URL.Host {
			if lu, _ := url.Parse(loc); lu != nil && !lu.IsAbs() {
				next.Host = req.Host
			}
		}
		if includeBody && first.GetBody != nil {
			if next.Body, err = first.GetBody(); err != nil {
				resp.Body.Close()
				return nil, err
			}
			next.GetBody = first.GetBody
			next.ContentLength = first.ContentLength
		}
		if err := c.checkRedirect(next, hops); err != nil {
			resp.Body.Close()
			return nil, err
		}
		if !strip && Origin(next.URL) != Origin(first.URL) {
			strip = true
		}
		if strip {
			dropParams(next.URL, p.secretParams)
		}
		for k, vs := range first.Header {
			if strip && (sensitiveHeader(k) || slices.ContainsFunc(p.secretHeaders, func(n string) bool { return strings.EqualFold(n, k) })) {
				continue
			}
			if !includeBody && bodyHeader(k) {
				continue
			}
			next.Header[k] = vs
		}
		// A short body is read so that the connection can carry the next
		// hop; a long one is not worth it.
		const maxDrain = 2 << 10
		if resp.ContentLength == -1 || resp.ContentLength <= maxDrain {
			io.CopyN(io.Discard, resp.Body, maxDrain)
		}
		resp.Body.Close()
		req = next.WithContext(first.Context())
	}
}

// redirectBehavior is net/http's: 301, 302 and 303 turn anything but GET
// and HEAD into a GET without a body; 307 and 308 repeat the method and
// the body, which needs first.GetBody when there is one.
func redirectBehavior(method string, status int, first *http.Request) (next string, redirect, includeBody bool) {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
		if method != http.MethodGet && method != http.MethodHead {
			method = http.MethodGet
		}
		return method, true, false
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if first.GetBody == nil && first.Body != nil && first.Body != http.NoBody {
			return method, false, false
		}
		return method, true, true
	}
	return method, false, false
}

// sensitiveHeader reports whether a header carries credentials, which a
// redirect to another host must not receive. Names are canonical.
func sensitiveHeader(k string) bool {
	switch k {
	case "Authorization", "Www-Authenticate", "Cookie", "Cookie2", "Proxy-Authorization", "Proxy-Authenticate":
		return true
	}
	return false
}

// bodyHeader reports whether a header describes the body, which a redirect
// that drops the body drops too.
func bodyHeader(k string) bool {
	switch k {
	case "Content-Encoding", "Content-Language", "Content-Location", "Content-Type":
		return true
	}
	return false
}

// dropParams removes the query parameters named in names from u, leaving
// the rest of the query as the server wrote it.
func dropParams(u *url.URL, names []string) {
	if len(names) == 0 || u.RawQuery == "" {
		return
	}
	parts := strings.Split(u.RawQuery, "&")
	kept := parts[:0]
	for _, part := range parts {
		key, _, _ := strings.Cut(part, "=")
		if name, err := url.QueryUnescape(key); err == nil && slices.Contains(names, name) {
			continue
		}
		kept = append(kept, part)
	}
	u.RawQuery = strings.Join(kept, "&")
}
