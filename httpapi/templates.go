package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/hookline/hookline"
)

func (s *Server) templateAPI() resource {
	idSchema := map[string]map[string]any{"id": {"type": "integer", "format": "int64",
		"description": "a stored template's id (positive) or a built-in template's (negative)"}}
	return resource{
		tag: "webhook-templates",
		routes: []route{
			{pattern: "GET /api/v1/webhook-templates", handle: s.listTemplates, doc: &operation{
				summary: "List the webhook templates the caller may use",
				description: "The built-in templates that ship with hookline (negative ids, first), then the templates of the caller's agency and the caller's own by id; " +
					"an agency key sees its companies' templates too, the admin key all. With company_id: what that company may use.",
				status: http.StatusOK, response: list{"templates", hookline.WebhookTemplate{}},
				query: append([]param{companyIDParam()}, pageParams()...), errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "POST /api/v1/webhook-templates", handle: s.createTemplate, doc: &operation{
				summary: "Create a webhook template, from scratch or from a webhook",
				description: "Owned by a company (company_id) or an agency (agency_id; agency and admin keys only), which offers it to all its companies. " +
					"Templates never hold secrets: from_webhook_id turns the webhook's secrets into secret blanks.",
				request: hookline.WebhookTemplateInput{}, status: http.StatusCreated, response: hookline.WebhookTemplate{},
				errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/webhook-templates/{id}", handle: s.getTemplate, doc: &operation{
				summary: "Get a webhook template", status: http.StatusOK, response: hookline.WebhookTemplate{},
				errors: []int{http.StatusNotFound}, pathSchemas: idSchema}},
			{pattern: "PUT /api/v1/webhook-templates/{id}", handle: s.replaceTemplate, doc: &operation{
				summary:     "Replace a webhook template",
				description: "Built-in templates are read-only (403); so is an agency's template for its companies (403).",
				request:     hookline.WebhookTemplateInput{}, status: http.StatusOK, response: hookline.WebhookTemplate{},
				errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}, pathSchemas: idSchema}},
			{pattern: "DELETE /api/v1/webhook-templates/{id}", handle: s.deleteTemplate, doc: &operation{
				summary:     "Delete a webhook template",
				description: "Webhooks made from it stay, without the link. Built-in templates cannot be deleted (403).",
				status:      http.StatusNoContent,
				errors:      []int{http.StatusForbidden, http.StatusNotFound}, pathSchemas: idSchema}},
		},
	}
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

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var in hookline.WebhookTemplateInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	t, err := s.templates.CreateTemplate(r.Context(), caller, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/webhook-templates/%d", t.ID))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return listByCompany(w, r, caller, "templates", s.templates.FindTemplates)
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := templateID(r)
	if err != nil {
		return err
	}
	t, err := s.templates.FindTemplate(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) replaceTemplate(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := templateID(r)
	if err != nil {
		return err
	}
	var in hookline.WebhookTemplateInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	t, err := s.templates.ReplaceTemplate(r.Context(), caller, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := templateID(r)
	if err != nil {
		return err
	}
	if err := s.templates.DeleteTemplate(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
