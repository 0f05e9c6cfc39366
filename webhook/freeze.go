package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
)

// What the delivery queue needs of a webhook: its request rendered once,
// when a delivery is queued, without the auth (Freeze); the auth of the
// webhook's definition at send time applied to it (Authorize); and a failed
// exchange worded as Run words it (ExchangeError).

// Freeze renders def's request against a Run webhook context (see RunData;
// an absent context is refused rather than replaced by sample values) and
// returns it without any auth: the queue applies the target's current auth
// at send time. A render failure is a CodeInvalid *hookline.Error naming
// the field ("body", "headers[0].value", "url", "context").
func (e *Executor) Freeze(ctx context.Context, def hookline.WebhookDefinition, rawContext json.RawMessage) (*hookline.DeliveryRequest, error) {
	def = def.Clone()
	def.Auth = hookline.Auth{Type: hookline.AuthNone}
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

// Authorize adds a's credentials to r as Build does for a run: an
// Authorization header for basic and bearer, an API key in its header or
// query parameter. A header of the same name already in r is replaced.
func Authorize(r *egress.Request, a hookline.Auth) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
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
