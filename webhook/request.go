package webhook

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/jinja"
)

// Request is a built request: what egress sends, and what a result shows.
type Request struct {
	Egress egress.Request
	// Shown is the request with its secrets masked: the Authorization value
	// after the scheme word ("Bearer ********") and the API key's value in
	// its header or query parameter.
	Shown hookline.WebhookRequestInfo
}

// Build renders the request from the template context data (see
// ConversationData and RunData): context values first (names data already
// defines keep data's value), then the URL, params, headers and body; then
// it applies the auth. A failure is a *hookline.WebhookError of kind render
// naming the field and, for template errors, the line and column.
func (c *Compiled) Build(ctx context.Context, data map[string]any) (*Request, error) {
	req := &Request{}
	if err := c.build(ctx, data, req, nil); err != nil {
		return nil, err
	}
	return req, nil
}

// build is Build into a request the caller provides (Run's stays on its
// stack). A userAgent says the request is only sent, by Run, never handed
// out: its header then carries that User-Agent unless the definition sets
// one, and a constant header is shared by every run.
func (c *Compiled) build(ctx context.Context, data map[string]any, req *Request, userAgent []string) error {
	forRun := userAgent != nil
	def := &c.def
	d, err := c.withContextValues(ctx, data)
	if err != nil {
		return err
	}

	for _, n := range c.urlNames {
		if _, ok := d[n]; !ok {
			return renderErr("url", fmt.Sprintf("the URL uses {{%s}} but nothing defines it: set context_values.%s", n, n))
		}
	}
	rawURL, u := c.staticRaw, c.staticURL
	if u == nil {
		if rawURL, err = c.url.Render(ctx, d, c.limits); err != nil {
			return templateErr("url", err)
		}
		rawURL = strings.TrimSpace(rawURL)
		if u, err = hookline.ParseWebhookURL(rawURL); err != nil {
			return renderErr("url", "the rendered URL "+hookline.ErrorMessage(err))
		}
	}
	finalURL, shownURL := rawURL, rawURL
	keyInQuery := def.Auth.Type == hookline.AuthAPIKey && def.Auth.In == hookline.APIKeyInQuery
	if len(c.params) > 0 || keyInQuery || u.Fragment != "" {
		// The query: the URL's own, then the params in order, then an API
		// key. The fragment is never sent. u may be the shared static URL,
		// so the changes go to copies.
		u := *u
		u.Fragment, u.RawFragment = "", ""
		var query strings.Builder
		query.WriteString(u.RawQuery)
		for _, p := range c.params {
			v, err := p.tmpl.Render(ctx, d, c.limits)
			if err != nil {
				return templateErr(p.field, err)
			}
			appendQuery(&query, p.key, url.QueryEscape(v))
		}
		shownQuery := query.String()
		if keyInQuery {
			appendQuery(&query, def.Auth.Name, url.QueryEscape(def.Auth.Value))
			if shownQuery != "" {
				shownQuery += "&"
			}
			shownQuery += url.QueryEscape(def.Auth.Name) + "=" + hookline.SecretMask
		}
		u.RawQuery = query.String()
		finalURL = u.String()
		u.RawQuery = shownQuery
		shownURL = u.String()
	}

	var (
		h     http.Header
		shown map[string]string
	)
	if forRun && c.constHeader != nil {
		rh := c.runHeaders(userAgent)
		h, shown = rh.header, maps.Clone(rh.shown)
	} else {
		if h, err = c.header(ctx, d); err != nil {
			return err
		}
		shown = c.shownHeaders(h)
		if forRun {
			addUserAgent(h, shown, userAgent)
		}
	}

	*req = Request{
		Egress: egress.Request{
			Method:        def.Method,
			URL:           finalURL,
			Header:        h,
			Timeout:       def.Timeout(),
			RetryUnsafe:   def.RetryNonIdempotent,
			SecretHeaders: c.secretHeaders,
		},
		Shown: hookline.WebhookRequestInfo{
			Method:  def.Method,
			URL:     shownURL,
			Headers: shown,
		},
	}
	if c.body != nil {
		s, err := c.body.Render(ctx, d, c.limits)
		if err != nil {
			return templateErr("body", err)
		}
		req.Egress.Body = []byte(s)
		req.Shown.Body = s
	}
	return nil
}

// header renders the request header: the definition's headers, then the
// default and auth headers.
func (c *Compiled) header(ctx context.Context, d map[string]any) (http.Header, error) {
	n := len(c.headers) + len(c.fixed) // at most one value array slot each
	h := headerBuilder{h: make(http.Header, n), values: make([]string, 0, n)}
	for _, kv := range c.headers {
		v := kv.value
		if !kv.static {
			var err error
			if v, err = kv.tmpl.Render(ctx, d, c.limits); err != nil {
				return nil, templateErr(kv.field, err)
			}
		}
		h.add(kv.key, v)
	}
	for _, f := range c.fixed {
		// f.key is canonical: the map lookup is Header.Get without the
		// canonicalization.
		if vs := h.h[f.key]; !f.ifUnset || len(vs) == 0 || vs[0] == "" {
			h.set(f.key, f.value)
		}
	}
	return h.h, nil
}

// headerBuilder fills a header whose value slices, one value each unless a
// name repeats, all live in one array sized for every value up front.
// Each slice is capped at its own value, so appending to one copies it.
type headerBuilder struct {
	h      http.Header
	values []string
}

// slot stores v in the shared array and returns the one-value slice of it.
func (b *headerBuilder) slot(v string) []string {
	b.values = append(b.values, v) // within capacity: the array never moves
	n := len(b.values)
	return b.values[n-1 : n : n]
}

// add adds v to key, a canonical name.
func (b *headerBuilder) add(key, v string) {
	if cur, ok := b.h[key]; ok {
		b.h[key] = append(cur, v)
	} else {
		b.h[key] = b.slot(v)
	}
}

// set replaces key's values with v.
func (b *headerBuilder) set(key, v string) {
	b.h[key] = b.slot(v)
}

// withContextValues returns data with the webhook's context values added
// under their names, rendered against data. data itself is not changed.
func (c *Compiled) withContextValues(ctx context.Context, data map[string]any) (map[string]any, error) {
	if len(c.values) == 0 {
		return data, nil
	}
	d := make(map[string]any, len(data)+len(c.values))
	for k, v := range data {
		d[k] = v
	}
	for _, cv := range c.values {
		if _, ok := data[cv.name]; ok {
			continue
		}
		if cv.tmpl == nil {
			d[cv.name] = cv.literal
			continue
		}
		v, err := cv.tmpl.Render(ctx, data, c.limits)
		if err != nil {
			return nil, templateErr("context_values."+cv.name, err)
		}
		d[cv.name] = v
	}
	return d, nil
}

func appendQuery(b *strings.Builder, key, escapedValue string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}
	b.WriteString(url.QueryEscape(key))
	b.WriteByte('=')
	b.WriteString(escapedValue)
}

// shownHeaders flattens h for display, masking credentials: the
// Authorization value keeps its scheme word, an API key header is masked
// whole. The map has room for the User-Agent that Run adds.
func (c *Compiled) shownHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h)+1)
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		switch {
		case k == c.auth.key && v == c.auth.value:
			v = c.auth.shown // the usual case, masked at compile time
		case k == c.auth.key || k == "Authorization" || k == "Proxy-Authorization":
			v = maskAuthorization(k, v)
		}
		out[k] = v
	}
	return out
}

// maskAuthorization masks a credential header's value: an Authorization
// value keeps its scheme word, anything else is masked whole.
func maskAuthorization(key, v string) string {
	if key == "Authorization" || key == "Proxy-Authorization" {
		if scheme, _, ok := strings.Cut(v, " "); ok {
			return scheme + " " + hookline.SecretMask
		}
	}
	return hookline.SecretMask
}

func renderErr(field, msg string) *hookline.WebhookError {
	return &hookline.WebhookError{Kind: hookline.ErrRender, Field: field, Message: field + ": " + msg}
}

// templateErr turns a render failure into a render error naming the field
// (see renderMessage).
func templateErr(field string, err error) *hookline.WebhookError {
	return renderErr(field, renderMessage(field, err))
}

// renderMessage words a render failure of field: the engine's message
// carries the line and column (in the rendered text when the output is at
// fault, such as a body that is not valid JSON).
func renderMessage(field string, err error) string {
	msg := templateMessage(err)
	if je, ok := err.(*jinja.Error); ok && je.Kind == "output" {
		msg = "the rendered " + fieldNoun(field) + " is invalid at " + msg
	}
	return msg
}

func fieldNoun(field string) string {
	switch {
	case field == "url":
		return "URL"
	case field == "body":
		return "body (JSON)"
	case strings.HasPrefix(field, "headers"):
		return "header value"
	}
	return "value"
}
