package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/jinja"
)

// Request is a built request: what egress sends, and what a result shows.
type Request struct {
	Egress egress.Request
	// Shown is the request with its secrets masked: the Authorization value
	// after the scheme word ("Bearer ********"), the API key's value in its
	// header or query parameter, and the values of secret headers and
	// params.
	Shown hookline.WebhookRequestInfo
	// rendered holds the values of secret items with template tags as
	// rendered for this request, which the compiled forms (see echoForms)
	// cannot know.
	rendered []string
}

// Build renders the request from the template context data (see
// ConversationData and RunData): context values first (names data already
// defines keep data's value), then the URL, params, headers and body; then
// it applies the auth. The request carries userAgent (Run passes its
// client's) unless the definition sets a User-Agent of its own, so that the
// shown request is what is sent. Run sends exactly what Build returns. A
// failure is a *hookline.WebhookError of kind render naming the field and,
// for template errors, the line and column.
func (c *Compiled) Build(ctx context.Context, data map[string]any, userAgent string) (*Request, error) {
	def := &c.def
	d, err := c.withContextValues(ctx, data)
	if err != nil {
		return nil, err
	}

	for _, n := range c.urlNames {
		if _, ok := d[n]; !ok {
			return nil, renderErr("url", fmt.Sprintf("the URL uses {{%s}} but nothing defines it: set context_values.%s", n, n))
		}
	}
	rawURL, err := c.url.Render(ctx, d, c.limits)
	if err != nil {
		return nil, templateErr("url", err)
	}
	rawURL = strings.TrimSpace(rawURL)
	u, err := hookline.ParseWebhookURL(rawURL)
	if err != nil {
		return nil, renderErr("url", "the rendered URL "+hookline.ErrorMessage(err))
	}
	if c.origin != "" && egress.Origin(u) != c.origin {
		// A run context that defines a context value itself can move the
		// host; the secrets stay where they were entered for.
		return nil, renderErr("url", fmt.Sprintf("the URL goes to %s, but the webhook's secrets were entered for %s and are sent there only", egress.Origin(u), c.origin))
	}
	var rendered []string
	finalURL, shownURL := rawURL, rawURL
	keyInQuery := def.Auth.Type == hookline.AuthAPIKey && def.Auth.In == hookline.APIKeyInQuery
	if len(c.params) > 0 || keyInQuery || u.Fragment != "" {
		// The query: the URL's own, then the params in order, then an API
		// key. The fragment is never sent.
		u.Fragment, u.RawFragment = "", ""
		var query, shownQuery strings.Builder
		query.WriteString(u.RawQuery)
		shownQuery.WriteString(u.RawQuery)
		for _, p := range c.params {
			v, err := p.tmpl.Render(ctx, d, c.limits)
			if err != nil {
				return nil, templateErr(p.field, err)
			}
			appendQuery(&query, p.key, url.QueryEscape(v))
			shown := url.QueryEscape(v)
			if p.secret && v != "" {
				shown = hookline.SecretMask
				if !p.plain {
					rendered = append(rendered, v)
				}
			}
			appendQuery(&shownQuery, p.key, shown)
		}
		if keyInQuery {
			appendQuery(&query, def.Auth.Name, url.QueryEscape(def.Auth.Value))
			appendQuery(&shownQuery, def.Auth.Name, hookline.SecretMask)
		}
		u.RawQuery = query.String()
		finalURL = u.String()
		u.RawQuery = shownQuery.String()
		shownURL = u.String()
	}

	h, err := c.header(ctx, d, &rendered)
	if err != nil {
		return nil, err
	}
	if _, ok := h["User-Agent"]; !ok {
		h.Set("User-Agent", userAgent)
	}

	req := &Request{
		Egress: egress.Request{
			Method:        def.Method,
			URL:           finalURL,
			Header:        h,
			Timeout:       def.Timeout(),
			RetryUnsafe:   def.RetryNonIdempotent,
			SecretHeaders: c.secretHeaders,
			SecretParams:  c.secretParams,
		},
		Shown: hookline.WebhookRequestInfo{
			Method:  def.Method,
			URL:     shownURL,
			Headers: c.shownHeaders(h),
		},
		rendered: rendered,
	}
	if c.body != nil {
		s, err := c.body.Render(ctx, d, c.limits)
		if err != nil {
			return nil, templateErr("body", err)
		}
		req.Egress.Body = []byte(s)
		req.Shown.Body = s
	}
	return req, nil
}

// header renders the request header: the definition's headers, then the
// default and auth headers. The rendered values of secret headers with
// template tags are added to rendered.
func (c *Compiled) header(ctx context.Context, d map[string]any, rendered *[]string) (http.Header, error) {
	h := make(http.Header, len(c.headers)+len(c.fixed)+1)
	for _, kv := range c.headers {
		v, err := kv.tmpl.Render(ctx, d, c.limits)
		if err != nil {
			return nil, templateErr(kv.field, err)
		}
		if kv.secret && !kv.plain && v != "" {
			*rendered = append(*rendered, v)
		}
		h.Add(kv.key, v)
	}
	for _, f := range c.fixed {
		if !f.ifUnset || h.Get(f.key) == "" {
			h.Set(f.key, f.value)
		}
	}
	return h, nil
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
// Authorization value keeps its scheme word, an API key header and a
// secret header are masked whole (all its values, when the name repeats).
func (c *Compiled) shownHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		if k == c.auth.key || k == "Authorization" || k == "Proxy-Authorization" || slices.Contains(c.secretHeaders, k) {
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
