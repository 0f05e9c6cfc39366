package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
)

func (s *Server) webhookAPI() resource {
	return resource{
		tag: "webhooks",
		routes: []route{
			{pattern: "POST /api/v1/webhooks", handle: s.createWebhook, doc: &operation{
				summary: "Create a webhook, from scratch or from a template",
				description: "Send a definition, or {\"template_id\", \"values\"} to fill a template's blanks (each missing value is named as values.<name>). " +
					"Every template in the definition is compiled: an error names the field (url, body, custom_variables[0].mapper...) with line and column. " +
					"Agency and admin keys name the company with company_id. Secrets are stored sealed and shown masked.",
				request: hookline.WebhookInput{}, status: http.StatusCreated, response: hookline.Webhook{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/webhooks", handle: s.listWebhooks, doc: &operation{
				summary: "List the webhooks the caller may see", description: "Ordered by id, one page at a time; secrets masked.",
				status: http.StatusOK, response: list{"webhooks", hookline.Webhook{}},
				query: append([]param{companyIDParam()}, pageParams()...), errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "POST /api/v1/webhooks/run", handle: s.runUnsavedWebhook, doc: &operation{
				summary: "Run an unsaved webhook definition (Run webhook)",
				description: "Renders the definition against the context, sends it through the guarded egress client and maps the response. " +
					"The answer is 200 whenever the webhook ran, even if its target failed: the failure is in error. Only an invalid definition or context is a 400.",
				request: hookline.RunInput{}, status: http.StatusOK, response: hookline.WebhookResult{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/webhooks/{id}", handle: s.getWebhook, doc: &operation{
				summary: "Get a webhook (secrets masked)", status: http.StatusOK, response: hookline.Webhook{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "PUT /api/v1/webhooks/{id}", handle: s.replaceWebhook, doc: &operation{
				summary: "Replace a webhook's definition",
				description: "A secret sent as the mask \"********\", or left out while the auth type stays, keeps the stored secret. " +
					"The company and the template link stay; company_id and template_id, if sent, must be the webhook's own. " +
					"Read-only fields of a fetched webhook (id, context_names, created_at, updated_at) are accepted and ignored.",
				request: hookline.WebhookInput{}, status: http.StatusOK, response: hookline.Webhook{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "PATCH /api/v1/webhooks/{id}", handle: s.patchWebhook, doc: &operation{
				summary:     "Change some fields of a webhook (JSON merge patch, RFC 7386)",
				description: "The patch is merged into the webhook as GET shows it, then saved as PUT does: null removes a field (back to its default), objects merge.",
				request:     mergePatch{}, status: http.StatusOK, response: hookline.Webhook{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "DELETE /api/v1/webhooks/{id}", handle: s.deleteWebhook, doc: &operation{
				summary: "Delete a webhook", status: http.StatusNoContent, errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/webhooks/{id}/run", handle: s.runWebhook, doc: &operation{
				summary:     "Run a saved webhook (Run webhook)",
				description: "As POST /api/v1/webhooks/run, with the stored definition. An empty body or context runs against sample conversation values.",
				request:     runRequest{}, optionalBody: true, status: http.StatusOK, response: hookline.WebhookResult{},
				errors: []int{http.StatusNotFound}}},
		},
	}
}

// runRequest is the body of POST /api/v1/webhooks/{id}/run.
type runRequest struct {
	Context json.RawMessage `json:"context" doc:"the template context: certainly.*, fb.*, conversation.*, context.session.BotUserSession.lastMessage.customData; absent or {}: sample values"`
}

// mergePatch documents a JSON merge patch (RFC 7386) of a Webhook.
type mergePatch map[string]any

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var in hookline.WebhookInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	wh, err := s.webhooks.CreateWebhook(r.Context(), caller, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID))
	writeJSON(w, http.StatusCreated, wh)
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return listByCompany(w, r, caller, "webhooks", s.webhooks.FindWebhooks)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	wh, err := s.webhooks.FindWebhook(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wh)
	return nil
}

func (s *Server) replaceWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	var in hookline.WebhookInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	wh, err := s.webhooks.ReplaceWebhook(r.Context(), caller, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wh)
	return nil
}

// patchWebhook merges a JSON merge patch (RFC 7386) into the webhook as GET
// shows it; the service saves the result as PUT does.
func (s *Server) patchWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	var patch map[string]any
	if err := s.decode(w, r, &patch, false); err != nil {
		return err
	}
	wh, err := s.webhooks.PatchWebhook(r.Context(), caller, id, func(shown *hookline.Webhook) (hookline.WebhookInput, error) {
		return applyMergePatch(shown, patch)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wh)
	return nil
}

// applyMergePatch merges patch into doc's JSON and reads the result as the
// body of a PUT, with the errors a PUT body gets.
func applyMergePatch(doc any, patch map[string]any) (hookline.WebhookInput, error) {
	var in hookline.WebhookInput
	shown, err := json.Marshal(doc)
	if err != nil {
		return in, fmt.Errorf("merge patch: %w", err)
	}
	var target map[string]any
	if err := json.Unmarshal(shown, &target); err != nil {
		return in, fmt.Errorf("merge patch: %w", err)
	}
	merged, err := json.Marshal(mergeInto(target, patch))
	if err != nil {
		return in, fmt.Errorf("merge patch: %w", err)
	}
	err = decodeFrom(&countingReader{r: bytes.NewReader(merged), what: "the merged definition"}, &in, false)
	return in, err
}

// mergeInto applies patch to target as RFC 7386 says: null removes a
// member, objects merge recursively, anything else replaces.
func mergeInto(target any, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergeInto(t[k], v)
	}
	return t
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	if err := s.webhooks.DeleteWebhook(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) runWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	var req runRequest
	if err := s.decode(w, r, &req, true); err != nil {
		return err
	}
	res, err := s.webhooks.RunWebhook(r.Context(), caller, id, req.Context)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) runUnsavedWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var in hookline.RunInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	res, err := s.webhooks.RunUnsavedWebhook(r.Context(), caller, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
