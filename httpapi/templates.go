package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

func (s *Server) templateAPI() resource {
	idSchema := map[string]map[string]any{"id": {"type": "integer", "format": "int64",
		"description": "a stored template's id (positive) or a built-in template's (negative)"}}
	return resource{
		tag:     "webhook-templates",
		schemas: templateSchemas(),
		routes: []route{
			{pattern: "GET /api/v1/webhook-templates", handle: s.listTemplates, doc: &operation{
				summary: "List the webhook templates the caller may use",
				description: "The built-in templates that ship with hookline (negative ids), the templates of the caller's agency and the caller's own; " +
					"an agency key sees its companies' templates too, the admin key all. With company_id: what that company may use.",
				status: http.StatusOK, response: "WebhookTemplateList",
				query: []param{companyIDParam()}, errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "POST /api/v1/webhook-templates", handle: s.createTemplate, doc: &operation{
				summary: "Create a webhook template, from scratch or from a webhook",
				description: "Owned by a company (company_id) or an agency (agency_id; agency and admin keys only), which offers it to all its companies. " +
					"Templates never hold secrets: from_webhook_id turns the webhook's secrets into secret blanks.",
				request: "CreateWebhookTemplate", status: http.StatusCreated, response: "WebhookTemplate",
				errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/webhook-templates/{id}", handle: s.getTemplate, doc: &operation{
				summary: "Get a webhook template", status: http.StatusOK, response: "WebhookTemplate",
				errors: []int{http.StatusNotFound}, pathSchemas: idSchema}},
			{pattern: "PUT /api/v1/webhook-templates/{id}", handle: s.replaceTemplate, doc: &operation{
				summary:     "Replace a webhook template",
				description: "Built-in templates are read-only (403); so is an agency's template for its companies (403).",
				request:     "WebhookTemplateInput", status: http.StatusOK, response: "WebhookTemplate",
				errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}, pathSchemas: idSchema}},
			{pattern: "DELETE /api/v1/webhook-templates/{id}", handle: s.deleteTemplate, doc: &operation{
				summary:     "Delete a webhook template",
				description: "Webhooks made from it stay, without the link. Built-in templates cannot be deleted (403).",
				status:      http.StatusNoContent,
				errors:      []int{http.StatusForbidden, http.StatusNotFound}, pathSchemas: idSchema}},
		},
	}
}

// templateJSON is a template as the API shows it: its owner is named as
// agency_id or company_id, like the fields that set it.
type templateJSON struct {
	ID          int64                    `json:"id"`
	Key         string                   `json:"key,omitempty"`
	Scope       hookline.TemplateScope   `json:"scope"`
	AgencyID    *int64                   `json:"agency_id,omitempty"`
	CompanyID   *int64                   `json:"company_id,omitempty"`
	Name        string                   `json:"name"`
	Description string                   `json:"description"`
	Category    string                   `json:"category"`
	Webhook     definitionJSON           `json:"webhook"`
	Blanks      []hookline.TemplateBlank `json:"blanks"`
	CreatedAt   *time.Time               `json:"created_at,omitempty"`
	UpdatedAt   *time.Time               `json:"updated_at,omitempty"`
}

func toTemplateJSON(t *hookline.WebhookTemplate) templateJSON {
	out := templateJSON{
		ID: t.ID, Key: t.Key, Scope: t.Scope, Name: t.Name, Description: t.Description, Category: t.Category,
		Webhook: toDefinitionJSON(&t.Webhook), Blanks: t.Blanks,
	}
	owner := t.OwnerID
	switch t.Scope {
	case hookline.TemplateAgency:
		out.AgencyID = &owner
	case hookline.TemplateCompany:
		out.CompanyID = &owner
	}
	if out.Blanks == nil {
		out.Blanks = []hookline.TemplateBlank{}
	}
	if !t.CreatedAt.IsZero() {
		created, updated := t.CreatedAt, t.UpdatedAt
		out.CreatedAt, out.UpdatedAt = &created, &updated
	}
	return out
}

// templateRequest is the body of POST and PUT, plus the read-only fields of
// a fetched template, accepted and ignored.
type templateRequest struct {
	Name          *string                  `json:"name"`
	Description   string                   `json:"description"`
	Category      string                   `json:"category"`
	Webhook       *definitionJSON          `json:"webhook"`
	Blanks        []hookline.TemplateBlank `json:"blanks"`
	FromWebhookID *int64                   `json:"from_webhook_id"`
	CompanyID     *int64                   `json:"company_id"`
	AgencyID      *int64                   `json:"agency_id"`

	ID        json.RawMessage `json:"id"`
	Key       json.RawMessage `json:"key"`
	Scope     json.RawMessage `json:"scope"`
	CreatedAt json.RawMessage `json:"created_at"`
	UpdatedAt json.RawMessage `json:"updated_at"`
}

// templateID parses the path's template id: stored templates have positive
// ids, built-in ones negative ids.
func templateID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id == 0 {
		return 0, hookline.NotFound("webhook template", strconv.Quote(raw))
	}
	return id, nil
}

func builtinReadOnly(id int64) error {
	return hookline.Errorf(hookline.CodeForbidden, "webhook template %d is built in and read-only; create your own with POST /api/v1/webhook-templates (copy its webhook and blanks)", id)
}

// resolveOwner picks the owner of a new template from company_id or
// agency_id: a company key owns its templates; an agency key names one of
// its companies or, by default, its agency; the admin key must name one.
func (s *Server) resolveOwner(ctx context.Context, caller *hookline.Caller, companyID, agencyID *int64) (*hookline.Tenant, error) {
	switch {
	case companyID != nil && agencyID != nil:
		return nil, hookline.Invalid("agency_id", "send company_id or agency_id, not both: a template has one owner")
	case companyID != nil:
		return s.resolveCompany(ctx, caller, companyID)
	case agencyID == nil && caller.IsAdmin():
		return nil, hookline.Invalid("company_id", "missing required field: name the owner with company_id or agency_id")
	case agencyID == nil:
		return caller.Tenant, nil
	case !caller.IsAdmin() && caller.Tenant.Kind == hookline.KindCompany:
		return nil, hookline.Errorf(hookline.CodeForbidden, "a company key creates templates for its own company only; leave agency_id out")
	}
	agency, err := s.tenants.FindTenant(ctx, caller.Scope(), *agencyID)
	if hookline.ErrorCode(err) == hookline.CodeNotFound || (err == nil && agency.Kind != hookline.KindAgency) {
		e := hookline.NotFound("agency", *agencyID)
		e.Field = "agency_id"
		return nil, e
	}
	return agency, err
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var req templateRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	ctx := r.Context()
	owner, err := s.resolveOwner(ctx, caller, req.CompanyID, req.AgencyID)
	if err != nil {
		return err
	}
	var t hookline.WebhookTemplate
	if req.FromWebhookID != nil {
		switch {
		case req.Webhook != nil:
			return hookline.Invalid("webhook", "send webhook or from_webhook_id, not both")
		case req.Blanks != nil:
			return hookline.Invalid("blanks", "a template made from a webhook gets its blanks from it; change them afterwards with PUT")
		}
		wh, err := s.webhooks.FindWebhook(ctx, caller.Scope(), *req.FromWebhookID)
		if err != nil {
			return withField(err, "from_webhook_id")
		}
		t = s.engine.TemplateFromWebhook(wh)
		if req.Name != nil {
			t.Name = *req.Name
		}
		if req.Description != "" {
			t.Description = req.Description
		}
		t.Category = req.Category
	} else {
		if err := requireFields(required("name", req.Name != nil), required("webhook", req.Webhook != nil)); err != nil {
			return err
		}
		t = req.template()
	}
	t.OwnerID, t.Scope = owner.ID, hookline.TemplateCompany
	if owner.Kind == hookline.KindAgency {
		t.Scope = hookline.TemplateAgency
	}
	if err := s.saveTemplate(ctx, caller, &t, true); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/webhook-templates/%d", t.ID))
	writeJSON(w, http.StatusCreated, toTemplateJSON(&t))
	return nil
}

func (req *templateRequest) template() hookline.WebhookTemplate {
	t := hookline.WebhookTemplate{Name: *req.Name, Description: req.Description, Category: req.Category, Blanks: req.Blanks}
	t.Webhook = req.Webhook.webhook()
	if strings.TrimSpace(t.Webhook.Name) == "" {
		t.Webhook.Name = strings.TrimSpace(t.Name)
	}
	return t
}

// saveTemplate checks t with the engine (every template compiled with its
// blanks filled by samples) and stores it.
func (s *Server) saveTemplate(ctx context.Context, caller *hookline.Caller, t *hookline.WebhookTemplate, create bool) error {
	if err := s.engine.CheckTemplate(t); err != nil {
		return err
	}
	var err error
	if create {
		err = s.templates.CreateWebhookTemplate(ctx, caller.Scope(), t)
	} else {
		err = s.templates.UpdateWebhookTemplate(ctx, caller.Scope(), t)
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

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	scope, err := s.listScope(r, caller)
	if err != nil {
		return err
	}
	builtins, err := s.engine.BuiltinTemplates()
	if err != nil {
		return err
	}
	stored, err := s.templates.FindWebhookTemplates(r.Context(), hookline.WebhookTemplateFilter{Scope: scope})
	if err != nil {
		return err
	}
	out := make([]templateJSON, 0, len(builtins)+len(stored))
	for i := range builtins {
		out = append(out, toTemplateJSON(&builtins[i]))
	}
	for _, t := range stored {
		out = append(out, toTemplateJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": out})
	return nil
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := templateID(r)
	if err != nil {
		return err
	}
	t, err := s.findTemplate(r.Context(), caller.Scope(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTemplateJSON(t))
	return nil
}

func (s *Server) replaceTemplate(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := templateID(r)
	if err != nil {
		return err
	}
	var req templateRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	if id < 0 {
		if _, err := s.engine.BuiltinTemplate(id); err != nil {
			return err
		}
		return builtinReadOnly(id)
	}
	stored, err := s.templates.FindWebhookTemplate(r.Context(), caller.Scope(), id)
	if err != nil {
		return err
	}
	owner := stored.OwnerID
	if !caller.IsAdmin() && caller.Tenant.Kind == hookline.KindCompany && owner != caller.Tenant.ID {
		return hookline.Errorf(hookline.CodeForbidden, "webhook template %d belongs to agency %d: only the agency can change or delete it", id, owner)
	}
	switch {
	case req.FromWebhookID != nil:
		return hookline.Invalid("from_webhook_id", "from_webhook_id makes a new template; send the webhook and blanks to replace this one")
	case req.CompanyID != nil && (stored.Scope != hookline.TemplateCompany || *req.CompanyID != owner),
		req.AgencyID != nil && (stored.Scope != hookline.TemplateAgency || *req.AgencyID != owner):
		field := "company_id"
		if req.AgencyID != nil {
			field = "agency_id"
		}
		return hookline.Invalid(field, "a template keeps its owner; create a new one for another owner instead")
	}
	if err := requireFields(required("name", req.Name != nil), required("webhook", req.Webhook != nil)); err != nil {
		return err
	}
	t := req.template()
	t.ID, t.OwnerID, t.Scope = id, stored.OwnerID, stored.Scope
	if err := s.saveTemplate(r.Context(), caller, &t, false); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTemplateJSON(&t))
	return nil
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := templateID(r)
	if err != nil {
		return err
	}
	if id < 0 {
		if _, err := s.engine.BuiltinTemplate(id); err != nil {
			return err
		}
		return builtinReadOnly(id)
	}
	if err := s.templates.DeleteWebhookTemplate(r.Context(), caller.Scope(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
