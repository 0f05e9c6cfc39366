package webhook

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/hookline/hookline"
)

// Service is the Webhook Builder's use cases over the stores: it resolves
// the company a webhook belongs to, applies the secret policy (see
// secrets.go), validates and compiles each definition once per save, and
// runs webhooks through the Executor. The HTTP API, the CLI, the web UI and
// the bot runtime all call it.
type Service struct {
	tenants   hookline.TenantService
	webhooks  hookline.WebhookStore
	templates hookline.WebhookTemplateStore
	exec      *Executor
	// targets and sign: see UseDeliveryTargets; nil without the queue.
	targets DeliveryTargets
	sign    Signer
	// builtins are parsed and checked once, when the service is made.
	builtins []hookline.WebhookTemplate
}

var (
	_ hookline.WebhookService         = (*Service)(nil)
	_ hookline.WebhookTemplateService = (*Service)(nil)
)

// NewService returns the webhook service. It loads the built-in templates,
// so a broken one fails the start.
func NewService(tenants hookline.TenantService, webhooks hookline.WebhookStore, templates hookline.WebhookTemplateStore, exec *Executor) (*Service, error) {
	builtins, err := LoadBuiltinTemplates()
	if err != nil {
		return nil, err
	}
	return &Service{tenants: tenants, webhooks: webhooks, templates: templates, exec: exec, builtins: builtins}, nil
}

// Executor returns the executor the service runs webhooks with.
func (s *Service) Executor() *Executor { return s.exec }

// show is a stored webhook as every caller sees it: secrets masked, the
// context names its URL needs, empty lists as [].
func show(w *hookline.Webhook) *hookline.Webhook {
	out := w.Clone()
	out.WebhookDefinition = out.Masked().WithEmptyLists()
	names, err := ContextNames(out.WebhookDefinition)
	if err != nil || names == nil {
		// A stored URL always compiles; an empty list is the safe answer.
		names = []string{}
	}
	out.ContextNames = names
	return &out
}

// CreateWebhook creates a webhook from a definition, or from a template and
// the values of its blanks.
func (s *Service) CreateWebhook(ctx context.Context, c *hookline.Caller, in hookline.WebhookInput) (*hookline.Webhook, error) {
	company, err := s.tenants.ResolveCompany(ctx, c, in.CompanyID)
	if err != nil {
		return nil, err
	}
	w := &hookline.Webhook{CompanyID: company.ID}
	if in.TemplateID != nil {
		if set := setFields(&in.WebhookDefinition); len(set) > 0 {
			return nil, hookline.Invalid(set[0], "%s cannot be sent with template_id: the template defines the webhook; send name and values only, and change the webhook once it is created", set[0])
		}
		t, err := s.findTemplate(ctx, hookline.TenantScope(company), *in.TemplateID)
		if hookline.ErrorCode(err) == hookline.CodeNotFound {
			return nil, withField(err, "template_id")
		}
		if err != nil {
			return nil, err
		}
		if w.WebhookDefinition, err = fill(t, in.Values); err != nil {
			return nil, err
		}
		if strings.TrimSpace(in.Name) != "" {
			w.Name = in.Name
		}
		id := t.ID
		w.TemplateID = &id
		if err := checkNew(&w.WebhookDefinition); err != nil {
			return nil, blankField(err, t)
		}
	} else {
		if in.Values != nil {
			return nil, hookline.Invalid("values", "values fill the blanks of a template: send template_id with them")
		}
		w.WebhookDefinition = in.WebhookDefinition.Clone()
		if err := checkNew(&w.WebhookDefinition); err != nil {
			return nil, err
		}
	}
	if err := s.webhooks.CreateWebhook(ctx, c.Scope(), w); err != nil {
		return nil, err
	}
	return show(w), nil
}

// checkNew checks a definition that has no stored webhook behind it: a
// masked secret hides nothing there, so it is refused; then Check and the
// origin rule.
func checkNew(def *hookline.WebhookDefinition) error { return CheckSave(def, nil) }

// CheckSave checks a definition for saving as the Webhook Builder does:
// the secret policy against stored (nil: nothing is stored, so a masked
// secret is refused; else a masked or omitted one keeps the stored one),
// then Check, then the origin rule for kept secrets. Integrations, whose
// params, auth and headers are the Webhook Builder's, save through it too.
func CheckSave(def, stored *hookline.WebhookDefinition) error {
	kept, err := keepStoredSecrets(def, stored)
	if err != nil {
		return err
	}
	if err := Check(def); err != nil {
		return err
	}
	var before *Endpoint
	if stored != nil {
		b := endpointOf(stored)
		before = &b
	}
	return CheckCredentialOrigin(endpointOf(def), secretFields(def), before, kept)
}

// endpointOf is a definition as the origin rule sees it.
func endpointOf(def *hookline.WebhookDefinition) Endpoint {
	return Endpoint{URL: def.URL, ContextValues: def.ContextValues, Field: "url"}
}

// setFields lists the definition fields d sets besides its name, in the
// order of the JSON document.
func setFields(d *hookline.WebhookDefinition) []string {
	var out []string
	v := reflect.ValueOf(*d)
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name != "name" && !v.Field(i).IsZero() {
			out = append(out, name)
		}
	}
	return out
}

// withField returns err naming field, keeping its code and message.
func withField(err error, field string) error {
	return &hookline.Error{Code: hookline.ErrorCode(err), Message: hookline.ErrorMessage(err), Field: field, Err: err}
}

// FindWebhook returns a webhook the caller may see.
func (s *Service) FindWebhook(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Webhook, error) {
	w, err := s.webhooks.FindWebhook(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	out := show(w)
	return out, s.withTargetStates(ctx, out)
}

// FindWebhooks lists one page of the webhooks the caller sees.
func (s *Service) FindWebhooks(ctx context.Context, c *hookline.Caller, companyID int64, page hookline.PageRequest) (hookline.Page[*hookline.Webhook], error) {
	scope, err := s.tenants.CompanyScope(ctx, c, companyID)
	if err != nil {
		return hookline.Page[*hookline.Webhook]{}, err
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Webhook]{}, err
	}
	ws, err := s.webhooks.FindWebhooks(ctx, hookline.WebhookFilter{Scope: scope, After: after, Limit: limit + 1})
	if err != nil {
		return hookline.Page[*hookline.Webhook]{}, err
	}
	for i, w := range ws {
		ws[i] = show(w)
	}
	if err := s.withTargetStates(ctx, ws...); err != nil {
		return hookline.Page[*hookline.Webhook]{}, err
	}
	return hookline.PageOf(ws, limit, func(w *hookline.Webhook) int64 { return w.ID }), nil
}

// ReplaceWebhook replaces a webhook's definition. Its company and template
// link stay; a secret sent masked, or left out while the auth type stays,
// keeps the stored one; a changed origin needs the secrets sent again (see
// CheckCredentialOrigin).
func (s *Service) ReplaceWebhook(ctx context.Context, c *hookline.Caller, id int64, in hookline.WebhookInput) (*hookline.Webhook, error) {
	w, err := s.webhooks.UpdateWebhook(ctx, c.Scope(), id, func(stored *hookline.Webhook) (hookline.WebhookDefinition, error) {
		return replacement(stored, &in)
	})
	if err != nil {
		return nil, err
	}
	return show(w), nil
}

// PatchWebhook saves what apply makes of the webhook as FindWebhook shows
// it, as ReplaceWebhook does, in one transaction with the read.
func (s *Service) PatchWebhook(ctx context.Context, c *hookline.Caller, id int64, apply func(shown *hookline.Webhook) (hookline.WebhookInput, error)) (*hookline.Webhook, error) {
	w, err := s.webhooks.UpdateWebhook(ctx, c.Scope(), id, func(stored *hookline.Webhook) (hookline.WebhookDefinition, error) {
		in, err := apply(show(stored))
		if err != nil {
			return hookline.WebhookDefinition{}, err
		}
		return replacement(stored, &in)
	})
	if err != nil {
		return nil, err
	}
	return show(w), nil
}

// replacement is the definition in replaces stored's with, checked.
func replacement(stored *hookline.Webhook, in *hookline.WebhookInput) (hookline.WebhookDefinition, error) {
	switch {
	case in.CompanyID != nil && *in.CompanyID != stored.CompanyID:
		return hookline.WebhookDefinition{}, hookline.Invalid("company_id", "a webhook stays in its company (%d); create a new one in the other company instead", stored.CompanyID)
	case in.TemplateID != nil && (stored.TemplateID == nil || *in.TemplateID != *stored.TemplateID):
		return hookline.WebhookDefinition{}, hookline.Invalid("template_id", "a webhook's template is chosen when it is created: create a new webhook from the template instead")
	case in.Values != nil:
		return hookline.WebhookDefinition{}, hookline.Invalid("values", "values fill a template when a webhook is created; change the definition's fields instead")
	}
	def := in.WebhookDefinition.Clone()
	if err := CheckSave(&def, &stored.WebhookDefinition); err != nil {
		return hookline.WebhookDefinition{}, err
	}
	return def, nil
}

// DeleteWebhook deletes a webhook the caller may see.
func (s *Service) DeleteWebhook(ctx context.Context, c *hookline.Caller, id int64) error {
	if err := s.webhooks.DeleteWebhook(ctx, c.Scope(), id); err != nil {
		return err
	}
	return s.cancelDeliveries(ctx, id)
}

// RunWebhook runs a stored webhook against a Run webhook context.
func (s *Service) RunWebhook(ctx context.Context, c *hookline.Caller, id int64, runContext json.RawMessage) (*hookline.WebhookResult, error) {
	w, err := s.webhooks.FindWebhook(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	return s.runSigned(ctx, w, runContext)
}

// RunUnsavedWebhook runs a definition that is not stored, for a company the
// caller may act for. Errors about the definition name their field under
// "webhook.".
func (s *Service) RunUnsavedWebhook(ctx context.Context, c *hookline.Caller, in hookline.RunInput) (*hookline.WebhookResult, error) {
	if err := hookline.Required(hookline.Has("webhook", in.Webhook != nil)); err != nil {
		return nil, err
	}
	if _, err := s.tenants.ResolveCompany(ctx, c, in.CompanyID); err != nil {
		return nil, err
	}
	res, err := RunDefinition(ctx, s.exec, *in.Webhook, in.Context)
	if err != nil && hookline.ErrorField(err) != "context" {
		return nil, prefixField(err, "webhook.")
	}
	return res, err
}

// ContextNames lists the context values def's URL needs (see the
// package's ContextNames), never nil.
func (s *Service) ContextNames(def hookline.WebhookDefinition) ([]string, error) {
	names, err := ContextNames(def)
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// RunDefinition runs a definition that has no stored webhook behind it, as
// Run webhook and the CLI do: a masked secret hides nothing there, so it is
// refused.
func RunDefinition(ctx context.Context, exec *Executor, def hookline.WebhookDefinition, runContext json.RawMessage) (*hookline.WebhookResult, error) {
	def = def.Clone()
	if _, err := keepStoredSecrets(&def, nil); err != nil {
		return nil, err
	}
	return exec.RunContext(ctx, &def, runContext)
}

// prefixField returns err with its field placed under prefix, for errors
// about a definition nested in the request body.
func prefixField(err error, prefix string) error {
	code := hookline.ErrorCode(err)
	if code == hookline.CodeInternal {
		return err
	}
	field := hookline.ErrorField(err)
	if field != "" {
		field = prefix + field
	} else {
		field = strings.TrimSuffix(prefix, ".")
	}
	return &hookline.Error{Code: code, Message: hookline.ErrorMessage(err), Field: field, Err: err}
}

// findTemplate returns a built-in template (negative id) or a stored one
// that scope may read.
func (s *Service) findTemplate(ctx context.Context, scope hookline.Scope, id int64) (*hookline.WebhookTemplate, error) {
	if id < 0 {
		for i := range s.builtins {
			if s.builtins[i].ID == id {
				t := s.builtins[i].Clone()
				return &t, nil
			}
		}
		return nil, hookline.NotFound("webhook template", id)
	}
	return s.templates.FindWebhookTemplate(ctx, scope, id)
}
