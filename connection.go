package hookline

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ConnectionType is the channel a connection speaks.
type ConnectionType string

const (
	// ConnectionSMS speaks Twilio's wire format.
	ConnectionSMS ConnectionType = "sms"
	// ConnectionWhatsApp speaks the WhatsApp Cloud API.
	ConnectionWhatsApp ConnectionType = "whatsapp"
)

// Default provider addresses.
const (
	DefaultTwilioBaseURL      = "https://api.twilio.com"
	DefaultWhatsAppBaseURL    = "https://graph.facebook.com"
	DefaultWhatsAppAPIVersion = "v21.0"
)

// Provider is a connection's provider account. SMS uses AccountSID,
// AuthToken, From and BaseURL; WhatsApp uses PhoneNumberID, AccessToken,
// AppSecret, VerifyToken, BaseURL and APIVersion. AuthToken, AccessToken,
// AppSecret and VerifyToken are secrets: sealed at rest, masked when shown.
type Provider struct {
	AccountSID    string `json:"account_sid,omitempty" doc:"sms: the Twilio account SID"`
	AuthToken     string `json:"auth_token,omitempty" doc:"sms: the Twilio auth token; a secret, shown as ********"`
	From          string `json:"from,omitempty" doc:"sms: the sender number (E.164)"`
	PhoneNumberID string `json:"phone_number_id,omitempty" doc:"whatsapp: the business phone number id"`
	AccessToken   string `json:"access_token,omitempty" doc:"whatsapp: the Graph API access token; a secret, shown as ********"`
	AppSecret     string `json:"app_secret,omitempty" doc:"whatsapp: the app secret X-Hub-Signature-256 is made with; a secret, shown as ********"`
	VerifyToken   string `json:"verify_token,omitempty" doc:"whatsapp: the webhook verify token; a secret, shown as ********"`
	BaseURL       string `json:"base_url,omitempty" doc:"the provider API's address (default https://api.twilio.com or https://graph.facebook.com)"`
	APIVersion    string `json:"api_version,omitempty" doc:"whatsapp: the Graph API version (default v21.0)"`
}

// SecretFields lists the provider's secrets with their JSON paths.
func (p *Provider) SecretFields() []SecretField {
	return []SecretField{
		{"provider.auth_token", &p.AuthToken}, {"provider.access_token", &p.AccessToken},
		{"provider.app_secret", &p.AppSecret}, {"provider.verify_token", &p.VerifyToken},
	}
}

// Masked returns p with its secrets replaced by SecretMask.
func (p Provider) Masked() Provider {
	for _, f := range p.SecretFields() {
		if *f.Value != "" {
			*f.Value = SecretMask
		}
	}
	return p
}

// Secrets lists p's non-empty secrets.
func (p *Provider) Secrets() []string {
	var out []string
	for _, f := range p.SecretFields() {
		if *f.Value != "" && *f.Value != SecretMask {
			out = append(out, *f.Value)
		}
	}
	return out
}

// Connection is a company's provider account that contacts write to: an
// SMS number or a WhatsApp business number. Its code names it in public
// paths (/channels/sms/{code}), so it is unique across all tenants.
type Connection struct {
	ID        int64          `json:"id" doc:"the connection's id"`
	CompanyID int64          `json:"company_id" doc:"the company it belongs to"`
	Type      ConnectionType `json:"type" enum:"sms,whatsapp" doc:"sms (Twilio) or whatsapp (Cloud API)"`
	Code      string         `json:"code" doc:"unique across all tenants; names it in its inbound URL"`
	Provider  Provider       `json:"provider" doc:"the provider account; secrets shown as ********"`
	// HolderKind and HolderID name what serves the connection: an
	// integration or a campaign, never both.
	HolderKind string    `json:"held_by,omitempty" enum:"integration,campaign" doc:"integration or campaign: what its messages go to; absent when free"`
	HolderID   int64     `json:"held_by_id,omitempty" doc:"the id of the integration or campaign holding it"`
	InboundURL string    `json:"inbound_url" doc:"the URL to configure at the provider (Twilio's messaging webhook, WhatsApp's callback URL)"`
	CreatedAt  time.Time `json:"created_at" doc:"when it was created"`
}

// Holders of a connection.
const (
	HolderIntegration = "integration"
	HolderCampaign    = "campaign"
)

// ConnectionInput is the body of POST /api/v1/connections.
type ConnectionInput struct {
	CompanyID *int64          `json:"company_id" doc:"the company it belongs to; required for agency and admin keys"`
	Type      *ConnectionType `json:"type" required:"true" enum:"sms,whatsapp" doc:"sms or whatsapp"`
	Code      *string         `json:"code" required:"true" doc:"1 to 64 letters, digits, - and _; unique across all tenants"`
	Provider  *Provider       `json:"provider" required:"true" doc:"the provider account"`
}

// MaxConnectionCodeLen bounds connection codes.
const MaxConnectionCodeLen = 64

// ValidateConnectionCode checks a code for use in a URL path.
func ValidateConnectionCode(code string) error {
	if code == "" {
		return Invalid("code", "must not be empty")
	}
	if len(code) > MaxConnectionCodeLen {
		return Invalid("code", "must be at most %d bytes long", MaxConnectionCodeLen)
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return Invalid("code", "%q may hold only letters, digits, - and _", code)
		}
	}
	return nil
}

// Validate checks the provider account for a connection type and fills in
// the defaults (base URL, API version).
func (p *Provider) Validate(t ConnectionType) error {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&p.AccountSID, &p.From, &p.PhoneNumberID, &p.BaseURL, &p.APIVersion} {
		trim(s)
	}
	foreign := func(fields ...SecretField) error {
		for _, f := range fields {
			if *f.Value != "" {
				return Invalid(f.Field, "is not a field of a %s connection", t)
			}
		}
		return nil
	}
	switch t {
	case ConnectionSMS:
		if err := foreign(SecretField{"provider.phone_number_id", &p.PhoneNumberID}, SecretField{"provider.access_token", &p.AccessToken},
			SecretField{"provider.app_secret", &p.AppSecret}, SecretField{"provider.verify_token", &p.VerifyToken},
			SecretField{"provider.api_version", &p.APIVersion}); err != nil {
			return err
		}
		if err := Required(Has("provider.account_sid", p.AccountSID != ""), Has("provider.auth_token", p.AuthToken != ""),
			Has("provider.from", p.From != "")); err != nil {
			return err
		}
		if p.BaseURL == "" {
			p.BaseURL = DefaultTwilioBaseURL
		}
		if err := checkPathSegment("provider.account_sid", p.AccountSID); err != nil {
			return err
		}
	case ConnectionWhatsApp:
		if err := foreign(SecretField{"provider.account_sid", &p.AccountSID}, SecretField{"provider.auth_token", &p.AuthToken},
			SecretField{"provider.from", &p.From}); err != nil {
			return err
		}
		if err := Required(Has("provider.phone_number_id", p.PhoneNumberID != ""), Has("provider.access_token", p.AccessToken != ""),
			Has("provider.app_secret", p.AppSecret != ""), Has("provider.verify_token", p.VerifyToken != "")); err != nil {
			return err
		}
		if p.BaseURL == "" {
			p.BaseURL = DefaultWhatsAppBaseURL
		}
		if p.APIVersion == "" {
			p.APIVersion = DefaultWhatsAppAPIVersion
		}
		if err := checkPathSegment("provider.phone_number_id", p.PhoneNumberID); err != nil {
			return err
		}
		if err := checkPathSegment("provider.api_version", p.APIVersion); err != nil {
			return err
		}
	default:
		return Invalid("type", "%q is not supported; use sms or whatsapp", t)
	}
	for _, f := range p.SecretFields() {
		if err := checkAuthText(f.Field, *f.Value); err != nil {
			return err
		}
		if *f.Value == SecretMask {
			return Invalid(f.Field, "is masked; send the secret itself")
		}
	}
	u, err := ParseWebhookURL(p.BaseURL)
	if err != nil {
		return Invalid("provider.base_url", "%s", ErrorMessage(err))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Invalid("provider.base_url", "must have no query or fragment")
	}
	p.BaseURL = strings.TrimRight(p.BaseURL, "/")
	return nil
}

// checkPathSegment checks a value that goes into a provider URL's path.
func checkPathSegment(field, v string) error {
	if len(v) > 128 || url.PathEscape(v) != v {
		return Invalid(field, "%q must be at most 128 letters, digits, - _ . ~", v)
	}
	return nil
}

// InboundPath is where a provider posts a connection's messages, below
// the public URL.
func (c *Connection) InboundPath() string {
	return fmt.Sprintf("/channels/%s/%s", c.Type, c.Code)
}

// ConnectionFilter narrows a connection listing.
type ConnectionFilter struct {
	Scope Scope
	After int64
	Limit int
}

// ConnectionStore stores connections, their provider secrets sealed.
type ConnectionStore interface {
	// CreateConnection stores c; a code taken in any tenant is
	// CodeConflict naming "code" without saying whose.
	CreateConnection(ctx context.Context, scope Scope, c *Connection) error
	FindConnection(ctx context.Context, scope Scope, id int64) (*Connection, error)
	// FindConnectionByCode finds a connection of any tenant by type and
	// code, secrets opened, for the provider edge.
	FindConnectionByCode(ctx context.Context, t ConnectionType, code string) (*Connection, error)
	// FindConnections lists connections with their secrets masked.
	FindConnections(ctx context.Context, f ConnectionFilter) ([]*Connection, error)
	// DeleteConnection removes a free connection; one held is
	// CodeConflict naming its holder.
	DeleteConnection(ctx context.Context, scope Scope, id int64) error
}

// ConnectionService is the use cases of connections.
type ConnectionService interface {
	CreateConnection(ctx context.Context, c *Caller, in ConnectionInput) (*Connection, error)
	FindConnection(ctx context.Context, c *Caller, id int64) (*Connection, error)
	FindConnections(ctx context.Context, c *Caller, companyID int64, page PageRequest) (Page[*Connection], error)
	DeleteConnection(ctx context.Context, c *Caller, id int64) error
}

// InboundMedia is a medium of a provider message: a URL, or a provider's
// media id still to be resolved into one.
type InboundMedia struct {
	URL         string
	MediaID     string
	ContentType string
	Caption     string
}

// ProviderMessage is one contact message as a provider sent it.
type ProviderMessage struct {
	// ProviderID is the provider's id (MessageSid, wamid), by which a
	// message seen twice is handled once.
	ProviderID string
	From, To   string
	Text       string
	Media      *InboundMedia
	At         time.Time
}

// InboundService is what the provider edge calls once it has checked a
// request's signature.
type InboundService interface {
	// InboundConnection returns the connection of a public path, secrets
	// opened; CodeNotFound when there is none.
	InboundConnection(ctx context.Context, t ConnectionType, code string) (*Connection, error)
	// Receive handles the messages of one provider request: each is
	// stored and routed once, whatever how often it is received.
	Receive(ctx context.Context, conn *Connection, msgs []ProviderMessage) error
}
