package webhook

import (
	"context"
	"strings"

	"github.com/hookline/hookline"
)

// The templates marketplace's use cases (seed 002): built-in templates
// (negative ids, read-only) and the templates of agencies and companies.

// CreateTemplate creates a template owned by a company (company_id) or an
// agency (agency_id), from scratch or from a webhook whose secrets become
// blanks.
func (s *Service) CreateTemplate(ctx context.Context, c *hookline.Caller, in hookline.WebhookTemplateInput) (*hookline.WebhookTemplate, error) {
	owner, err := s.resolveOwner(ctx, c, in.CompanyID, in.AgencyID)
	if err != nil {
		return nil, err
	}
	var t hookline.WebhookTemplate
	if in.FromWebhookID != nil {
		switch {
		case in.Webhook != nil:
			return nil, hookline.Invalid("webhook", "send webhook or from_webhook_id, not both")
		case in.Blanks != nil:
			return nil, hookline.Invalid("blanks", "a template made from a webhook gets its blanks from it; change them afterwards with PUT")
		}
		wh, err := s.webhooks.FindWebhook(ctx, c.Scope(), *in.FromWebhookID)
		if err != nil {
			return nil, withField(err, "from_webhook_id")
		}
		t = TemplateFromWebhook(wh.WebhookDefinition)
		if in.Name != nil {
			t.Name = *in.Name
		}
		if in.Description != "" {
			t.Description = in.Description
		}
		t.Category = in.Category
	} else {
		if err := requireTemplate(&in); err != nil {
			return nil, err
		}
		t = templateOf(&in)
	}
	t.OwnerID, t.Scope = owner.ID, hookline.TemplateCompany
	if owner.Kind == hookline.KindAgency {
		t.Scope = hookline.TemplateAgency
	}
	if err := s.saveTemplate(ctx, c, &t, true); err != nil {
		return nil, err
	}
	return &t, nil
}

// requireTemplate names every field a template written from scratch lacks.
func requireTemplate(in *hookline.WebhookTemplateInput) error {
	return hookline.Required(hookline.Has("name", in.Name != nil), hookline.Has("webhook", in.Webhook != nil))
}

// templateOf is the template in describes; the definition's name defaults
// to the template's.
func templateOf(in *hookline.WebhookTemplateInput) hookline.WebhookTemplate {
	t := hookline.WebhookTemplate{Name: *in.Name, Description: in.Description, Category: in.Category, Blanks: in.Blanks}
	t.Webhook = in.Webhook.Clone()
	if strings.TrimSpace(t.Webhook.Name) == "" {
		t.Webhook.Name = strings.TrimSpace(t.Name)
	}
	return t
}

// resolveOwner picks the owner of a new template from company_id or
// agency_id: a company key owns its templates; an agency key names one of
// its companies or, by default, its agency; the admin key must name one.
func (s *Service) resolveOwner(ctx context.Context, c *hookline.Caller, companyID, agencyID *int64) (*hookline.Tenant, error) {
	switch {
	case companyID != nil && agencyID != nil:
		return nil, hookline.Invalid("agency_id", "send company_id or agency_id, not both: a template has one owner")
	case companyID != nil:
		return s.tenants.ResolveCompany(ctx, c, companyID)
	case agencyID == nil && c.IsAdmin():
		return nil, hookline.Invalid("company_id", "missing required field: name the owner with company_id or agency_id")
	case agencyID == nil:
		return c.Tenant, nil
	case !c.IsAdmin() && c.Tenant.Kind == hookline.KindCompany:
		return nil, hookline.Errorf(hookline.CodeForbidden, "a company key creates templates for its own company only; leave agency_id out")
	}
	agency, err := s.tenants.FindTenant(ctx, c, *agencyID)
	if hookline.ErrorCode(err) == hookline.CodeNotFound || (err == nil && agency.Kind != hookline.KindAgency) {
		e := hookline.NotFound("agency", *agencyID)
		e.Field = "agency_id"
		return nil, e
	}
	return agency, err
}

// saveTemplate checks t once (every template compiled with its blanks
// filled by samples, no secrets) and stores it.
func (s *Service) saveTemplate(ctx context.Context, c *hookline.Caller, t *hookline.WebhookTemplate, create bool) error {
	if err := refuseTemplateSecrets(&t.Webhook); err != nil {
		return err
	}
	if err := CheckTemplate(t); err != nil {
		return err
	}
	var err error
	if create {
		err = s.templates.CreateWebhookTemplate(ctx, c.Scope(), t)
	} else {
		err = s.templates.UpdateWebhookTemplate(ctx, c.Scope(), t)
	}
	if hookline.ErrorField(err) == "owner_id" {
		field := "company_id"
		if t.Scope == hookline.TemplateAgency {
			field = "agency_id"
		}
		return withField(err, field)
	}
	return err
}

// FindTemplate returns a built-in template or a stored one the caller may
// read.
func (s *Service) FindTemplate(ctx context.Context, c *hookline.Caller, id int64) (*hookline.WebhookTemplate, error) {
	return s.findTemplate(ctx, c.Scope(), id)
}

// FindTemplates lists the built-in templates (-1, -2, ...), then the
// stored ones by id, one page at a time.
func (s *Service) FindTemplates(ctx context.Context, c *hookline.Caller, companyID int64, page hookline.PageRequest) (hookline.Page[*hookline.WebhookTemplate], error) {
	var none hookline.Page[*hookline.WebhookTemplate]
	scope, err := s.tenants.CompanyScope(ctx, c, companyID)
	if err != nil {
		return none, err
	}
	after, hasAfter, limit, err := page.Bounds()
	if err != nil {
		return none, err
	}
	var out []*hookline.WebhookTemplate
	if !hasAfter || after < 0 {
		// Built-ins come first, in their order; a cursor at one of them
		// goes on after it.
		passed := !hasAfter
		for i := range s.builtins {
			if passed && len(out) <= limit {
				t := s.builtins[i].Clone()
				out = append(out, &t)
			}
			passed = passed || s.builtins[i].ID == after
		}
		if !passed {
			return none, hookline.Invalid("cursor", "is not a cursor of this list; pass next_cursor from the previous page as it is")
		}
		after = 0
	}
	if len(out) <= limit {
		stored, err := s.templates.FindWebhookTemplates(ctx, hookline.WebhookTemplateFilter{Scope: scope, After: after, Limit: limit + 1 - len(out)})
		if err != nil {
			return none, err
		}
		out = append(out, stored...)
	}
	return hookline.PageOf(out, limit, func(t *hookline.WebhookTemplate) int64 { return t.ID }), nil
}

// ReplaceTemplate replaces a stored template. Built-in templates are
// read-only; so is an agency's template for its companies.
func (s *Service) ReplaceTemplate(ctx context.Context, c *hookline.Caller, id int64, in hookline.WebhookTemplateInput) (*hookline.WebhookTemplate, error) {
	stored, err := s.writableTemplate(ctx, c, id)
	if err != nil {
		return nil, err
	}
	owner := stored.OwnerID
	switch {
	case in.FromWebhookID != nil:
		return nil, hookline.Invalid("from_webhook_id", "from_webhook_id makes a new template; send the webhook and blanks to replace this one")
	case in.CompanyID != nil && (stored.Scope != hookline.TemplateCompany || *in.CompanyID != owner),
		in.AgencyID != nil && (stored.Scope != hookline.TemplateAgency || *in.AgencyID != owner):
		field := "company_id"
		if in.AgencyID != nil {
			field = "agency_id"
		}
		return nil, hookline.Invalid(field, "a template keeps its owner; create a new one for another owner instead")
	}
	if err := requireTemplate(&in); err != nil {
		return nil, err
	}
	t := templateOf(&in)
	t.ID, t.OwnerID, t.Scope = id, stored.OwnerID, stored.Scope
	if err := s.saveTemplate(ctx, c, &t, false); err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteTemplate deletes a stored template; webhooks made from it stay,
// without the link.
func (s *Service) DeleteTemplate(ctx context.Context, c *hookline.Caller, id int64) error {
	if _, err := s.writableTemplate(ctx, c, id); err != nil {
		return err
	}
	return s.templates.DeleteWebhookTemplate(ctx, c.Scope(), id)
}

// writableTemplate returns template id when the caller may change it.
func (s *Service) writableTemplate(ctx context.Context, c *hookline.Caller, id int64) (*hookline.WebhookTemplate, error) {
	t, err := s.findTemplate(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	if t.IsBuiltin() {
		return nil, hookline.Errorf(hookline.CodeForbidden, "webhook template %d is built in and read-only; create your own with POST /api/v1/webhook-templates (copy its webhook and blanks)", id)
	}
	if !c.IsAdmin() && c.Tenant.Kind == hookline.KindCompany && t.OwnerID != c.Tenant.ID {
		return nil, hookline.Errorf(hookline.CodeForbidden, "webhook template %d belongs to agency %d: only the agency can change or delete it", id, t.OwnerID)
	}
	return t, nil
}
