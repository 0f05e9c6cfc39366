package hookline

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook is an HTTP request a bot fires during a conversation (seeds 000,
// 001, 002). URL, header and param values, the body and the response mappers
// are Jinja2 templates; package webhook compiles and runs them.
type Webhook struct {
	ID        int64  `json:"id"`
	CompanyID int64  `json:"company_id"`
	Name      string `json:"name"`
	// Method is one of Methods, in upper case.
	Method string `json:"method"`
	// URL is a template; its printed values are percent-encoded.
	URL          string       `json:"url"`
	ResponseType ResponseType `json:"response_type"`
	Execution    Execution    `json:"execution"`
	// TimeoutMS bounds the whole exchange, in-flow retries included.
	TimeoutMS int  `json:"timeout_ms"`
	Auth      Auth `json:"auth"`
	// Headers are sent in order; a key may repeat.
	Headers []KeyValue `json:"headers"`
	// Params are appended to the URL's query in order.
	Params []KeyValue `json:"params"`
	// ContextValues give the names the URL uses besides the conversation
	// (a tenant's subdomain, say). Each value is itself a text template
	// rendered against the conversation, so a literal stays as it is and
	// "{{ certainly.extractedData.ticket_id }}" picks a collected value.
	ContextValues map[string]string `json:"context_values"`
	// Body is a JSON template; empty means the request has no body.
	Body            string           `json:"body"`
	CustomVariables []CustomVariable `json:"custom_variables"`
	// RetryNonIdempotent opts POST and PATCH in to the in-flow retries that
	// idempotent methods always get (connection errors, 502, 503, 504).
	RetryNonIdempotent bool `json:"retry_non_idempotent"`
	// TemplateID links a webhook created from a template to it.
	TemplateID *int64    `json:"template_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
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
func (w *Webhook) Timeout() time.Duration {
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
	Type AuthType `json:"type"`
	// Basic.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// Bearer.
	Token string `json:"token,omitempty"`
	// API key: sent as header Name or query parameter Name, per In.
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
	In    string `json:"in,omitempty"`
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
	Key   string    `json:"key"`
	Value string    `json:"value"`
	Type  ValueType `json:"type"`
}

// CustomVariable is a value extracted from a webhook's response: Mapper is a
// template evaluated with the parsed response as its context.
type CustomVariable struct {
	Name   string `json:"name"`
	Mapper string `json:"mapper"`
}

// ContextRoots are the top-level names of the template context that come
// from the conversation; context values may not take them.
var ContextRoots = []string{"certainly", "conversation", "fb", "context"}

// Validate fills in defaults (method upper-cased, response type json,
// execution sync, timeout 5000 ms, auth none, value type text) and checks
// every rule that needs no template engine. It returns a CodeInvalid *Error
// naming the first field at fault as a JSON path. Package webhook compiles
// the templates on top of this.
func (w *Webhook) Validate() error {
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
	return Invalid("url", "must start with http:// or https://")
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
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, Invalid("url", "does not parse: %v", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return nil, Invalid("url", "must be absolute, starting with http:// or https://")
	default:
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
			return Invalid("auth.username", "is required for basic authentication")
		case strings.Contains(a.Username, ":"):
			return Invalid("auth.username", "must not contain a colon (basic authentication separates user and password with it)")
		}
		if err := checkAuthText("auth.username", a.Username); err != nil {
			return err
		}
		return checkAuthText("auth.password", a.Password)
	case AuthBearer:
		*a = Auth{Type: AuthBearer, Token: a.Token}
		if a.Token == "" {
			return Invalid("auth.token", "is required for bearer authentication")
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
			return Invalid("auth.in", "%q is not supported; use header or query", a.In)
		case a.Name == "":
			return Invalid("auth.name", "is required for API key authentication (the header or query parameter name)")
		case a.In == APIKeyInHeader && !IsHeaderName(a.Name):
			return Invalid("auth.name", "%q is not a valid header name", a.Name)
		case a.Value == "":
			return Invalid("auth.value", "is required for API key authentication")
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
			kv.Value = strings.TrimSpace(kv.Value)
			if err := CheckContextPath(kv.Value); err != nil {
				return Invalid(at+".value", "%v", err)
			}
		default:
			return Invalid(at+".type", "%q is not supported; use text or variable", kv.Type)
		}
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

// CheckContextPath checks a variable path into the template context: an
// identifier followed by any number of .name, [index] or ["key"] steps, as
// in certainly.sessionId, a.b[0] or certainly.extractedData["e-mail"].
func CheckContextPath(p string) error {
	if p == "" {
		return fmt.Errorf("must name a context path such as certainly.sessionId")
	}
	i := identEnd(p, 0)
	if i == 0 {
		return fmt.Errorf("%q is not a context path: it must start with a name such as certainly", p)
	}
	for i < len(p) {
		switch p[i] {
		case '.':
			j := identEnd(p, i+1)
			if j == i+1 {
				return fmt.Errorf("%q is not a context path: expected a name after the dot at offset %d", p, i)
			}
			i = j
		case '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return fmt.Errorf("%q is not a context path: unclosed [ at offset %d", p, i)
			}
			inner := p[i+1 : i+j]
			if !validIndex(inner) {
				return fmt.Errorf("%q is not a context path: [%s] must hold a number or a quoted key", p, inner)
			}
			i += j + 1
		default:
			return fmt.Errorf("%q is not a context path: unexpected %q at offset %d", p, p[i], i)
		}
	}
	return nil
}

func identEnd(s string, i int) int {
	start := i
	for i < len(s) {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > start && '0' <= c && c <= '9' {
			i++
			continue
		}
		break
	}
	return i
}

func validIndex(s string) bool {
	if s == "" {
		return false
	}
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		return true
	}
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		inner := s[1 : len(s)-1]
		return !strings.ContainsAny(inner, "\"'\\\r\n")
	}
	return false
}

// SecretMask stands in for a secret in everything hookline shows.
const SecretMask = "********"

// Masked returns a copy of w whose secrets (basic password, bearer token,
// API key value) are replaced by SecretMask. Empty secrets stay empty.
func (w Webhook) Masked() Webhook {
	w = w.Clone()
	w.Auth = w.Auth.Masked()
	return w
}

// Clone returns a copy of w that shares no slices or maps with it.
func (w Webhook) Clone() Webhook {
	w.Headers = slices.Clone(w.Headers)
	w.Params = slices.Clone(w.Params)
	w.CustomVariables = slices.Clone(w.CustomVariables)
	if w.ContextValues != nil {
		cv := make(map[string]string, len(w.ContextValues))
		for k, v := range w.ContextValues {
			cv[k] = v
		}
		w.ContextValues = cv
	}
	return w
}

// Masked returns a copy of a with its secrets replaced by SecretMask.
func (a Auth) Masked() Auth {
	for _, f := range a.secretFields() {
		if *f.value != "" {
			*f.value = SecretMask
		}
	}
	return a
}

// KeepSecrets resolves masked secrets in an update against the stored
// definition: a secret equal to SecretMask keeps the stored value, so that
// a definition fetched (masked), edited and sent back never wipes or leaks
// its secrets. A mask with no stored secret behind it (the auth type
// changed, say) is an error naming the field. Call it before Validate.
func (w *Webhook) KeepSecrets(stored *Webhook) error {
	return w.Auth.KeepSecrets(stored.Auth)
}

// KeepSecrets is Webhook.KeepSecrets for one Auth.
func (a *Auth) KeepSecrets(stored Auth) error {
	saved := stored.secretFields()
	for i, f := range a.secretFields() {
		if *f.value != SecretMask {
			continue
		}
		if *saved[i].value == "" {
			return Invalid(f.field, "is masked but no secret is stored for it; send the secret itself")
		}
		*f.value = *saved[i].value
	}
	return nil
}

// Secrets lists the non-empty secrets of w, for callers that must keep them
// out of logs and output.
func (w *Webhook) Secrets() []string {
	var out []string
	for _, f := range w.Auth.secretFields() {
		if *f.value != "" && *f.value != SecretMask {
			out = append(out, *f.value)
		}
	}
	return out
}

// WebhookFilter narrows a webhook listing. Scope is always applied;
// CompanyID, when set, narrows to one company.
type WebhookFilter struct {
	Scope     Scope
	CompanyID int64
}

// WebhookService stores webhook definitions, each owned by a company.
// Methods taking a Scope answer CodeNotFound for webhooks outside it,
// exactly as for webhooks that do not exist. Implementations seal the auth
// secrets at rest and return them opened; callers mask them for display.
type WebhookService interface {
	// CreateWebhook stores w and sets its ID, CreatedAt and UpdatedAt.
	// w.CompanyID must name a company in scope (CodeNotFound with field
	// "company_id" otherwise); names are unique within a company
	// (CodeConflict with field "name").
	CreateWebhook(ctx context.Context, scope Scope, w *Webhook) error
	FindWebhook(ctx context.Context, scope Scope, id int64) (*Webhook, error)
	// FindWebhooks lists the webhooks in the filter's scope, ordered by ID.
	FindWebhooks(ctx context.Context, filter WebhookFilter) ([]*Webhook, error)
	// UpdateWebhook replaces the stored definition w.ID (its company stays)
	// and sets UpdatedAt; CodeConflict on a duplicate name.
	UpdateWebhook(ctx context.Context, scope Scope, w *Webhook) error
	DeleteWebhook(ctx context.Context, scope Scope, id int64) error
}

// WebhookTemplate is a webhook definition with blanks and a description:
// the marketplace of seed 002. Built-in templates ship with the binary and
// have negative IDs, so they never clash with stored ones.
type WebhookTemplate struct {
	ID int64 `json:"id"`
	// Key is a stable, readable name of a built-in template, such as
	// "zendesk-ticket-lookup"; empty for stored templates.
	Key   string        `json:"key,omitempty"`
	Scope TemplateScope `json:"scope"`
	// OwnerID is the agency or company that owns the template; 0 for
	// built-in templates.
	OwnerID     int64  `json:"owner_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	// Webhook is the definition. Its name, company and IDs are set when a
	// webhook is created from it.
	Webhook   Webhook         `json:"webhook"`
	Blanks    []TemplateBlank `json:"blanks"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// TemplateScope says who offers a template.
type TemplateScope string

const (
	TemplateBuiltin TemplateScope = "builtin"
	// TemplateAgency: owned by an agency and offered to all its companies.
	TemplateAgency  TemplateScope = "agency"
	TemplateCompany TemplateScope = "company"
)

// TemplateBlank is a value the user supplies when creating a webhook from a
// template. Target is the field it fills:
//
//	url, name, body                      the whole field
//	context_values.<name>                a context value
//	auth.username|password|token|name|value
//	headers.<Key>                        the value of header Key (case-insensitive; added if absent)
//	params.<key>                         the value of param key (added if absent)
type TemplateBlank struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	Target      string `json:"target"`
	// Secret blanks are entered like passwords and never shown back.
	Secret   bool   `json:"secret,omitempty"`
	Required bool   `json:"required,omitempty"`
	Default  string `json:"default,omitempty"`
}

// IsBuiltin reports whether t ships with the binary.
func (t *WebhookTemplate) IsBuiltin() bool { return t.Scope == TemplateBuiltin }

// Validate checks a template: its name, scope and blanks, and that its
// definition is valid once every blank is filled with a sample value.
// Compiling the definition's templates is package webhook's part.
func (t *WebhookTemplate) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		return Invalid("name", "must not be empty")
	case len(t.Name) > MaxWebhookNameLen:
		return Invalid("name", "must be at most %d bytes long", MaxWebhookNameLen)
	case len(t.Description) > 4<<10:
		return Invalid("description", "must be at most 4096 bytes long")
	case len(t.Category) > MaxWebhookNameLen:
		return Invalid("category", "must be at most %d bytes long", MaxWebhookNameLen)
	}
	switch t.Scope {
	case TemplateBuiltin, TemplateAgency, TemplateCompany:
	default:
		return Invalid("scope", "%q is not a template scope; use agency or company", t.Scope)
	}
	if len(t.Blanks) > MaxWebhookListLen {
		return Invalid("blanks", "at most %d entries are allowed", MaxWebhookListLen)
	}
	names := map[string]int{}
	targets := map[string]int{}
	for i := range t.Blanks {
		b := &t.Blanks[i]
		at := fmt.Sprintf("blanks[%d]", i)
		b.Name = strings.TrimSpace(b.Name)
		b.Target = strings.TrimSpace(b.Target)
		if !IsIdentifier(b.Name) {
			return Invalid(at+".name", "%q is not a valid name: use letters, digits and underscores, not starting with a digit", b.Name)
		}
		if j, dup := names[b.Name]; dup {
			return Invalid(at+".name", "%q is already used by blanks[%d]", b.Name, j)
		}
		names[b.Name] = i
		if err := checkBlankTarget(b.Target); err != nil {
			return Invalid(at+".target", "%v", err)
		}
		key := strings.ToLower(b.Target)
		if j, dup := targets[key]; dup {
			return Invalid(at+".target", "%q is already filled by blanks[%d]", b.Target, j)
		}
		targets[key] = i
		if err := t.checkAuthBlank(b.Target); err != nil {
			return Invalid(at+".target", "%v", err)
		}
		if b.Secret && !strings.HasPrefix(b.Target, "auth.") && !strings.HasPrefix(b.Target, "headers.") && !strings.HasPrefix(b.Target, "params.") {
			return Invalid(at+".secret", "only auth, header and param blanks can be secret")
		}
		if b.Secret && b.Default != "" {
			return Invalid(at+".default", "a secret blank cannot have a default")
		}
		if b.Label == "" {
			b.Label = b.Name
		}
	}
	w, err := t.SampleWebhook()
	if err != nil {
		return err
	}
	return InTemplate(w.Validate())
}

// SampleWebhook is the definition t makes with a sample value (see
// SampleBlankValue) in each blank that has no default: what a template is
// checked by before it is saved, here and by the webhook engine.
func (t *WebhookTemplate) SampleWebhook() (Webhook, error) {
	sample := map[string]string{}
	for _, b := range t.Blanks {
		if b.Default == "" {
			sample[b.Name] = SampleBlankValue(b.Target)
		}
	}
	return t.Fill(sample)
}

// InTemplate re-roots an *Error about a definition at the template's
// "webhook" field; other errors, and nil, come back as they are.
func InTemplate(err error) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	c := *e
	c.Field = "webhook." + c.Field
	return &c
}

// checkAuthBlank refuses an auth blank that the template's auth type would
// ignore, such as auth.token on a template with basic authentication.
func (t *WebhookTemplate) checkAuthBlank(target string) error {
	sub, ok := strings.CutPrefix(target, "auth.")
	if !ok {
		return nil
	}
	want := map[string]AuthType{"username": AuthBasic, "password": AuthBasic, "token": AuthBearer, "name": AuthAPIKey, "value": AuthAPIKey}[sub]
	if got := AuthType(strings.ToLower(string(t.Webhook.Auth.Type))); got != want {
		return fmt.Errorf("%q fills %s authentication but the webhook's auth type is %q", target, want, got)
	}
	return nil
}

// Masked returns a copy of t whose definition has its secrets masked.
func (t WebhookTemplate) Masked() WebhookTemplate {
	t.Webhook = t.Webhook.Masked()
	t.Blanks = slices.Clone(t.Blanks)
	return t
}

// SampleBlankValue is a value that fills a blank with target in a way the
// definition accepts.
func SampleBlankValue(target string) string {
	switch target {
	case "url":
		return "https://example.com/"
	case "name":
		return "sample"
	case "body":
		return "{}"
	}
	return "sample"
}

var authTargets = []string{"username", "password", "token", "name", "value"}

func checkBlankTarget(target string) error {
	field, sub, _ := strings.Cut(target, ".")
	switch field {
	case "url", "name", "body":
		if sub != "" || strings.Contains(target, ".") {
			return fmt.Errorf("%q: %s takes no sub-path", target, field)
		}
		return nil
	case "context_values":
		if !IsIdentifier(sub) || slices.Contains(ContextRoots, sub) {
			return fmt.Errorf("%q: context_values.<name> needs a name like subdomain", target)
		}
		return nil
	case "auth":
		if !slices.Contains(authTargets, sub) {
			return fmt.Errorf("%q: use auth.username, auth.password, auth.token, auth.name or auth.value", target)
		}
		return nil
	case "headers":
		if !IsHeaderName(sub) {
			return fmt.Errorf("%q: headers.<Key> needs a valid header name", target)
		}
		return nil
	case "params":
		if sub == "" {
			return fmt.Errorf("%q: params.<key> needs a parameter name", target)
		}
		return nil
	}
	return fmt.Errorf("%q is not a template target; use url, name, body, context_values.<name>, auth.<field>, headers.<Key> or params.<key>", target)
}

// Fill returns the template's definition with each blank's Target set from
// values (by blank name), or from the blank's Default. It names every
// required blank left empty ("values.subdomain is required") and any value
// that matches no blank, in one CodeInvalid error. An optional auth blank
// left empty turns authentication off when the auth then lacks its secret
// (a generic template's optional bearer token, say). TemplateID is set; the
// definition is not validated here.
func (t *WebhookTemplate) Fill(values map[string]string) (Webhook, error) {
	var problems []string
	field := ""
	note := func(f, format string, args ...any) {
		if field == "" {
			field = f
		}
		problems = append(problems, f+" "+fmt.Sprintf(format, args...))
	}
	known := map[string]bool{}
	for _, b := range t.Blanks {
		known[b.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !known[name] {
			note("values."+name, "matches no blank of this template")
		}
	}

	w := t.Webhook.Clone()
	w.ID, w.CompanyID, w.CreatedAt, w.UpdatedAt = 0, 0, time.Time{}, time.Time{}
	if w.Name == "" {
		w.Name = t.Name
	}
	emptyOptionalAuth := false
	for _, b := range t.Blanks {
		v, given := values[b.Name]
		if !given || v == "" {
			v = b.Default
		}
		if v == "" {
			if b.Required {
				note("values."+b.Name, "is required (%s)", b.Label)
			} else if strings.HasPrefix(b.Target, "auth.") {
				emptyOptionalAuth = true
			}
			continue
		}
		setTarget(&w, b.Target, v)
	}
	if len(problems) > 0 {
		return Webhook{}, &Error{Code: CodeInvalid, Field: field, Message: strings.Join(problems, "; ")}
	}
	if emptyOptionalAuth {
		a := w.Auth
		if (a.Type == AuthBearer && a.Token == "") ||
			(a.Type == AuthBasic && a.Username == "") ||
			(a.Type == AuthAPIKey && a.Value == "") {
			w.Auth = Auth{Type: AuthNone}
		}
	}
	if t.ID != 0 {
		id := t.ID
		w.TemplateID = &id
	}
	return w, nil
}

func setTarget(w *Webhook, target, v string) {
	field, sub, _ := strings.Cut(target, ".")
	switch field {
	case "url":
		w.URL = v
	case "name":
		w.Name = v
	case "body":
		w.Body = v
	case "context_values":
		if w.ContextValues == nil {
			w.ContextValues = map[string]string{}
		}
		w.ContextValues[sub] = v
	case "auth":
		switch sub {
		case "username":
			w.Auth.Username = v
		case "password":
			w.Auth.Password = v
		case "token":
			w.Auth.Token = v
		case "name":
			w.Auth.Name = v
		case "value":
			w.Auth.Value = v
		}
	case "headers":
		for i := range w.Headers {
			if strings.EqualFold(w.Headers[i].Key, sub) {
				w.Headers[i].Value, w.Headers[i].Type = v, ValueText
				return
			}
		}
		w.Headers = append(w.Headers, KeyValue{Key: sub, Value: v, Type: ValueText})
	case "params":
		for i := range w.Params {
			if w.Params[i].Key == sub {
				w.Params[i].Value, w.Params[i].Type = v, ValueText
				return
			}
		}
		w.Params = append(w.Params, KeyValue{Key: sub, Value: v, Type: ValueText})
	}
}

// WebhookTemplateFilter narrows a template listing. A company's scope sees
// its own templates and its agency's; an agency's scope sees its own and
// its companies'; the admin scope sees all. Built-in templates are not
// stored: callers add them (see package webhook).
type WebhookTemplateFilter struct {
	Scope   Scope
	OwnerID int64 // when set, only this owner's templates
}

// WebhookTemplateService stores the templates of agencies and companies.
// Methods taking a Scope answer CodeNotFound for templates outside it.
type WebhookTemplateService interface {
	// CreateWebhookTemplate stores t and sets its ID, CreatedAt and
	// UpdatedAt. t.OwnerID must name a tenant in scope whose kind matches
	// t.Scope (CodeNotFound with field "owner_id" otherwise); names are
	// unique per owner (CodeConflict with field "name").
	CreateWebhookTemplate(ctx context.Context, scope Scope, t *WebhookTemplate) error
	FindWebhookTemplate(ctx context.Context, scope Scope, id int64) (*WebhookTemplate, error)
	// FindWebhookTemplates lists the stored templates in scope, ordered by ID.
	FindWebhookTemplates(ctx context.Context, filter WebhookTemplateFilter) ([]*WebhookTemplate, error)
	UpdateWebhookTemplate(ctx context.Context, scope Scope, t *WebhookTemplate) error
	DeleteWebhookTemplate(ctx context.Context, scope Scope, id int64) error
}

// SecretSealer encrypts secrets at rest (package seal implements it).
type SecretSealer interface {
	Seal(plaintext string) (string, error)
	Open(sealed string) (string, error)
}

// secretFields lists the auth fields that are secrets, with their JSON paths.
func (a *Auth) secretFields() []struct {
	field string
	value *string
} {
	return []struct {
		field string
		value *string
	}{{"auth.password", &a.Password}, {"auth.token", &a.Token}, {"auth.value", &a.Value}}
}

// SealSecrets returns a copy of w whose secrets are sealed with s, for
// storing. Stores call it on write and OpenSecrets on read.
func (w Webhook) SealSecrets(s SecretSealer) (Webhook, error) {
	w = w.Clone()
	for _, f := range w.Auth.secretFields() {
		sealed, err := s.Seal(*f.value)
		if err != nil {
			return Webhook{}, fmt.Errorf("seal %s: %w", f.field, err)
		}
		*f.value = sealed
	}
	return w, nil
}

// OpenSecrets opens, in place, secrets sealed by SealSecrets.
func (w *Webhook) OpenSecrets(s SecretSealer) error {
	for _, f := range w.Auth.secretFields() {
		plain, err := s.Open(*f.value)
		if err != nil {
			return fmt.Errorf("open %s of webhook %d: %w", f.field, w.ID, err)
		}
		*f.value = plain
	}
	return nil
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
	Request  WebhookRequestInfo   `json:"request"`
	Response *WebhookResponseInfo `json:"response"`
	// Variables holds each custom variable that mapped, as JSON.
	Variables map[string]json.RawMessage `json:"variables"`
	// VariableErrors lists the custom variables whose mapper failed; the
	// others are still mapped.
	VariableErrors []VariableError `json:"variable_errors,omitempty"`
	Error          *WebhookError   `json:"error,omitempty"`
	DurationMS     float64         `json:"duration_ms"`
}

// WebhookRequestInfo is the request as sent, with secrets masked.
type WebhookRequestInfo struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// WebhookResponseInfo is the response as received.
type WebhookResponseInfo struct {
	Status int `json:"status"`
	// Headers are keyed by lower-case name; repeated headers are joined
	// with ", ".
	Headers map[string]string `json:"headers"`
	// Body is the first MaxShownBodyBytes of the body as text.
	Body string `json:"body"`
	// Size is the number of body bytes received.
	Size int `json:"size"`
	// Truncated: the body was longer than the egress cap and was cut.
	Truncated bool `json:"truncated,omitempty"`
	// Data is the body parsed per the response type, when it parsed. It
	// is encoded as JSON only when the result is, so that the bot runtime,
	// which reads Variables, does not pay for it.
	Data     any `json:"data,omitempty"`
	Attempts int `json:"attempts"`
}

// MaxShownBodyBytes bounds the response body a WebhookResult shows.
const MaxShownBodyBytes = 64 << 10

// WebhookError is why an execution failed.
type WebhookError struct {
	Kind    WebhookErrorKind `json:"kind"`
	Message string           `json:"message"`
	// Field names the part of the definition at fault for render errors,
	// such as "body" or "headers[0].value"; Message starts with it too.
	Field string `json:"field,omitempty"`
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
	Name    string `json:"name"`
	Message string `json:"message"`
}

// WebhookEngine compiles and runs webhook definitions and works with their
// templates (package webhook implements it). The bot runtime, Run webhook
// and the CLI share it.
type WebhookEngine interface {
	// CheckWebhook validates a definition for saving: defaults filled,
	// every template compiled, every context value the URL needs set.
	CheckWebhook(w *Webhook) error
	// ContextNames lists the context values the URL needs.
	ContextNames(w *Webhook) ([]string, error)
	// RunWebhook executes w against a JSON context object as Run webhook
	// receives it (empty: sample values). The error is for an invalid
	// definition or context only; failures of the exchange are in the
	// result.
	RunWebhook(ctx context.Context, w *Webhook, context json.RawMessage) (*WebhookResult, error)
	// RunConversation executes w against a conversation, as the bot does.
	RunConversation(ctx context.Context, w *Webhook, conv *Conversation) (*WebhookResult, error)

	// BuiltinTemplates lists the templates that ship with the binary.
	BuiltinTemplates() ([]WebhookTemplate, error)
	// BuiltinTemplate returns the built-in template with the given
	// (negative) ID, CodeNotFound if there is none.
	BuiltinTemplate(id int64) (*WebhookTemplate, error)
	// CheckTemplate validates a template for saving.
	CheckTemplate(t *WebhookTemplate) error
	// FillTemplate makes a definition from a template and the values of its
	// blanks; the error names every missing or unknown value.
	FillTemplate(t *WebhookTemplate, values map[string]string) (Webhook, error)
	// TemplateFromWebhook makes a template of a definition; secrets become
	// blanks and are never copied.
	TemplateFromWebhook(w *Webhook) WebhookTemplate
}
