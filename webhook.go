package hookline

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// WebhookDefinition is what a bot designer writes of a webhook (seeds 000,
// 001, 002): the API's and the CLI's document of a definition, and what
// templates hold. URL, header and param values, the body and the response
// mappers are Jinja2 templates; package webhook compiles and runs them.
type WebhookDefinition struct {
	Name string `json:"name" doc:"unique within the company; 1 to 200 bytes"`
	// Method is one of Methods, in upper case.
	Method string `json:"method" enum:"GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS" doc:"the HTTP method"`
	// URL is a template; its printed values are percent-encoded.
	URL          string       `json:"url" doc:"a template; {{name}} placeholders other than the conversation take their value from context_values; printed values are percent-encoded"`
	ResponseType ResponseType `json:"response_type" doc:"how the response is parsed (default json); xml gives attributes as @name and text as #text; json and text bodies are read in the charset their Content-Type declares (UTF-8 when none; ISO-8859-1, windows-1252 and US-ASCII are decoded)"`
	Execution    Execution    `json:"execution" doc:"sync: the conversation waits (default); async: it goes on"`
	// TimeoutMS bounds the whole exchange, in-flow retries included.
	TimeoutMS int  `json:"timeout_ms" doc:"milliseconds, 100 to 30000 (default 5000), in-flow retries included"`
	Auth      Auth `json:"auth" doc:"how the request authenticates"`
	// Headers are sent in order; a key may repeat.
	Headers []KeyValue `json:"headers" doc:"sent in order; a name may repeat"`
	// Params are appended to the URL's query in order.
	Params []KeyValue `json:"params" doc:"appended to the URL's query in order"`
	// ContextValues give the names the URL uses besides the conversation
	// (a tenant's subdomain, say). Each value is itself a text template
	// rendered against the conversation, so a literal stays as it is and
	// "{{ certainly.extractedData.ticket_id }}" picks a collected value.
	ContextValues map[string]string `json:"context_values" doc:"a value (itself a text template) for each {{name}} the URL needs; see context_names"`
	// Body is a JSON template; empty means the request has no body.
	Body            string           `json:"body" doc:"a JSON template (Jinja2); // and /* */ comments are dropped; empty: no body"`
	CustomVariables []CustomVariable `json:"custom_variables" doc:"values picked out of the response"`
	// RetryNonIdempotent opts POST and PATCH in to the in-flow retries that
	// idempotent methods always get (connection errors, 502, 503, 504).
	RetryNonIdempotent bool `json:"retry_non_idempotent" doc:"also retry POST and PATCH on connection errors and 502/503/504"`
}

// Webhook is a stored definition, owned by a company: the API's document
// of a webhook.
type Webhook struct {
	ID        int64 `json:"id" doc:"the webhook's id"`
	CompanyID int64 `json:"company_id" doc:"the company the webhook belongs to"`
	// TemplateID links a webhook created from a template to it.
	TemplateID *int64 `json:"template_id,omitempty" doc:"the template it was made from (negative: built in); absent otherwise"`
	WebhookDefinition
	// ContextNames lists the {{names}} the URL needs from context values;
	// derived from the URL when the webhook is shown.
	ContextNames []string  `json:"context_names" doc:"the {{names}} the URL needs from context_values"`
	CreatedAt    time.Time `json:"created_at" doc:"when the webhook was created"`
	UpdatedAt    time.Time `json:"updated_at" doc:"when it last changed"`

	// DisabledAt and SigningSecret are the delivery queue's state of the
	// webhook (see delivery.go).
	DisabledAt    *time.Time `json:"disabled_at,omitempty" doc:"when a 410 Gone answer to a delivery disabled it; absent while it is enabled (POST /api/v1/webhooks/{id}/enable)"`
	SigningSecret string     `json:"signing_secret,omitempty" doc:"******** when it has a signing secret (shown once by POST /api/v1/webhooks/{id}/signing-secret); absent otherwise"`
}

// WebhookInput is the body of POST and PUT /api/v1/webhooks: a definition,
// or a template to fill (TemplateID and Values); plus the read-only fields
// of a fetched webhook, accepted and ignored so that a GET's answer can be
// edited and sent back.
type WebhookInput struct {
	WebhookDefinition
	CompanyID  *int64            `json:"company_id" doc:"the company it belongs to (Assign to); required for agency and admin keys; on PUT, if sent, the webhook's own"`
	TemplateID *int64            `json:"template_id" doc:"on POST: create from this template (negative: built in) instead of sending a definition; only name and values may accompany it. On PUT, if sent, the webhook's own"`
	Values     map[string]string `json:"values" doc:"with template_id: a value for each blank, by blank name"`

	ID           json.RawMessage `json:"id" doc:"read-only; accepted and ignored"`
	ContextNames json.RawMessage `json:"context_names" doc:"read-only; accepted and ignored"`
	CreatedAt    json.RawMessage `json:"created_at" doc:"read-only; accepted and ignored"`
	UpdatedAt    json.RawMessage `json:"updated_at" doc:"read-only; accepted and ignored"`

	DisabledAt    json.RawMessage `json:"disabled_at" doc:"read-only; accepted and ignored"`
	SigningSecret json.RawMessage `json:"signing_secret" doc:"read-only; accepted and ignored"`
}

// RunInput is the body of POST /api/v1/webhooks/run: an unsaved definition
// and the context to run it against.
type RunInput struct {
	Webhook   *WebhookDefinition `json:"webhook" required:"true" doc:"the definition to run"`
	CompanyID *int64             `json:"company_id" doc:"the company it runs for; required for agency and admin keys"`
	Context   json.RawMessage    `json:"context" doc:"the template context: certainly.*, fb.*, conversation.*, context.session.BotUserSession.lastMessage.customData; absent or {}: sample values"`
}

// Methods lists the HTTP methods a webhook may use.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// ResponseType says how a webhook's response body is parsed.
type ResponseType string

const (
	ResponseJSON ResponseType = "json"
	ResponseXML  ResponseType = "xml"
	ResponseText ResponseType = "text"
)

// Execution says whether the conversation waits for the webhook.
type Execution string

const (
	// ExecutionSync: the conversation waits until the webhook answers or
	// times out, and can use its custom variables right away.
	ExecutionSync Execution = "sync"
	// ExecutionAsync: the conversation goes on; the request is delivered
	// through the durable queue.
	ExecutionAsync Execution = "async"
)

// Timeout bounds, in milliseconds.
const (
	DefaultWebhookTimeoutMS = 5000
	MinWebhookTimeoutMS     = 100
	MaxWebhookTimeoutMS     = 30000
)

// Size bounds of a definition, so that one webhook cannot bloat the store.
const (
	MaxWebhookNameLen     = 200
	MaxWebhookURLLen      = 8 << 10
	MaxWebhookBodyLen     = 256 << 10
	MaxWebhookListLen     = 100 // headers, params, custom variables, context values
	MaxWebhookValueLen    = 8 << 10
	MaxCustomVariableName = 100
)

// Timeout returns the webhook's timeout as a duration.
func (w *WebhookDefinition) Timeout() time.Duration {
	return time.Duration(w.TimeoutMS) * time.Millisecond
}

// AuthType names a kind of authentication.
type AuthType string

const (
	AuthNone   AuthType = "none"
	AuthBasic  AuthType = "basic"
	AuthBearer AuthType = "bearer"
	AuthAPIKey AuthType = "api_key"
)

// Auth is a webhook's authentication. Password, Token and Value are secrets:
// sealed at rest, masked in every response.
type Auth struct {
	Type AuthType `json:"type" doc:"the kind of authentication"`
	// Basic.
	Username string `json:"username,omitempty" doc:"basic"`
	Password string `json:"password,omitempty" doc:"basic; a secret: stored sealed, shown as ********"`
	// Bearer.
	Token string `json:"token,omitempty" doc:"bearer; a secret: stored sealed, shown as ********"`
	// API key: sent as header Name or query parameter Name, per In.
	Name  string `json:"name,omitempty" doc:"api_key: the header or query parameter name"`
	Value string `json:"value,omitempty" doc:"api_key; a secret: stored sealed, shown as ********"`
	In    string `json:"in,omitempty" enum:"header,query" doc:"api_key: where it goes (default header)"`
}

// Where an API key goes.
const (
	APIKeyInHeader = "header"
	APIKeyInQuery  = "query"
)

// ValueType says how a header or param value is read.
type ValueType string

const (
	// ValueText: the value is a text template.
	ValueText ValueType = "text"
	// ValueVariable: the value is a path into the template context, such as
	// certainly.sessionId or a.b[0].
	ValueVariable ValueType = "variable"
)

// KeyValue is one header or query parameter.
type KeyValue struct {
	Key   string    `json:"key" doc:"header or parameter name; a header name repeats to send it twice"`
	Value string    `json:"value" doc:"text: a template; variable: a path into the template context such as certainly.sessionId; a secret's value is shown as ********, and sending ******** back keeps the stored one"`
	Type  ValueType `json:"type" doc:"how value is read (default text)"`
	// Secret marks a text value as a credential: sealed at rest, masked
	// wherever the webhook is shown, and never carried to another origin
	// on a redirect. Unset, it follows SecretByDefault; Validate sets it.
	Secret *bool `json:"secret,omitempty" doc:"text items only: the value is a credential, stored sealed and shown as ********. Default: true for Authorization, Proxy-Authorization, Cookie and names containing token, secret, password, api-key, apikey or api_key (any case), false otherwise; send false to show such a value. Variable items (paths) are never secret"`
}

// IsSecret reports whether kv's value is a credential: a text item marked
// secret, or, when unmarked, one whose name SecretByDefault picks.
// Variable items are paths into the conversation, never secrets.
func (kv *KeyValue) IsSecret() bool {
	if kv.Type == ValueVariable {
		return false
	}
	if kv.Secret != nil {
		return *kv.Secret
	}
	return SecretByDefault(kv.Key)
}

// SecretByDefault reports whether a text header or param named name is
// secret when the definition does not say: the credential headers
// (Authorization, Proxy-Authorization, Cookie) and names that say what they
// hold (token, secret, password, api-key, apikey, and api_key, the common
// spelling of query parameters), in any case.
func SecretByDefault(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	for _, word := range []string{"token", "secret", "password", "api-key", "apikey", "api_key"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// CustomVariable is a value extracted from a webhook's response: Mapper is a
// template evaluated with the parsed response as its context.
type CustomVariable struct {
	Name   string `json:"name" doc:"an identifier, unique within the webhook"`
	Mapper string `json:"mapper" doc:"a template evaluated on the response, such as {{ticket.status}}. Its variables: the parsed body's top-level keys (ticket; for XML, the root element's name); response, the whole parsed body (a string for the text response type); status, the HTTP status as a number; headers, the response headers by lower-case name (a repeated header's values joined with a comma and a space); and http, always {status, headers, response}. A body key named response, status or headers wins over the one of the exchange, which http.status and the like still reach. Exactly one {{ expression }} keeps the JSON type (a number beyond the range of a double becomes null); with other text around it, the mapper renders a string"`
}

// ContextRoots are the top-level names of the template context that come
// from the conversation; context values may not take them.
var ContextRoots = []string{"certainly", "conversation", "fb", "context"}

// Validate fills in defaults (method upper-cased, response type json,
// execution sync, timeout 5000 ms, auth none, value type text) and checks
// every rule that needs no template engine. It returns a CodeInvalid *Error
// naming the first field at fault as a JSON path. Package webhook compiles
// the templates on top of this.
func (w *WebhookDefinition) Validate() error {
	w.Name = strings.TrimSpace(w.Name)
	switch {
	case w.Name == "":
		return Invalid("name", "must not be empty")
	case len(w.Name) > MaxWebhookNameLen:
		return Invalid("name", "must be at most %d bytes long", MaxWebhookNameLen)
	case strings.ContainsAny(w.Name, "\x00\r\n"):
		return Invalid("name", "must not contain line breaks or NUL")
	}

	w.Method = strings.ToUpper(strings.TrimSpace(w.Method))
	if w.Method == "" {
		return Invalid("method", "must not be empty; one of %s", strings.Join(Methods, ", "))
	}
	if !slices.Contains(Methods, w.Method) {
		return Invalid("method", "%q is not supported; use one of %s", w.Method, strings.Join(Methods, ", "))
	}

	if err := validateURLTemplate(w.URL); err != nil {
		return err
	}

	switch w.ResponseType {
	case "":
		w.ResponseType = ResponseJSON
	case ResponseJSON, ResponseXML, ResponseText:
	default:
		return Invalid("response_type", "%q is not supported; use json, xml or text", w.ResponseType)
	}
	switch w.Execution {
	case "":
		w.Execution = ExecutionSync
	case ExecutionSync, ExecutionAsync:
	default:
		return Invalid("execution", "%q is not supported; use sync or async", w.Execution)
	}
	if w.TimeoutMS == 0 {
		w.TimeoutMS = DefaultWebhookTimeoutMS
	}
	if w.TimeoutMS < MinWebhookTimeoutMS || w.TimeoutMS > MaxWebhookTimeoutMS {
		return Invalid("timeout_ms", "must be between %d and %d (milliseconds), got %d",
			MinWebhookTimeoutMS, MaxWebhookTimeoutMS, w.TimeoutMS)
	}

	if err := w.Auth.validate(); err != nil {
		return err
	}
	if err := validateKeyValues("headers", w.Headers, true); err != nil {
		return err
	}
	if err := validateKeyValues("params", w.Params, false); err != nil {
		return err
	}
	if err := validateContextValues(w.ContextValues); err != nil {
		return err
	}
	if len(w.Body) > MaxWebhookBodyLen {
		return Invalid("body", "must be at most %d bytes long", MaxWebhookBodyLen)
	}
	return validateCustomVariables(w.CustomVariables)
}

// validateURLTemplate checks what can be checked of a URL template before it
// is compiled: its literal start must be an http or https scheme, and a URL
// without template tags must be an absolute http(s) URL with a host.
func validateURLTemplate(raw string) error {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return Invalid("url", "must not be empty")
	case len(s) > MaxWebhookURLLen:
		return Invalid("url", "must be at most %d bytes long", MaxWebhookURLLen)
	}
	tag := strings.IndexAny(s, "{")
	if tag < 0 {
		return CheckWebhookURL(s)
	}
	// A URL starting with a tag (a blank that holds the whole URL, say) is
	// checked once rendered.
	lit := strings.ToLower(s[:tag])
	if lit == "" {
		return nil
	}
	for _, scheme := range []string{"http://", "https://"} {
		if strings.HasPrefix(lit, scheme) || strings.HasPrefix(scheme, lit) {
			return nil
		}
	}
	if !strings.Contains(lit, "://") {
		return noScheme(s)
	}
	return Invalid("url", "must start with http:// or https://")
}

// noScheme is the error for a URL written without its scheme, the usual
// slip (example.com/x). It shows the URL up to its query, where API keys
// often travel, so that the user sees which URL is meant.
func noScheme(s string) error {
	shown, _, cut := strings.Cut(s, "?")
	if i := strings.IndexByte(shown, '#'); i >= 0 {
		shown, cut = shown[:i], true
	}
	if cut {
		shown += "..."
	}
	return Invalid("url", "%q has no scheme; start it with https://", shown)
}

// CheckWebhookURL checks a rendered URL: absolute, http or https, with a
// host. The message says what is wrong without echoing query secrets.
func CheckWebhookURL(s string) error {
	_, err := ParseWebhookURL(s)
	return err
}

// ParseWebhookURL parses a rendered URL and checks it as CheckWebhookURL
// does.
func ParseWebhookURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		if !strings.Contains(s, "://") {
			// example.com:8080/x does not parse: it reads as a scheme
			// "example.com" with a port-like path.
			return nil, noScheme(s)
		}
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, Invalid("url", "does not parse: %v", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return nil, noScheme(s)
	default:
		if u.Opaque != "" && !strings.Contains(s, "://") && u.Opaque[0] >= '0' && u.Opaque[0] <= '9' {
			// localhost:8080/x parses as the scheme "localhost".
			return nil, noScheme(s)
		}
		return nil, Invalid("url", "scheme %q is not supported; use http or https", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, Invalid("url", "has no host")
	}
	if u.User != nil {
		return nil, Invalid("url", "must not contain credentials; use auth instead")
	}
	return u, nil
}

func (a *Auth) validate() error {
	a.Type = AuthType(strings.ToLower(strings.TrimSpace(string(a.Type))))
	// Fields of other auth types are dropped, so that a secret of a type no
	// longer in use does not linger in the store.
	switch a.Type {
	case "", AuthNone:
		*a = Auth{Type: AuthNone}
	case AuthBasic:
		*a = Auth{Type: AuthBasic, Username: a.Username, Password: a.Password}
		switch {
		case a.Username == "":
			return Invalid("auth.username", "basic authentication: username is required")
		case strings.Contains(a.Username, ":"):
			return Invalid("auth.username", "basic authentication: username must not contain a colon (it separates the username from the password)")
		}
		if err := checkAuthText("auth.username", a.Username); err != nil {
			return err
		}
		return checkAuthText("auth.password", a.Password)
	case AuthBearer:
		*a = Auth{Type: AuthBearer, Token: a.Token}
		if a.Token == "" {
			return Invalid("auth.token", "bearer authentication: token is required")
		}
		return checkAuthText("auth.token", a.Token)
	case AuthAPIKey:
		in := strings.ToLower(strings.TrimSpace(a.In))
		if in == "" {
			in = APIKeyInHeader
		}
		*a = Auth{Type: AuthAPIKey, Name: strings.TrimSpace(a.Name), Value: a.Value, In: in}
		switch {
		case a.In != APIKeyInHeader && a.In != APIKeyInQuery:
			return Invalid("auth.in", "API key authentication: in %q is not supported; use header or query", a.In)
		case a.Name == "":
			return Invalid("auth.name", "API key authentication: name (the header or query parameter that carries the key) is required")
		case a.In == APIKeyInHeader && !IsHeaderName(a.Name):
			return Invalid("auth.name", "API key authentication: name %q is not a valid header name", a.Name)
		case a.Value == "":
			return Invalid("auth.value", "API key authentication: value is required")
		}
		if err := checkAuthText("auth.name", a.Name); err != nil {
			return err
		}
		return checkAuthText("auth.value", a.Value)
	default:
		return Invalid("auth.type", "%q is not supported; use none, basic, bearer or api_key", a.Type)
	}
	return nil
}

func checkAuthText(field, s string) error {
	if len(s) > MaxWebhookValueLen {
		return Invalid(field, "must be at most %d bytes long", MaxWebhookValueLen)
	}
	if strings.ContainsAny(s, "\x00\r\n") {
		return Invalid(field, "must not contain line breaks or NUL")
	}
	return nil
}

// reservedHeaders are framed by the HTTP client itself; letting a
// definition set them would produce broken or smuggled requests.
var reservedHeaders = []string{"host", "content-length", "transfer-encoding", "connection", "te", "upgrade", "trailer", "keep-alive", "proxy-connection"}

func validateKeyValues(list string, kvs []KeyValue, header bool) error {
	if len(kvs) > MaxWebhookListLen {
		return Invalid(list, "at most %d entries are allowed", MaxWebhookListLen)
	}
	for i := range kvs {
		kv := &kvs[i]
		at := fmt.Sprintf("%s[%d]", list, i)
		kv.Key = strings.TrimSpace(kv.Key)
		switch {
		case kv.Key == "":
			return Invalid(at+".key", "must not be empty")
		case header && !IsHeaderName(kv.Key):
			return Invalid(at+".key", "%q is not a valid header name", kv.Key)
		case header && slices.Contains(reservedHeaders, strings.ToLower(kv.Key)):
			return Invalid(at+".key", "%s is set by the HTTP client and cannot be set here", kv.Key)
		case len(kv.Key) > MaxWebhookValueLen:
			return Invalid(at+".key", "must be at most %d bytes long", MaxWebhookValueLen)
		case len(kv.Value) > MaxWebhookValueLen:
			return Invalid(at+".value", "must be at most %d bytes long", MaxWebhookValueLen)
		}
		switch kv.Type {
		case "":
			kv.Type = ValueText
		case ValueText:
		case ValueVariable:
			// A path into the context; package webhook parses it.
			kv.Value = strings.TrimSpace(kv.Value)
		default:
			return Invalid(at+".type", "%q is not supported; use text or variable", kv.Type)
		}
		if kv.Type == ValueVariable && kv.Secret != nil && *kv.Secret {
			return Invalid(at+".secret", "a variable item's value is a path into the conversation, not a credential: send the secret as a text item")
		}
		// The default is written out, so that what is shown says how the
		// value is treated.
		secret := kv.IsSecret()
		kv.Secret = &secret
	}
	return nil
}

func validateContextValues(values map[string]string) error {
	if len(values) > MaxWebhookListLen {
		return Invalid("context_values", "at most %d entries are allowed", MaxWebhookListLen)
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		at := "context_values." + name
		switch {
		case !IsIdentifier(name):
			return Invalid(at, "%q is not a valid name: use letters, digits and underscores, not starting with a digit", name)
		case slices.Contains(ContextRoots, name):
			return Invalid(at, "%q is reserved for the conversation data", name)
		case len(values[name]) > MaxWebhookValueLen:
			return Invalid(at, "must be at most %d bytes long", MaxWebhookValueLen)
		}
	}
	return nil
}

func validateCustomVariables(vars []CustomVariable) error {
	if len(vars) > MaxWebhookListLen {
		return Invalid("custom_variables", "at most %d entries are allowed", MaxWebhookListLen)
	}
	seen := make(map[string]int, len(vars))
	for i := range vars {
		v := &vars[i]
		at := fmt.Sprintf("custom_variables[%d]", i)
		v.Name = strings.TrimSpace(v.Name)
		switch {
		case v.Name == "":
			return Invalid(at+".name", "must not be empty")
		case len(v.Name) > MaxCustomVariableName:
			return Invalid(at+".name", "must be at most %d bytes long", MaxCustomVariableName)
		case !IsIdentifier(v.Name):
			return Invalid(at+".name", "%q is not a valid name: use letters, digits and underscores, not starting with a digit", v.Name)
		case strings.TrimSpace(v.Mapper) == "":
			return Invalid(at+".mapper", "must not be empty, e.g. {{ticket.status}}")
		case len(v.Mapper) > MaxWebhookValueLen:
			return Invalid(at+".mapper", "must be at most %d bytes long", MaxWebhookValueLen)
		}
		if j, dup := seen[v.Name]; dup {
			return Invalid(at+".name", "%q is already used by custom_variables[%d]", v.Name, j)
		}
		seen[v.Name] = i
	}
	return nil
}

// IsIdentifier reports whether s is a name a bot designer can pick and a
// template can read: ^[A-Za-z_][A-Za-z0-9_]*$.
func IsIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// IsHeaderName reports whether s is an HTTP header name (an RFC 9110 token).
func IsHeaderName(s string) bool { return IsToken(s) }

// IsToken reports whether s is an RFC 9110 token, as a method or a header
// name is. The egress client checks every request with it, so that what a
// definition may save and what is sent follow one grammar.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
			// The common case, decided without a search.
		case strings.IndexByte("!#$%&'*+.^_`|~", c) < 0:
			return false
		}
	}
	return true
}

// SecretMask stands in for a secret in everything hookline shows.
const SecretMask = "********"

// Masked returns a copy of d whose secrets (basic password, bearer token,
// API key value, secret header and param values) are replaced by
// SecretMask. Empty secrets stay empty.
func (d WebhookDefinition) Masked() WebhookDefinition {
	d = d.Clone()
	d.Auth = d.Auth.Masked()
	for _, f := range d.SecretItems() {
		if *f.Value != "" {
			*f.Value = SecretMask
		}
	}
	return d
}

// SecretItems lists the header and param values that are secrets (see
// KeyValue.IsSecret), with their JSON paths ("headers[0].value"), headers
// first, each list in order.
func (d *WebhookDefinition) SecretItems() []SecretField {
	var out []SecretField
	for _, list := range []struct {
		name  string
		items []KeyValue
	}{{"headers", d.Headers}, {"params", d.Params}} {
		for i := range list.items {
			if kv := &list.items[i]; kv.IsSecret() {
				out = append(out, SecretField{fmt.Sprintf("%s[%d].value", list.name, i), &kv.Value})
			}
		}
	}
	return out
}

// Clone returns a copy of d that shares no slices or maps with it.
func (d WebhookDefinition) Clone() WebhookDefinition {
	d.Headers = cloneKeyValues(d.Headers)
	d.Params = cloneKeyValues(d.Params)
	d.CustomVariables = slices.Clone(d.CustomVariables)
	if d.ContextValues != nil {
		d.ContextValues = maps.Clone(d.ContextValues)
	}
	return d
}

// cloneKeyValues copies kvs and their Secret flags, so that setting a flag
// on the copy leaves kvs as they are.
func cloneKeyValues(kvs []KeyValue) []KeyValue {
	out := slices.Clone(kvs)
	for i := range out {
		if out[i].Secret != nil {
			secret := *out[i].Secret
			out[i].Secret = &secret
		}
	}
	return out
}

// WithEmptyLists returns d with its nil lists and map made empty, so that
// JSON shows [] and {} rather than null.
func (d WebhookDefinition) WithEmptyLists() WebhookDefinition {
	if d.Headers == nil {
		d.Headers = []KeyValue{}
	}
	if d.Params == nil {
		d.Params = []KeyValue{}
	}
	if d.ContextValues == nil {
		d.ContextValues = map[string]string{}
	}
	if d.CustomVariables == nil {
		d.CustomVariables = []CustomVariable{}
	}
	return d
}

// Clone returns a copy of w that shares no slices or maps with it.
func (w Webhook) Clone() Webhook {
	w.WebhookDefinition = w.WebhookDefinition.Clone()
	w.ContextNames = slices.Clone(w.ContextNames)
	if w.DisabledAt != nil {
		at := *w.DisabledAt
		w.DisabledAt = &at
	}
	if w.TemplateID != nil {
		id := *w.TemplateID
		w.TemplateID = &id
	}
	return w
}

// Masked returns a copy of a with its secrets replaced by SecretMask.
func (a Auth) Masked() Auth {
	for _, f := range a.SecretFields() {
		if *f.Value != "" {
			*f.Value = SecretMask
		}
	}
	return a
}

// SecretField is one secret of an Auth: its JSON path and its value.
type SecretField struct {
	Field string
	Value *string
}

// SecretFields lists the auth fields that are secrets, with their JSON
// paths, in a fixed order.
func (a *Auth) SecretFields() []SecretField {
	return []SecretField{{"auth.password", &a.Password}, {"auth.token", &a.Token}, {"auth.value", &a.Value}}
}

// Secrets lists the non-empty secrets of d, auth and secret items, for
// callers that must keep them out of logs and output.
func (d *WebhookDefinition) Secrets() []string {
	var out []string
	for _, f := range append(d.Auth.SecretFields(), d.SecretItems()...) {
		if *f.Value != "" && *f.Value != SecretMask {
			out = append(out, *f.Value)
		}
	}
	return out
}

// WebhookFilter narrows a webhook listing. Scope is always applied;
// CompanyID, when set, narrows to one company. After and Limit page it:
// ids greater than After, at most Limit (0: no limit).
type WebhookFilter struct {
	Scope     Scope
	CompanyID int64
	After     int64
	Limit     int
}

// WebhookStore stores webhook definitions, each owned by a company.
// Methods taking a Scope answer CodeNotFound for webhooks outside it,
// exactly as for webhooks that do not exist. Implementations seal the auth
// secrets and the secret header and param values (KeyValue.IsSecret) at
// rest. FindWebhook returns them opened (the webhook is about to
// run); FindWebhooks never unseals: each stored secret is SecretMask there.
type WebhookStore interface {
	// CreateWebhook stores w and sets its ID, CreatedAt and UpdatedAt.
	// w.CompanyID must name a company in scope (CodeNotFound with field
	// "company_id" otherwise); names are unique within a company
	// (CodeConflict with field "name").
	CreateWebhook(ctx context.Context, scope Scope, w *Webhook) error
	FindWebhook(ctx context.Context, scope Scope, id int64) (*Webhook, error)
	// FindWebhooks lists the webhooks in the filter's scope, ordered by ID,
	// with their secrets masked.
	FindWebhooks(ctx context.Context, filter WebhookFilter) ([]*Webhook, error)
	// UpdateWebhook replaces webhook id's definition with what update makes
	// of the stored one (secrets opened), in one transaction, so that a
	// concurrent change cannot slip between the read and the write. The
	// company, the template link and the creation time stay; CodeConflict
	// on a duplicate name.
	UpdateWebhook(ctx context.Context, scope Scope, id int64, update func(stored *Webhook) (WebhookDefinition, error)) (*Webhook, error)
	DeleteWebhook(ctx context.Context, scope Scope, id int64) error
}

// WebhookService is the use cases of the Webhook Builder. Every method acts
// for a caller; webhooks outside its scope answer CodeNotFound. Webhooks
// come back with their secrets masked and their context names set.
type WebhookService interface {
	// CreateWebhook creates a webhook from a definition, or from a template
	// and the values of its blanks.
	CreateWebhook(ctx context.Context, c *Caller, in WebhookInput) (*Webhook, error)
	FindWebhook(ctx context.Context, c *Caller, id int64) (*Webhook, error)
	// FindWebhooks lists the webhooks the caller sees, of one company when
	// companyID is not 0, ordered by ID.
	FindWebhooks(ctx context.Context, c *Caller, companyID int64, page PageRequest) (Page[*Webhook], error)
	// ReplaceWebhook replaces a definition (PUT). A secret sent masked, or
	// left out while the auth type stays, keeps the stored one.
	ReplaceWebhook(ctx context.Context, c *Caller, id int64, in WebhookInput) (*Webhook, error)
	// PatchWebhook saves what apply makes of the webhook as FindWebhook
	// shows it (the edge merges its patch document there), as
	// ReplaceWebhook does, in one transaction with the read.
	PatchWebhook(ctx context.Context, c *Caller, id int64, apply func(shown *Webhook) (WebhookInput, error)) (*Webhook, error)
	DeleteWebhook(ctx context.Context, c *Caller, id int64) error
	// RunWebhook runs a stored webhook against a Run webhook context (empty:
	// sample values). The error is for an invalid context only; failures of
	// the exchange are in the result.
	RunWebhook(ctx context.Context, c *Caller, id int64, runContext json.RawMessage) (*WebhookResult, error)
	// RunUnsavedWebhook runs a definition that is not stored.
	RunUnsavedWebhook(ctx context.Context, c *Caller, in RunInput) (*WebhookResult, error)
	// ContextNames lists the {{names}} a definition's URL needs from
	// context values, as a stored webhook's ContextNames does, for a
	// definition being written; an error names the URL's template fault.
	ContextNames(def WebhookDefinition) ([]string, error)
}

// Conversation is the snapshot of a conversation that webhook templates
// render against (DESIGN.md, "The template context"). The JSON-valued
// fields hold JSON text, so that key order survives as users wrote it;
// nil means undefined in templates.
type Conversation struct {
	SessionID         int64           `json:"sessionId"`
	ReplyData         json.RawMessage `json:"replyData,omitempty"`
	AttachedMedia     string          `json:"attachedMedia"`
	Direction         string          `json:"direction"`
	Reply             string          `json:"reply"`
	ExtractedData     json.RawMessage `json:"extractedData,omitempty"`
	BotID             string          `json:"botId"`
	BotDeploymentID   string          `json:"botDeploymentId"`
	CustomVariables   json.RawMessage `json:"customVariables,omitempty"`
	ModuleID          int64           `json:"moduleId"`
	To                string          `json:"to"`
	From              string          `json:"from"`
	BotTrainedModelID string          `json:"botTrainedModelId"`
	// Channel is the channel kind, such as "facebook", "webhook", "sms",
	// "whatsapp"; fb.* is defined only for "facebook".
	Channel   string `json:"channel,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	// CustomData is a webhook channel message's customData.
	CustomData json.RawMessage `json:"customData,omitempty"`
}

// ChannelFacebook is the Conversation.Channel of Facebook Messenger.
const ChannelFacebook = "facebook"

// WebhookResult is what one execution of a webhook shows: the request as
// sent (secrets masked), the response, the extracted variables and, on
// failure, the error. Run webhook returns it as JSON; the bot runtime reads
// Variables.
type WebhookResult struct {
	Request  WebhookRequestInfo   `json:"request" doc:"the request as sent, secrets masked"`
	Response *WebhookResponseInfo `json:"response" nullable:"true" doc:"the response; null when none came"`
	// Variables holds each custom variable that mapped, as JSON.
	Variables map[string]json.RawMessage `json:"variables" doc:"each custom variable that mapped, as JSON"`
	// VariableErrors lists the custom variables whose mapper failed; the
	// others are still mapped.
	VariableErrors []VariableError `json:"variable_errors,omitempty" doc:"the custom variables whose mapper failed; the others are still mapped"`
	Error          *WebhookError   `json:"error,omitempty" doc:"why the run failed, when it did"`
	DurationMS     float64         `json:"duration_ms" doc:"how long the run took"`
}

// WebhookRequestInfo is the request as sent, with secrets masked.
type WebhookRequestInfo struct {
	Method  string            `json:"method" doc:"as sent"`
	URL     string            `json:"url" doc:"as sent; secret query values masked"`
	Headers map[string]string `json:"headers" doc:"as sent; secrets masked"`
	Body    string            `json:"body" doc:"as sent"`
}

// WebhookResponseInfo is the response as received.
type WebhookResponseInfo struct {
	Status int `json:"status" doc:"HTTP status"`
	// Headers are keyed by lower-case name; repeated headers are joined
	// with ", ".
	Headers map[string]string `json:"headers" doc:"lower-case names; a repeated header's values joined with a comma"`
	// Body is the first MaxShownBodyBytes of the body as text.
	Body string `json:"body" doc:"the first 64 KiB, as text"`
	// Size is the number of body bytes received.
	Size int `json:"size" doc:"bytes received"`
	// Truncated: the body was longer than the egress cap and was cut.
	Truncated bool `json:"truncated,omitempty" doc:"the body was over the 1 MiB cap and was cut"`
	// Data is the body parsed per the response type, when it parsed. It
	// is encoded as JSON only when the result is, so that the bot runtime,
	// which reads Variables, does not pay for it.
	Data     any `json:"data,omitempty" doc:"the body parsed per response_type; a number beyond the range of a double (1e400) is shown as null, as JSON cannot hold infinity"`
	Attempts int `json:"attempts" doc:"attempts made (in-flow retries)"`
}

// MaxShownBodyBytes bounds the response body a WebhookResult shows.
const MaxShownBodyBytes = 64 << 10

// WebhookError is why an execution failed.
type WebhookError struct {
	Kind    WebhookErrorKind `json:"kind" doc:"why the run failed"`
	Message string           `json:"message" doc:"for people"`
	// Field names the part of the definition at fault for render errors,
	// such as "body" or "headers[0].value"; Message starts with it too.
	Field string `json:"field,omitempty" doc:"the part of the definition at fault, for render errors"`
}

func (e *WebhookError) Error() string { return string(e.Kind) + ": " + e.Message }

// WebhookErrorKind classifies execution failures.
type WebhookErrorKind string

const (
	ErrTimeout         WebhookErrorKind = "timeout"
	ErrConnection      WebhookErrorKind = "connection"
	ErrDNS             WebhookErrorKind = "dns"
	ErrTLS             WebhookErrorKind = "tls"
	ErrBlockedAddress  WebhookErrorKind = "blocked_address"
	ErrHTTPStatus      WebhookErrorKind = "http_status"
	ErrInvalidResponse WebhookErrorKind = "invalid_response"
	ErrRender          WebhookErrorKind = "render"
)

// VariableError is a custom variable whose mapper failed.
type VariableError struct {
	Name    string `json:"name" doc:"the custom variable"`
	Message string `json:"message" doc:"why its mapper failed"`
}
