package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// unsavedWebhookName names a definition run without being saved, when it
// has no name of its own.
const unsavedWebhookName = "unsaved webhook"

func (s *Server) webhookAPI() resource {
	return resource{
		tag:     "webhooks",
		schemas: webhookSchemas(),
		routes: []route{
			{pattern: "POST /api/v1/webhooks", handle: s.createWebhook, doc: &operation{
				summary: "Create a webhook, from scratch or from a template",
				description: "Send a definition, or {\"template_id\", \"values\"} to fill a template's blanks (each missing value is named as values.<name>). " +
					"Every template in the definition is compiled: an error names the field (url, body, custom_variables[0].mapper...) with line and column. " +
					"Agency and admin keys name the company with company_id. Secrets are stored sealed and shown masked.",
				request: "CreateWebhook", status: http.StatusCreated, response: "Webhook",
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/webhooks", handle: s.listWebhooks, doc: &operation{
				summary: "List the webhooks the caller may see", status: http.StatusOK, response: "WebhookList",
				query: []param{companyIDParam()}, errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "POST /api/v1/webhooks/run", handle: s.runUnsavedWebhook, doc: &operation{
				summary: "Run an unsaved webhook definition (Run webhook)",
				description: "Renders the definition against the context, sends it through the guarded egress client and maps the response. " +
					"The answer is 200 whenever the webhook ran, even if its target failed: the failure is in error. Only an invalid definition or context is a 400.",
				request: "RunUnsavedWebhook", status: http.StatusOK, response: "WebhookResult",
				errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/webhooks/{id}", handle: s.getWebhook, doc: &operation{
				summary: "Get a webhook (secrets masked)", status: http.StatusOK, response: "Webhook",
				errors: []int{http.StatusNotFound}}},
			{pattern: "PUT /api/v1/webhooks/{id}", handle: s.replaceWebhook, doc: &operation{
				summary: "Replace a webhook's definition",
				description: "A secret sent as the mask \"********\", or left out while the auth type stays, keeps the stored secret. " +
					"The company and the template link stay; company_id and template_id, if sent, must be the webhook's own. " +
					"Read-only fields of a fetched webhook (id, context_names, created_at, updated_at) are accepted and ignored.",
				request: "WebhookDefinition", status: http.StatusOK, response: "Webhook",
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "PATCH /api/v1/webhooks/{id}", handle: s.patchWebhook, doc: &operation{
				summary:     "Change some fields of a webhook (JSON merge patch, RFC 7386)",
				description: "The patch is merged into the webhook as GET shows it, then saved as PUT does: null removes a field (back to its default), objects merge.",
				request:     "WebhookPatch", status: http.StatusOK, response: "Webhook",
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "DELETE /api/v1/webhooks/{id}", handle: s.deleteWebhook, doc: &operation{
				summary: "Delete a webhook", status: http.StatusNoContent, errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/webhooks/{id}/run", handle: s.runWebhook, doc: &operation{
				summary:     "Run a saved webhook (Run webhook)",
				description: "As POST /api/v1/webhooks/run, with the stored definition. An empty body or context runs against sample conversation values.",
				request:     "RunWebhook", optionalBody: true, status: http.StatusOK, response: "WebhookResult",
				errors: []int{http.StatusNotFound}}},
		},
	}
}

// definitionJSON is a webhook definition as the API reads and shows it.
type definitionJSON struct {
	Name               string                    `json:"name"`
	Method             string                    `json:"method"`
	URL                string                    `json:"url"`
	ResponseType       hookline.ResponseType     `json:"response_type"`
	Execution          hookline.Execution        `json:"execution"`
	TimeoutMS          int                       `json:"timeout_ms"`
	Auth               hookline.Auth             `json:"auth"`
	Headers            []hookline.KeyValue       `json:"headers"`
	Params             []hookline.KeyValue       `json:"params"`
	ContextValues      map[string]string         `json:"context_values"`
	Body               string                    `json:"body"`
	CustomVariables    []hookline.CustomVariable `json:"custom_variables"`
	RetryNonIdempotent bool                      `json:"retry_non_idempotent"`
}

func (d *definitionJSON) webhook() hookline.Webhook {
	return hookline.Webhook{
		Name: d.Name, Method: d.Method, URL: d.URL, ResponseType: d.ResponseType, Execution: d.Execution,
		TimeoutMS: d.TimeoutMS, Auth: d.Auth, Headers: d.Headers, Params: d.Params, ContextValues: d.ContextValues,
		Body: d.Body, CustomVariables: d.CustomVariables, RetryNonIdempotent: d.RetryNonIdempotent,
	}
}

// toDefinitionJSON shows w's definition with its secrets masked and empty
// lists as [] rather than null.
func toDefinitionJSON(w *hookline.Webhook) definitionJSON {
	m := w.Masked()
	d := definitionJSON{
		Name: m.Name, Method: m.Method, URL: m.URL, ResponseType: m.ResponseType, Execution: m.Execution,
		TimeoutMS: m.TimeoutMS, Auth: m.Auth, Headers: m.Headers, Params: m.Params, ContextValues: m.ContextValues,
		Body: m.Body, CustomVariables: m.CustomVariables, RetryNonIdempotent: m.RetryNonIdempotent,
	}
	if d.Headers == nil {
		d.Headers = []hookline.KeyValue{}
	}
	if d.Params == nil {
		d.Params = []hookline.KeyValue{}
	}
	if d.ContextValues == nil {
		d.ContextValues = map[string]string{}
	}
	if d.CustomVariables == nil {
		d.CustomVariables = []hookline.CustomVariable{}
	}
	return d
}

// setFields lists the definition fields d sets besides its name, in the
// order of the JSON document.
func (d *definitionJSON) setFields() []string {
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

// webhookJSON is a stored webhook as the API shows it.
type webhookJSON struct {
	ID         int64  `json:"id"`
	CompanyID  int64  `json:"company_id"`
	TemplateID *int64 `json:"template_id,omitempty"`
	definitionJSON
	// ContextNames lists the {{names}} the URL needs from context_values.
	ContextNames []string  `json:"context_names"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (s *Server) toWebhookJSON(w *hookline.Webhook) webhookJSON {
	names, err := s.engine.ContextNames(w)
	if err != nil || names == nil {
		// A stored URL always compiles; an empty list is the safe answer.
		names = []string{}
	}
	return webhookJSON{
		ID: w.ID, CompanyID: w.CompanyID, TemplateID: w.TemplateID, definitionJSON: toDefinitionJSON(w),
		ContextNames: names, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
}

// webhookRequest is the body of POST and PUT: a definition, or a template
// to fill; plus the read-only fields of a fetched webhook, accepted so that
// a GET's answer can be edited and sent back.
type webhookRequest struct {
	definitionJSON
	CompanyID  *int64            `json:"company_id"`
	TemplateID *int64            `json:"template_id"`
	Values     map[string]string `json:"values"`

	ID           json.RawMessage `json:"id"`
	ContextNames json.RawMessage `json:"context_names"`
	CreatedAt    json.RawMessage `json:"created_at"`
	UpdatedAt    json.RawMessage `json:"updated_at"`
}

// unembedded names a field of the definition embedded in webhookRequest as
// the client wrote it: encoding/json prefixes it with the Go type's name.
func unembedded(err error) error {
	const prefix = "definitionJSON."
	field := hookline.ErrorField(err)
	if !strings.HasPrefix(field, prefix) {
		return err
	}
	return &hookline.Error{Code: hookline.ErrorCode(err), Field: strings.TrimPrefix(field, prefix),
		Message: strings.ReplaceAll(hookline.ErrorMessage(err), prefix, ""), Err: err}
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var req webhookRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return unembedded(err)
	}
	ctx := r.Context()
	company, err := s.resolveCompany(ctx, caller, req.CompanyID)
	if err != nil {
		return err
	}
	var wh hookline.Webhook
	if req.TemplateID != nil {
		if set := req.setFields(); len(set) > 0 {
			return hookline.Invalid(set[0], "%s cannot be sent with template_id: the template defines the webhook; send name and values only, and change the webhook once it is created", set[0])
		}
		t, err := s.findTemplate(ctx, hookline.TenantScope(company), *req.TemplateID)
		if hookline.ErrorCode(err) == hookline.CodeNotFound {
			return withField(err, "template_id")
		}
		if err != nil {
			return err
		}
		if wh, err = s.engine.FillTemplate(t, req.Values); err != nil {
			return blankField(err, t)
		}
		if strings.TrimSpace(req.Name) != "" {
			wh.Name = req.Name
		}
	} else {
		if req.Values != nil {
			return hookline.Invalid("values", "values fill the blanks of a template: send template_id with them")
		}
		wh = req.webhook()
	}
	wh.CompanyID = company.ID
	if err := s.engine.CheckWebhook(&wh); err != nil {
		return err
	}
	if err := s.webhooks.CreateWebhook(ctx, caller.Scope(), &wh); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID))
	writeJSON(w, http.StatusCreated, s.toWebhookJSON(&wh))
	return nil
}

// blankField names the value the user gave when a filled template fails
// on a field a blank filled: values.<blank> rather than the webhook's field.
func blankField(err error, t *hookline.WebhookTemplate) error {
	field := hookline.ErrorField(err)
	for _, b := range t.Blanks {
		if field != "" && field == b.Target {
			return withField(err, "values."+b.Name)
		}
	}
	return err
}

// withField returns err naming field, keeping its code and message.
func withField(err error, field string) error {
	return &hookline.Error{Code: hookline.ErrorCode(err), Message: hookline.ErrorMessage(err), Field: field, Err: err}
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	scope, err := s.listScope(r, caller)
	if err != nil {
		return err
	}
	ws, err := s.webhooks.FindWebhooks(r.Context(), hookline.WebhookFilter{Scope: scope})
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(ws))
	for i, wh := range ws {
		out[i] = s.toWebhookJSON(wh)
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	wh, err := s.webhooks.FindWebhook(r.Context(), caller.Scope(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toWebhookJSON(wh))
	return nil
}

func (s *Server) replaceWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return unembedded(err)
	}
	// Look the webhook up before validating the body, so that a webhook
	// outside the scope is a 404 whatever the body says.
	stored, err := s.webhooks.FindWebhook(r.Context(), caller.Scope(), id)
	if err != nil {
		return err
	}
	return s.saveWebhook(w, r, caller, stored, &req)
}

// saveWebhook replaces stored's definition with req's, as PUT and PATCH do.
func (s *Server) saveWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller, stored *hookline.Webhook, req *webhookRequest) error {
	switch {
	case req.CompanyID != nil && *req.CompanyID != stored.CompanyID:
		return hookline.Invalid("company_id", "a webhook stays in its company (%d); create a new one in the other company instead", stored.CompanyID)
	case req.TemplateID != nil && (stored.TemplateID == nil || *req.TemplateID != *stored.TemplateID):
		return hookline.Invalid("template_id", "a webhook's template is chosen when it is created: create a new webhook from the template instead")
	case req.Values != nil:
		return hookline.Invalid("values", "values fill a template when a webhook is created; change the definition's fields instead")
	}
	wh := req.webhook()
	wh.ID, wh.CompanyID, wh.TemplateID = stored.ID, stored.CompanyID, stored.TemplateID
	keepOmittedSecrets(&wh.Auth, stored.Auth)
	if err := wh.KeepSecrets(stored); err != nil {
		return err
	}
	if err := s.engine.CheckWebhook(&wh); err != nil {
		return err
	}
	if err := s.webhooks.UpdateWebhook(r.Context(), caller.Scope(), &wh); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toWebhookJSON(&wh))
	return nil
}

// keepOmittedSecrets treats a secret left empty, while the auth type stays
// what is stored, as the mask: the stored secret is kept.
func keepOmittedSecrets(a *hookline.Auth, stored hookline.Auth) {
	if hookline.AuthType(strings.ToLower(strings.TrimSpace(string(a.Type)))) != stored.Type {
		return
	}
	for _, f := range []struct{ in, saved *string }{{&a.Password, &stored.Password}, {&a.Token, &stored.Token}, {&a.Value, &stored.Value}} {
		if *f.in == "" && *f.saved != "" {
			*f.in = hookline.SecretMask
		}
	}
}

// patchWebhook merges a JSON merge patch (RFC 7386) into the webhook as GET
// shows it and saves the result as PUT does.
func (s *Server) patchWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	var patch map[string]any
	if err := s.decode(w, r, &patch, false); err != nil {
		return err
	}
	stored, err := s.webhooks.FindWebhook(r.Context(), caller.Scope(), id)
	if err != nil {
		return err
	}
	shown, err := json.Marshal(s.toWebhookJSON(stored))
	if err != nil {
		return fmt.Errorf("patch webhook %d: %w", id, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(shown, &doc); err != nil {
		return fmt.Errorf("patch webhook %d: %w", id, err)
	}
	merged, err := json.Marshal(mergePatch(doc, patch))
	if err != nil {
		return fmt.Errorf("patch webhook %d: %w", id, err)
	}
	var req webhookRequest
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return unembedded(decodeError(err, &countingReader{r: bytes.NewReader(merged), what: "the merged definition"}))
	}
	return s.saveWebhook(w, r, caller, stored, &req)
}

// mergePatch applies patch to target as RFC 7386 says: null removes a
// member, objects merge recursively, anything else replaces.
func mergePatch(target any, patch any) any {
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
		t[k] = mergePatch(t[k], v)
	}
	return t
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	if err := s.webhooks.DeleteWebhook(r.Context(), caller.Scope(), id); err != nil {
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
	var req struct {
		Context json.RawMessage `json:"context"`
	}
	if err := s.decode(w, r, &req, true); err != nil {
		return err
	}
	wh, err := s.webhooks.FindWebhook(r.Context(), caller.Scope(), id)
	if err != nil {
		return err
	}
	res, err := s.engine.RunWebhook(r.Context(), wh, req.Context)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) runUnsavedWebhook(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var req struct {
		Webhook   *definitionJSON `json:"webhook"`
		CompanyID *int64          `json:"company_id"`
		Context   json.RawMessage `json:"context"`
	}
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	if err := requireFields(required("webhook", req.Webhook != nil)); err != nil {
		return err
	}
	company, err := s.resolveCompany(r.Context(), caller, req.CompanyID)
	if err != nil {
		return err
	}
	wh := req.Webhook.webhook()
	wh.CompanyID = company.ID
	if strings.TrimSpace(wh.Name) == "" {
		wh.Name = unsavedWebhookName
	}
	// Nothing is stored behind a mask here: the secret must be sent.
	if err := wh.KeepSecrets(&hookline.Webhook{}); err != nil {
		return prefixField(err, "webhook.")
	}
	res, err := s.engine.RunWebhook(r.Context(), &wh, req.Context)
	if err != nil {
		if hookline.ErrorField(err) == "context" {
			return err
		}
		return prefixField(err, "webhook.")
	}
	writeJSON(w, http.StatusOK, res)
	return nil
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
func (s *Server) findTemplate(ctx context.Context, scope hookline.Scope, id int64) (*hookline.WebhookTemplate, error) {
	if id < 0 {
		return s.engine.BuiltinTemplate(id)
	}
	return s.templates.FindWebhookTemplate(ctx, scope, id)
}
