package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
)

// What the delivery queue needs of a webhook: its request rendered once,
// when a delivery is queued, without its credentials (Freeze); the
// credentials of the webhook's definition at send time applied to it
// (Authorize); and a failed exchange worded as Run words it
// (ExchangeError). The frozen request is stored as it is, so it must hold
// no credential: the auth and the secret headers and params are left out
// of it and added when the delivery is sent, from the webhook as it is
// then (a rotated token reaches what is still queued).

// Freeze renders def's request against a Run webhook context (see RunData;
// an absent context is refused rather than replaced by sample values) and
// returns it without any auth: the queue applies the target's current auth
// at send time. A render failure is a CodeInvalid *hookline.Error naming
// the field ("body", "headers[0].value", "url", "context").
func (e *Executor) Freeze(ctx context.Context, def hookline.WebhookDefinition, rawContext json.RawMessage) (*hookline.DeliveryRequest, error) {
	def = def.Clone()
	def.Auth = hookline.Auth{Type: hookline.AuthNone}
	var err error
	if def.Headers, err = withoutSecretItems("headers", def.Headers); err != nil {
		return nil, err
	}
	if def.Params, err = withoutSecretItems("params", def.Params); err != nil {
		return nil, err
	}
	c, err := e.Compile(&def)
	if err != nil {
		return nil, err
	}
	data, err := RunData(rawContext)
	if err != nil {
		return nil, err
	}
	req, err := c.Build(ctx, data, e.client.UserAgent())
	if err != nil {
		we := asWebhookError(err)
		field := we.Field
		if field == "" {
			field = "context"
		}
		return nil, &hookline.Error{Code: hookline.CodeInvalid, Field: field, Message: we.Message, Err: err}
	}
	return &hookline.DeliveryRequest{
		Method: req.Egress.Method,
		URL:    req.Egress.URL,
		Header: req.Egress.Header,
		Body:   req.Egress.Body,
	}, nil
}

// withoutSecretItems returns the items of list that are no secret. A
// secret item is added when the delivery is sent, with no conversation at
// hand, so it must be plain text: one that is a template is refused,
// naming it.
func withoutSecretItems(list string, items []hookline.KeyValue) ([]hookline.KeyValue, error) {
	out := items[:0]
	for i, kv := range items {
		if !kv.IsSecret() {
			out = append(out, kv)
			continue
		}
		if hasTags(kv.Value) {
			return nil, hookline.Invalid(fmt.Sprintf("%s[%d].value", list, i),
				"a secret %s is added when a queued delivery is sent, from the webhook as it is then, without the conversation: it must be plain text, not a template", strings.TrimSuffix(list, "s"))
		}
	}
	return out, nil
}

// Authorize adds def's credentials to r as Build does for a run: its
// secret headers and params, then an Authorization header for basic and
// bearer or an API key in its header or query parameter (a header of the
// same name already in r is replaced). Each is marked secret on r, so that
// a redirect to another origin drops it.
func Authorize(r *egress.Request, def *hookline.WebhookDefinition) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	var params []hookline.KeyValue
	for _, kv := range def.Headers {
		if kv.IsSecret() {
			key := http.CanonicalHeaderKey(kv.Key)
			r.Header.Add(key, kv.Value)
			r.SecretHeaders = append(r.SecretHeaders, key)
		}
	}
	for _, kv := range def.Params {
		if kv.IsSecret() {
			params = append(params, kv)
			r.SecretParams = append(r.SecretParams, kv.Key)
		}
	}
	if len(params) > 0 {
		u, err := url.Parse(r.URL)
		if err != nil {
			return &hookline.WebhookError{Kind: hookline.ErrRender, Field: "url", Message: "url: the frozen URL does not parse"}
		}
		var q strings.Builder
		q.WriteString(u.RawQuery)
		for _, kv := range params {
			appendQuery(&q, kv.Key, url.QueryEscape(kv.Value))
		}
		u.RawQuery = q.String()
		r.URL = u.String()
	}
	a := def.Auth
	switch a.Type {
	case hookline.AuthBasic:
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password)))
	case hookline.AuthBearer:
		r.Header.Set("Authorization", "Bearer "+a.Token)
	case hookline.AuthAPIKey:
		if a.In == hookline.APIKeyInQuery {
			u, err := url.Parse(r.URL)
			if err != nil {
				return &hookline.WebhookError{Kind: hookline.ErrRender, Field: "url", Message: "url: the frozen URL does not parse"}
			}
			var q []byte
			if u.RawQuery != "" {
				q = append([]byte(u.RawQuery), '&')
			}
			q = append(q, url.QueryEscape(a.Name)+"="+url.QueryEscape(a.Value)...)
			u.RawQuery = string(q)
			r.URL = u.String()
			r.SecretParams = append(r.SecretParams, a.Name)
			return nil
		}
		key := http.CanonicalHeaderKey(a.Name)
		r.Header.Set(key, a.Value)
		r.SecretHeaders = append(r.SecretHeaders, key)
	}
	return nil
}

// ExchangeError words a failed exchange of egress as Run does: its kind
// (timeout, connection, dns, tls, blocked_address, invalid_response, render)
// and message.
func ExchangeError(err error) *hookline.WebhookError {
	var we *hookline.WebhookError
	if errors.As(err, &we) {
		return we
	}
	return egressError(err)
}
