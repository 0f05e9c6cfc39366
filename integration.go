package hookline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Custom Webhook integrations (seed 003): chat events go out to a
// customer's URL, the customer's replies come back into the chat and go
// to the contact through the chat's connection (SMS or WhatsApp).

// IntegrationStatus is whether an integration forwards chats.
type IntegrationStatus string

const (
	IntegrationInactive IntegrationStatus = "inactive"
	IntegrationActive   IntegrationStatus = "active"
)

// Chat events an integration can be told of.
const (
	EventMessage = "MESSAGE"
	EventEnd     = "END"
)

// IntegrationMethods are the methods an integration may use (seed 003).
var IntegrationMethods = []string{"POST", "GET", "PUT", "DELETE"}

// BodyField is one field of an integration's request body (or, for GET
// and DELETE, of its query string). Key uses dot notation to nest
// (multimedia.url) and a trailing [] to append to an array (tags[]).
type BodyField struct {
	Key   string    `json:"key" doc:"the field's name; dots nest (multimedia.url), a trailing [] appends to an array (tags[])"`
	Value string    `json:"value" doc:"text: the value as written; variable: a path into the event, such as chatId, multimedia.url or connection.code"`
	Type  ValueType `json:"type" enum:"text,variable" doc:"how value is read (default text)"`
}

// DefaultBodyFields is the body an integration sends when it defines none:
// chatId, contact, event, text, multimedia.url and multimedia.caption,
// each the event's value of the same name.
func DefaultBodyFields() []BodyField {
	var out []BodyField
	for _, k := range []string{"chatId", "contact", "event", "text", "multimedia.url", "multimedia.caption"} {
		out = append(out, BodyField{Key: k, Value: k, Type: ValueVariable})
	}
	return out
}

// IntegrationDefinition is what a user writes of an integration.
type IntegrationDefinition struct {
	Alias      string      `json:"alias" doc:"a name for the card, 1 to 200 bytes"`
	Method     string      `json:"method" enum:"POST,GET,PUT,DELETE" doc:"the HTTP method events are sent with"`
	URL        string      `json:"url" doc:"the absolute http(s) URL events are sent to; no template tags"`
	Params     []KeyValue  `json:"params" doc:"query parameters, as in the Webhook Builder: text values are templates, variable values paths into the event"`
	Auth       Auth        `json:"auth" doc:"how the request authenticates, as in the Webhook Builder"`
	Headers    []KeyValue  `json:"headers" doc:"headers, as in the Webhook Builder"`
	BodyFields []BodyField `json:"body_fields" doc:"the fields of the JSON body (POST, PUT) or of the query string (GET, DELETE, with their dotted keys); default chatId, contact, event, text, multimedia.url, multimedia.caption"`
	Events     []string    `json:"events" doc:"the events sent: MESSAGE, END (default both)"`
}

// Size bounds of an integration.
const (
	MaxAliasLen      = 200
	MaxBodyFields    = 100
	MaxBodyFieldKey  = 200
	MaxBodyFieldPath = 200
)

// Validate fills in defaults (method upper-cased, events both, body
// fields the default set when nil) and checks the rules that need no
// template engine: the auth, headers and params are checked as a
// webhook's are by package webhook.
func (d *IntegrationDefinition) Validate() error {
	d.Alias = strings.TrimSpace(d.Alias)
	switch {
	case d.Alias == "":
		return Invalid("alias", "must not be empty")
	case len(d.Alias) > MaxAliasLen:
		return Invalid("alias", "must be at most %d bytes long", MaxAliasLen)
	case strings.ContainsAny(d.Alias, "\x00\r\n"):
		return Invalid("alias", "must not contain line breaks or NUL")
	}
	d.Method = strings.ToUpper(strings.TrimSpace(d.Method))
	if !slices.Contains(IntegrationMethods, d.Method) {
		return Invalid("method", "%q is not supported; use POST, GET, PUT or DELETE", d.Method)
	}
	d.URL = strings.TrimSpace(d.URL)
	if strings.Contains(d.URL, "{{") || strings.Contains(d.URL, "{%") || strings.Contains(d.URL, "{#") {
		return Invalid("url", "must be a plain URL without template tags; send values with params instead")
	}
	if d.URL == "" {
		return Invalid("url", "must not be empty")
	}
	if len(d.URL) > MaxWebhookURLLen {
		return Invalid("url", "must be at most %d bytes long", MaxWebhookURLLen)
	}
	if err := CheckWebhookURL(d.URL); err != nil {
		return err
	}
	if d.Events == nil {
		d.Events = []string{EventMessage, EventEnd}
	}
	seen := map[string]bool{}
	for i, e := range d.Events {
		e = strings.ToUpper(strings.TrimSpace(e))
		if e != EventMessage && e != EventEnd {
			return Invalid(fmt.Sprintf("events[%d]", i), "%q is not an event; use MESSAGE or END", d.Events[i])
		}
		if seen[e] {
			return Invalid(fmt.Sprintf("events[%d]", i), "%s is listed twice", e)
		}
		seen[e] = true
		d.Events[i] = e
	}
	if d.BodyFields == nil {
		d.BodyFields = DefaultBodyFields()
	}
	if len(d.BodyFields) > MaxBodyFields {
		return Invalid("body_fields", "at most %d fields are allowed", MaxBodyFields)
	}
	for i := range d.BodyFields {
		f := &d.BodyFields[i]
		at := fmt.Sprintf("body_fields[%d]", i)
		f.Key = strings.TrimSpace(f.Key)
		switch f.Type {
		case "":
			f.Type = ValueText
		case ValueText:
		case ValueVariable:
			f.Value = strings.TrimSpace(f.Value)
			if f.Value == "" {
				return Invalid(at+".value", "a variable must name a path into the event, such as chatId or multimedia.url")
			}
			if len(f.Value) > MaxBodyFieldPath {
				return Invalid(at+".value", "must be at most %d bytes long", MaxBodyFieldPath)
			}
		default:
			return Invalid(at+".type", "%q is not supported; use text or variable", f.Type)
		}
		switch {
		case f.Key == "":
			return Invalid(at+".key", "must not be empty")
		case len(f.Key) > MaxBodyFieldKey:
			return Invalid(at+".key", "must be at most %d bytes long", MaxBodyFieldKey)
		case len(f.Value) > MaxWebhookValueLen:
			return Invalid(at+".value", "must be at most %d bytes long", MaxWebhookValueLen)
		}
	}
	return nil
}

// Webhook is the part of d the Webhook Builder's rules and request code
// apply to: method, URL, auth, headers and params, named by the alias.
func (d *IntegrationDefinition) Webhook() WebhookDefinition {
	return WebhookDefinition{
		Name: d.Alias, Method: d.Method, URL: d.URL, Auth: d.Auth,
		Headers: cloneKeyValues(d.Headers), Params: cloneKeyValues(d.Params),
		ResponseType: ResponseText, Execution: ExecutionAsync, TimeoutMS: DefaultWebhookTimeoutMS,
	}
}

// Wants reports whether the integration is told of event.
func (d *IntegrationDefinition) Wants(event string) bool { return slices.Contains(d.Events, event) }

// Integration is a stored Custom Webhook integration: the API's document.
type Integration struct {
	ID        int64 `json:"id" doc:"the integration's id"`
	CompanyID int64 `json:"company_id" doc:"the company it belongs to"`
	IntegrationDefinition
	Status IntegrationStatus `json:"status" enum:"inactive,active" doc:"inactive until POST .../start; active integrations forward chats"`
	// Connections are the codes of the connections it holds.
	Connections []string `json:"connections" doc:"the codes of its connections; empty for an integration used by a chatbot campaign"`
	// ReplyToken is SecretMask when shown; set in clear only by the
	// answers that create or rotate it.
	ReplyToken    string    `json:"reply_token" doc:"******** (shown once, at creation and by POST .../reply-token)"`
	SigningSecret string    `json:"signing_secret" doc:"******** (shown once, at creation): verify webhook-signature with it (Standard Webhooks)"`
	CreatedAt     time.Time `json:"created_at" doc:"when it was created"`
	UpdatedAt     time.Time `json:"updated_at" doc:"when it last changed"`

	// ReplyTokenHash and the previous one (valid until PreviousUntil)
	// authenticate replies; never shown.
	ReplyTokenHash         []byte     `json:"-"`
	PreviousReplyTokenHash []byte     `json:"-"`
	PreviousReplyUntil     *time.Time `json:"-"`
}

// Clone returns a copy of i that shares no slices with it.
func (i Integration) Clone() Integration {
	i.Params, i.Headers = cloneKeyValues(i.Params), cloneKeyValues(i.Headers)
	i.BodyFields = slices.Clone(i.BodyFields)
	i.Events = slices.Clone(i.Events)
	i.Connections = slices.Clone(i.Connections)
	return i
}

// IntegrationInput is the body of POST and PUT /api/v1/integrations; the
// read-only fields of a fetched integration are accepted and ignored.
type IntegrationInput struct {
	IntegrationDefinition
	CompanyID   *int64   `json:"company_id" doc:"the company it belongs to; required for agency and admin keys; on PUT, if sent, the integration's own"`
	Connections []string `json:"connections" doc:"codes of connections of the same company it takes over; leave empty for an integration a chatbot campaign uses"`

	ID            json.RawMessage `json:"id" doc:"read-only; accepted and ignored"`
	Status        json.RawMessage `json:"status" doc:"read-only; accepted and ignored"`
	ReplyToken    json.RawMessage `json:"reply_token" doc:"read-only; accepted and ignored"`
	SigningSecret json.RawMessage `json:"signing_secret" doc:"read-only; accepted and ignored"`
	CreatedAt     json.RawMessage `json:"created_at" doc:"read-only; accepted and ignored"`
	UpdatedAt     json.RawMessage `json:"updated_at" doc:"read-only; accepted and ignored"`
}

// NewIntegration is an integration just created: the only answer that
// shows its signing secret and reply token.
type NewIntegration struct {
	Integration
	SigningSecret string `json:"signing_secret" doc:"whsec_ and a base64 key: verify webhook-signature with it (Standard Webhooks); shown only in this response"`
	ReplyToken    string `json:"reply_token" doc:"send it as Authorization: Bearer <reply_token> to the reply URL; shown only in this response"`
}

// NewReplyToken is a rotated reply token: the only time it is shown.
type NewReplyToken struct {
	ReplyToken    string    `json:"reply_token" doc:"the new token; shown only in this response"`
	PreviousUntil time.Time `json:"previous_valid_until" doc:"the previous token keeps working until then (24 hours)"`
}

// ReplyTokenOverlap is how long a rotated-out reply token keeps working.
const ReplyTokenOverlap = 24 * time.Hour

// replyTokenPrefix marks reply tokens, so that the reply routes tell them
// from API keys.
const replyTokenPrefix = "hlr_"

// NewReplyTokenSecret returns a random reply token and its stored hash.
func NewReplyTokenSecret() (token string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	token = replyTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashReplyToken(token)
}

// IsReplyToken reports whether a bearer token is a reply token rather than
// an API key.
func IsReplyToken(token string) bool { return strings.HasPrefix(token, replyTokenPrefix) }

// HashReplyToken returns the stored form of a reply token.
func HashReplyToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ReplyCredential is who acts on a chat through the reply URL: a caller
// with an API key (the Try Out form), or the bearer of the integration's
// reply token.
type ReplyCredential struct {
	Caller     *Caller
	ReplyToken string
}

// APIDetails is what the API Details tab shows: how to reply into a chat.
type APIDetails struct {
	ReplyURL    string            `json:"reply_url" doc:"POST here, with {chatId} replaced by the event's chatId"`
	EndURL      string            `json:"end_url" doc:"POST here to end a chat"`
	Method      string            `json:"method" doc:"POST"`
	Headers     map[string]string `json:"headers" doc:"the headers a reply sends"`
	Params      map[string]string `json:"params" doc:"the path parameters"`
	Request     json.RawMessage   `json:"example_request" doc:"an example body"`
	Responses   map[string]any    `json:"responses" doc:"example answers by status"`
	SampleEvent json.RawMessage   `json:"sample_event" doc:"a MESSAGE event as this integration sends it"`
}

// IntegrationCampaign is a campaign linked to an integration, as its
// Campaigns dialog shows it.
type IntegrationCampaign struct {
	ID           int64          `json:"id" doc:"the campaign's id"`
	Name         string         `json:"name" doc:"the campaign's name"`
	Status       CampaignStatus `json:"status" doc:"draft, live or paused"`
	IntegratedAt *time.Time     `json:"integration_date" nullable:"true" doc:"when the campaign first went live with this integration; null before"`
}

// IntegrationFilter narrows an integration listing.
type IntegrationFilter struct {
	Scope Scope
	After int64
	Limit int
}

// IntegrationStore stores integrations. Implementations seal the auth
// secrets and secret items as the webhook store does; FindIntegration
// opens them, FindIntegrations masks them.
type IntegrationStore interface {
	// CreateIntegration stores i and claims its connections (codes of
	// i.CompanyID): CodeNotFound naming connections[n] for an unknown
	// one, CodeConflict naming what holds a taken one. It sets ID and
	// the times.
	CreateIntegration(ctx context.Context, scope Scope, i *Integration) error
	FindIntegration(ctx context.Context, scope Scope, id int64) (*Integration, error)
	FindIntegrations(ctx context.Context, f IntegrationFilter) ([]*Integration, error)
	// UpdateIntegration replaces what update makes of the stored one, its
	// connections included, in one transaction.
	UpdateIntegration(ctx context.Context, scope Scope, id int64, update func(stored *Integration) (*Integration, error)) (*Integration, error)
	// SetIntegrationStatus starts or stops it. Stopping is refused
	// (CodeConflict naming them) while live campaigns use it.
	SetIntegrationStatus(ctx context.Context, scope Scope, id int64, status IntegrationStatus) (*Integration, error)
	// SetReplyToken stores a new reply token hash; the current one stays
	// valid until previousUntil.
	SetReplyToken(ctx context.Context, scope Scope, id int64, hash []byte, previousUntil time.Time) error
	// DeleteIntegration removes it and frees its connections; refused
	// (CodeConflict naming them) while campaigns link it.
	DeleteIntegration(ctx context.Context, scope Scope, id int64) error
	// FindIntegrationCampaigns lists the campaigns linked to it, by id.
	FindIntegrationCampaigns(ctx context.Context, scope Scope, id int64, after int64, limit int) ([]*IntegrationCampaign, error)
}

// IntegrationService is the use cases of integrations, their chats and
// the reply URL. Every method acts for a caller; resources outside its
// scope answer CodeNotFound.
type IntegrationService interface {
	CreateIntegration(ctx context.Context, c *Caller, in IntegrationInput) (*NewIntegration, error)
	FindIntegration(ctx context.Context, c *Caller, id int64) (*Integration, error)
	FindIntegrations(ctx context.Context, c *Caller, companyID int64, page PageRequest) (Page[*Integration], error)
	ReplaceIntegration(ctx context.Context, c *Caller, id int64, in IntegrationInput) (*Integration, error)
	DeleteIntegration(ctx context.Context, c *Caller, id int64) error
	StartIntegration(ctx context.Context, c *Caller, id int64) (*Integration, error)
	StopIntegration(ctx context.Context, c *Caller, id int64) (*Integration, error)
	RotateReplyToken(ctx context.Context, c *Caller, id int64) (*NewReplyToken, error)
	APIDetails(ctx context.Context, c *Caller, id int64) (*APIDetails, error)
	FindIntegrationCampaigns(ctx context.Context, c *Caller, id int64, page PageRequest) (Page[*IntegrationCampaign], error)

	FindChats(ctx context.Context, c *Caller, integrationID int64, status ChatStatus, page PageRequest) (Page[*Chat], error)
	FindChat(ctx context.Context, c *Caller, integrationID, chatID int64) (*Chat, error)
	// Reply sends a message to the chat's contact through its connection.
	Reply(ctx context.Context, cred ReplyCredential, integrationID, chatID int64, in ReplyInput) (*ChatMessage, error)
	// EndChat ends an open chat and queues END after its events.
	EndChat(ctx context.Context, cred ReplyCredential, integrationID, chatID int64) (*Chat, error)
}
