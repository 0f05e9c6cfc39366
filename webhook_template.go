package hookline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

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
	OwnerID     int64  `json:"-"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	// Webhook is the definition a webhook made from the template starts
	// from; the blanks fill parts of it.
	Webhook   WebhookDefinition `json:"webhook"`
	Blanks    []TemplateBlank   `json:"blanks"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
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
	Name        string `json:"name" doc:"an identifier: the key in values"`
	Label       string `json:"label" doc:"what a form shows"`
	Description string `json:"description,omitempty" doc:"help text"`
	Target      string `json:"target" doc:"the field it fills: url, name, body, context_values.<name>, auth.username|password|token|name|value, headers.<Key>, params.<key>"`
	// Secret blanks are entered like passwords and never shown back.
	Secret   bool   `json:"secret,omitempty" doc:"entered like a password, never shown back"`
	Required bool   `json:"required,omitempty" doc:"creating a webhook without it fails naming values.<name>"`
	Default  string `json:"default,omitempty" doc:"used when no value is given"`
}

// IsBuiltin reports whether t ships with the binary.
func (t *WebhookTemplate) IsBuiltin() bool { return t.Scope == TemplateBuiltin }

// Validate checks a template's own rules: its name, scope and blanks.
// Whether its definition makes a working webhook once the blanks are
// filled is package webhook's part, which fills and compiles it.
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
	return nil
}

// WebhookTemplateDocument is a template as the API shows it: its owner as
// agency_id or company_id, like the fields that set it, and no times for
// built-ins.
type WebhookTemplateDocument struct {
	ID          int64             `json:"id" doc:"negative for built-in templates"`
	Key         string            `json:"key,omitempty" doc:"a built-in template's stable name, such as zendesk-ticket-lookup"`
	Scope       TemplateScope     `json:"scope" doc:"who offers it"`
	AgencyID    *int64            `json:"agency_id,omitempty" doc:"the owning agency"`
	CompanyID   *int64            `json:"company_id,omitempty" doc:"the owning company"`
	Name        string            `json:"name" doc:"its name, unique per owner"`
	Description string            `json:"description" doc:"what it does"`
	Category    string            `json:"category" doc:"for grouping, such as Helpdesk"`
	Webhook     WebhookDefinition `json:"webhook" doc:"the definition a webhook made from it starts from"`
	Blanks      []TemplateBlank   `json:"blanks" doc:"the values a user supplies"`
	CreatedAt   *time.Time        `json:"created_at,omitempty" doc:"absent for built-in templates"`
	UpdatedAt   *time.Time        `json:"updated_at,omitempty" doc:"absent for built-in templates"`
}

// MarshalJSON encodes the template's Document.
func (t WebhookTemplate) MarshalJSON() ([]byte, error) { return json.Marshal(t.Document()) }

// Document returns the template as the API shows it. Templates hold no
// secrets; a secret a template stored before that rule is masked all the
// same.
func (t WebhookTemplate) Document() any {
	out := WebhookTemplateDocument{ID: t.ID, Key: t.Key, Scope: t.Scope, Name: t.Name, Description: t.Description,
		Category: t.Category, Webhook: t.Webhook.Masked().WithEmptyLists(), Blanks: t.Blanks}
	owner := t.OwnerID
	switch t.Scope {
	case TemplateAgency:
		out.AgencyID = &owner
	case TemplateCompany:
		out.CompanyID = &owner
	}
	if out.Blanks == nil {
		out.Blanks = []TemplateBlank{}
	}
	if !t.CreatedAt.IsZero() {
		created, updated := t.CreatedAt, t.UpdatedAt
		out.CreatedAt, out.UpdatedAt = &created, &updated
	}
	return out
}

// Clone returns a copy of t that shares no slices or maps with it.
func (t WebhookTemplate) Clone() WebhookTemplate {
	t.Webhook = t.Webhook.Clone()
	t.Blanks = slices.Clone(t.Blanks)
	return t
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

// WebhookTemplateFilter narrows a template listing. A company's scope sees
// its own templates and its agency's; an agency's scope sees its own and
// its companies'; the admin scope sees all. Built-in templates are not
// stored. After and Limit page the list (Limit 0: no limit).
type WebhookTemplateFilter struct {
	Scope   Scope
	OwnerID int64 // when set, only this owner's templates
	After   int64
	Limit   int
}

// WebhookTemplateStore stores the templates of agencies and companies.
// Methods taking a Scope answer CodeNotFound for templates outside it.
type WebhookTemplateStore interface {
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

// WebhookTemplateInput is the body of POST and PUT
// /api/v1/webhook-templates, plus the read-only fields of a fetched
// template, accepted and ignored.
type WebhookTemplateInput struct {
	Name          *string            `json:"name" doc:"unique per owner; required unless from_webhook_id is sent"`
	Description   string             `json:"description" doc:"what it does"`
	Category      string             `json:"category" doc:"for grouping, such as Helpdesk"`
	Webhook       *WebhookDefinition `json:"webhook" doc:"the definition; required unless from_webhook_id is sent. Templates never hold secrets"`
	Blanks        []TemplateBlank    `json:"blanks" doc:"the values a user supplies when creating a webhook from it"`
	FromWebhookID *int64             `json:"from_webhook_id" doc:"on POST: make the template from this webhook: its secrets become secret blanks, never copied"`
	CompanyID     *int64             `json:"company_id" doc:"owner: a company"`
	AgencyID      *int64             `json:"agency_id" doc:"owner: an agency, which offers it to all its companies (agency and admin keys)"`

	ID        json.RawMessage `json:"id" doc:"read-only; accepted and ignored"`
	Key       json.RawMessage `json:"key" doc:"read-only; accepted and ignored"`
	Scope     json.RawMessage `json:"scope" doc:"read-only; accepted and ignored"`
	CreatedAt json.RawMessage `json:"created_at" doc:"read-only; accepted and ignored"`
	UpdatedAt json.RawMessage `json:"updated_at" doc:"read-only; accepted and ignored"`
}

// WebhookTemplateService is the use cases of the templates marketplace:
// the built-in templates (negative ids, read-only) and those of agencies
// and companies.
type WebhookTemplateService interface {
	// CreateTemplate creates a template from scratch, or from a webhook
	// whose secrets become blanks.
	CreateTemplate(ctx context.Context, c *Caller, in WebhookTemplateInput) (*WebhookTemplate, error)
	FindTemplate(ctx context.Context, c *Caller, id int64) (*WebhookTemplate, error)
	// FindTemplates lists the built-in templates, then the stored ones the
	// caller (or, with companyID, that company) may use.
	FindTemplates(ctx context.Context, c *Caller, companyID int64, page PageRequest) (Page[*WebhookTemplate], error)
	ReplaceTemplate(ctx context.Context, c *Caller, id int64, in WebhookTemplateInput) (*WebhookTemplate, error)
	DeleteTemplate(ctx context.Context, c *Caller, id int64) error
}

// SecretSealer encrypts secrets at rest (package seal implements it).
type SecretSealer interface {
	Seal(plaintext string) (string, error)
	Open(sealed string) (string, error)
}
