package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
)

// Executor compiles and sends webhooks through one egress client. It is
// safe for concurrent use. The webhook service, the bot runtime and the CLI
// share it, so what a user sees in Run webhook is what the bot does.
type Executor struct {
	client *egress.Client
	// obs, if not nil, is told of every run (see Observe).
	obs Observer

	// cache keeps compiled definitions by their JSON encoding: compiling
	// costs several times more than a run, and the bot runtime runs the
	// same few definitions over and over.
	mu         sync.Mutex
	cache      map[string]*Compiled
	cacheBytes int // the summed length of the cache's keys
}

// The compile cache is bounded by entries and by bytes: a compiled template
// takes some 35 times its source in memory, so a tenant sending many large
// unsaved definitions to Run must not be able to pin them all. Past a bound,
// arbitrary entries go; definitions larger than maxCachedDef are compiled
// for each run and never kept (real ones are a few KiB).
const (
	maxCached      = 512
	maxCachedBytes = 4 << 20
	maxCachedDef   = 64 << 10
)

// NewExecutor returns an Executor that sends through client.
func NewExecutor(client *egress.Client) *Executor {
	return &Executor{client: client, cache: map[string]*Compiled{}}
}

// Run builds the request from data (see Build), sends it, and maps the
// response (see Map). It never returns nil: every failure is described in
// the result's Error.
func (e *Executor) Run(ctx context.Context, c *Compiled, data map[string]any) *hookline.WebhookResult {
	return e.run(ctx, c, data, nil)
}

// run is Run; sign, when not nil, adds signature headers to the built
// request before it is sent (and shown).
func (e *Executor) run(ctx context.Context, c *Compiled, data map[string]any, sign func(h http.Header, body []byte) error) *hookline.WebhookResult {
	start := time.Now()
	res := &hookline.WebhookResult{}
	defer func() { res.DurationMS = milliseconds(time.Since(start)); e.observed(res) }()

	// The request carries the client's User-Agent, which egress would
	// otherwise add, so that the shown request is what is sent.
	req, err := c.Build(ctx, data, e.client.UserAgent())
	if err != nil {
		res.Request = hookline.WebhookRequestInfo{Method: c.def.Method, Headers: map[string]string{}}
		return failed(res, asWebhookError(err))
	}
	res.Request = req.Shown
	if len(req.rendered) > 0 {
		c = c.withRendered(req.rendered)
	}
	if sign != nil {
		if err := sign(req.Egress.Header, req.Egress.Body); err != nil {
			return failed(res, &hookline.WebhookError{Kind: hookline.ErrRender, Message: err.Error()})
		}
		res.Request.Headers = c.shownHeaders(req.Egress.Header)
	}

	resp, err := e.client.Do(ctx, &req.Egress)
	if err != nil {
		we := egressError(err)
		// A message may quote the server's answer (a malformed status line).
		we.Message = c.scrub(we.Message)
		return failed(res, we)
	}
	headers := flatHeaders(resp.Header)
	body := c.text(headers, resp.Body)
	res.Response = c.shownResponse(resp, headers, body)

	m := c.mapResponse(ctx, resp.Status, headers, body, resp.Truncated)
	if m.Data != nil {
		res.Response.Data = &shownData{value: m.Data, c: c}
	}
	if m.Err != nil {
		return failed(res, m.Err)
	}
	res.Variables = m.Variables
	res.VariableErrors = m.Errors
	return res
}

// failed sets err on res, whose variables are then empty.
func failed(res *hookline.WebhookResult, err *hookline.WebhookError) *hookline.WebhookResult {
	res.Error = err
	res.Variables = map[string]json.RawMessage{}
	return res
}

// shownResponse is the response as a result shows it, built from the
// flattened headers (see flatHeaders) and the body as text (see
// Compiled.text), with secrets the receiver echoed masked.
func (c *Compiled) shownResponse(resp *egress.Response, headers map[string]string, body []byte) *hookline.WebhookResponseInfo {
	shown := make(map[string]string, len(headers))
	for k, v := range headers {
		shown[k] = c.scrub(v)
	}
	return &hookline.WebhookResponseInfo{
		Status:    resp.Status,
		Headers:   shown,
		Body:      c.scrub(shownBody(body)),
		Size:      len(resp.Body),
		Truncated: resp.Truncated,
		Attempts:  resp.Attempts,
	}
}

// flatHeaders flattens a response header: lower-case names, repeated
// values joined with ", ".
func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		out[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	return out
}

// shownData is a parsed response body that encodes itself, secrets masked,
// when the result is encoded.
type shownData struct {
	value any
	c     *Compiled
}

func (d *shownData) MarshalJSON() ([]byte, error) {
	b, err := marshalValue(d.value)
	if err != nil {
		return nil, err
	}
	return d.c.scrubJSON(b), nil
}

// shownBody is the first MaxShownBodyBytes of body, cut at a character
// boundary.
func shownBody(body []byte) string {
	if len(body) <= hookline.MaxShownBodyBytes {
		return string(body)
	}
	cut := hookline.MaxShownBodyBytes
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return string(body[:cut])
}

// withRendered returns a copy of c that also scrubs the secret values a
// request rendered from templates (see Request), in every echo form.
func (c *Compiled) withRendered(rendered []string) *Compiled {
	cp := *c
	cp.secrets = echoForms(append(append(c.def.Secrets(), c.basicCred), rendered...)...)
	return &cp
}

// scrub masks the webhook's secrets in response text, for receivers that
// echo the request (httpbin-style services do), in every form echoForms
// lists. Text without secrets comes back as it is, without a copy.
func (c *Compiled) scrub(s string) string {
	for _, form := range c.secrets {
		if strings.Contains(s, form) {
			s = strings.ReplaceAll(s, form, hookline.SecretMask)
		}
	}
	return s
}

// scrubJSON masks the webhook's secrets in JSON: a custom variable's, so
// that a mapper that picks an echoed credential out of a response does not
// hand it on, and the shown data's. A mask that would break the JSON (a
// secret that matches inside an escape sequence) masks the whole value.
func (c *Compiled) scrubJSON(b []byte) json.RawMessage {
	text := string(b)
	masked := c.scrub(text)
	if masked == text {
		return b
	}
	if !json.Valid([]byte(masked)) {
		return json.RawMessage(`"` + hookline.SecretMask + `"`)
	}
	return json.RawMessage(masked)
}

// echoForms lists the forms in which a receiver may echo the secrets: as
// sent, inside a JSON string (escaped as encoding/json escapes it, with and
// without HTML escaping, and with "/" escaped as PHP's json_encode does),
// and percent-encoded, as in an echoed URL. Longest first, so that a form
// is masked before any shorter one inside it. Secrets under 6 bytes are
// left out: masking every "a" would garble the text and hide nothing.
func echoForms(secrets ...string) []string {
	var out []string
	add := func(form string) {
		if !slices.Contains(out, form) {
			out = append(out, form)
		}
	}
	for _, secret := range secrets {
		if len(secret) < 6 {
			continue
		}
		add(secret)
		quoted, _ := json.Marshal(secret)
		add(string(quoted[1 : len(quoted)-1]))
		var plain bytes.Buffer
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		enc.Encode(secret)
		inJSON := strings.TrimSuffix(plain.String(), "\n")
		inJSON = inJSON[1 : len(inJSON)-1]
		add(inJSON)
		add(strings.ReplaceAll(inJSON, "/", `\/`))
		add(url.QueryEscape(secret))
		add(url.PathEscape(secret))
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

func asWebhookError(err error) *hookline.WebhookError {
	var we *hookline.WebhookError
	if errors.As(err, &we) {
		return we
	}
	return &hookline.WebhookError{Kind: hookline.ErrRender, Message: err.Error()}
}

// egressError classifies a failed exchange (see webhookErrorKind). An
// error that is not an *egress.Error, or of a kind not mapped, is a
// connection error: the exchange failed.
func egressError(err error) *hookline.WebhookError {
	var ee *egress.Error
	if !errors.As(err, &ee) {
		return &hookline.WebhookError{Kind: hookline.ErrConnection, Message: err.Error()}
	}
	kind, ok := webhookErrorKind(ee.Kind)
	if !ok {
		kind = hookline.ErrConnection
	}
	return &hookline.WebhookError{Kind: kind, Message: ee.Msg}
}

// webhookErrorKind is the one place where egress's kinds of failure become
// the kinds a webhook result reports; false for a kind it does not know.
// Most keep their name. An invalid request (a URL or header egress refuses)
// is a render error: the definition produced it. An answer egress cannot
// use (a redirect it refuses, a body that does not decode) is an invalid
// response.
func webhookErrorKind(k egress.Kind) (hookline.WebhookErrorKind, bool) {
	switch k {
	case egress.KindTimeout:
		return hookline.ErrTimeout, true
	case egress.KindConnection:
		return hookline.ErrConnection, true
	case egress.KindDNS:
		return hookline.ErrDNS, true
	case egress.KindTLS:
		return hookline.ErrTLS, true
	case egress.KindBlocked:
		return hookline.ErrBlockedAddress, true
	case egress.KindInvalid:
		return hookline.ErrRender, true
	case egress.KindInvalidResponse:
		return hookline.ErrInvalidResponse, true
	}
	return "", false
}

func milliseconds(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// Compile is Compile with a cache: a definition compiled before, byte for
// byte the same, is not compiled again.
func (e *Executor) Compile(def *hookline.WebhookDefinition) (*Compiled, error) {
	key, err := json.Marshal(def)
	if err != nil {
		return Compile(*def)
	}
	e.mu.Lock()
	c, ok := e.cache[string(key)]
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err = Compile(*def)
	if err != nil || len(key) > maxCachedDef {
		return c, err
	}
	e.mu.Lock()
	for k := range e.cache {
		if len(e.cache) < maxCached && e.cacheBytes+len(key) <= maxCachedBytes {
			break
		}
		delete(e.cache, k)
		e.cacheBytes -= len(k)
	}
	if _, ok := e.cache[string(key)]; !ok {
		e.cache[string(key)] = c
		e.cacheBytes += len(key)
	}
	e.mu.Unlock()
	return c, nil
}

// RunContext runs def against a Run webhook context (see RunData); def may
// be unsaved and unnamed. The error is a CodeInvalid *hookline.Error for a
// definition that does not compile or a context that is not a JSON object;
// everything else is in the result.
func (e *Executor) RunContext(ctx context.Context, def *hookline.WebhookDefinition, rawContext json.RawMessage) (*hookline.WebhookResult, error) {
	d := *def
	if strings.TrimSpace(d.Name) == "" {
		// An unsaved definition tried out before it is named.
		d.Name = unsavedWebhookName
	}
	c, err := e.Compile(&d)
	if err != nil {
		return nil, err
	}
	data, err := RunData(rawContext)
	if err != nil {
		return nil, err
	}
	return e.Run(ctx, c, data), nil
}

// unsavedWebhookName names a definition run without being saved, when it
// has no name of its own.
const unsavedWebhookName = "unsaved webhook"

// RunConversation runs def in a conversation, as the bot runtime does.
func (e *Executor) RunConversation(ctx context.Context, def *hookline.WebhookDefinition, conv *hookline.Conversation) (*hookline.WebhookResult, error) {
	c, err := e.Compile(def)
	if err != nil {
		return nil, err
	}
	data, err := ConversationData(conv)
	if err != nil {
		return nil, err
	}
	return e.Run(ctx, c, data), nil
}
