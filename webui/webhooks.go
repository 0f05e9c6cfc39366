package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// webhookSection is the Webhook Builder: the list of webhooks, creating
// one from scratch or from a template, editing, running and deleting.
func (s *Server) webhookSection() section {
	return section{label: "Webhooks", path: Prefix + "webhooks", also: []string{Prefix + "templates"}, routes: []route{
		{pattern: "GET " + Prefix + "webhooks", handle: s.listWebhooks},
		{pattern: "GET " + Prefix + "webhooks/new", handle: s.chooseStart},
		{pattern: "GET " + Prefix + "webhooks/create", handle: s.newWebhook},
		{pattern: "POST " + Prefix + "webhooks/create", handle: s.postNewWebhook},
		{pattern: "POST " + Prefix + "webhooks/context-values", handle: s.contextValues},
		{pattern: "GET " + Prefix + "templates/{id}", handle: s.templateForm},
		{pattern: "POST " + Prefix + "templates/{id}", handle: s.createFromTemplate},
		{pattern: "GET " + Prefix + "webhooks/{id}", handle: s.editWebhook},
		{pattern: "POST " + Prefix + "webhooks/{id}", handle: s.postWebhook},
		{pattern: "GET " + Prefix + "webhooks/{id}/delete", handle: s.confirmDelete},
		{pattern: "POST " + Prefix + "webhooks/{id}/delete", handle: s.deleteWebhook},
	}}
}

// pathID reads a positive id from the path; anything else is not a page.
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, hookline.NotFound(what, r.PathValue("id"))
	}
	return id, nil
}

// queryID reads an optional positive id from the query; 0 when absent.
func queryID(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, hookline.Invalid(name, "%s must be a positive whole number", name)
	}
	return id, nil
}

// companyPage reads a company list's filter (company_id) and the page
// asked for (cursor) from the query.
func companyPage(r *http.Request) (companyID int64, cursor string, err error) {
	companyID, err = queryID(r, "company_id")
	return companyID, r.URL.Query().Get("cursor"), err
}

// maxPicked bounds the companies a picker lists: beyond them, it asks for
// a company's id instead.
const maxPicked = 2 * hookline.MaxPageLimit

// companies lists the companies the caller may assign resources to, for
// the Assign to picker; nil for a company key, which assigns to its own.
// Only the first maxPicked are listed; more says there are others.
func (s *Server) companies(ctx context.Context, c *hookline.Caller) (list []*hookline.Tenant, more bool, err error) {
	if !c.IsAdmin() && c.Tenant.Kind == hookline.KindCompany {
		return nil, false, nil
	}
	list = []*hookline.Tenant{}
	page := hookline.PageRequest{Limit: hookline.MaxPageLimit}
	for {
		p, err := s.tenants.FindTenants(ctx, c, hookline.KindCompany, 0, page)
		if err != nil {
			return nil, false, err
		}
		list = append(list, p.Items...)
		if p.NextCursor == "" {
			return list, false, nil
		}
		if len(list) >= maxPicked {
			return list, true, nil
		}
		page.Cursor = p.NextCursor
	}
}

// companyNames maps company ids to names, for lists that show them.
func companyNames(list []*hookline.Tenant) map[int64]string {
	out := map[int64]string{}
	for _, c := range list {
		out[c.ID] = c.Name
	}
	return out
}

// webhookList is the list page.
type webhookList struct {
	Webhooks  []webhookRow
	Pager     pager
	Companies []option
	Company   int64
}

type webhookRow struct {
	*hookline.Webhook
	CompanyName string
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, q *request) error {
	companyID, cursor, err := companyPage(r)
	if err != nil {
		return err
	}
	p, err := s.webhooks.FindWebhooks(r.Context(), q.caller, companyID, hookline.PageRequest{Cursor: cursor})
	if err != nil {
		return err
	}
	companies, _, err := s.companies(r.Context(), q.caller)
	if err != nil {
		return err
	}
	names := companyNames(companies)
	v := webhookList{Company: companyID}
	for _, wh := range p.Items {
		v.Webhooks = append(v.Webhooks, webhookRow{Webhook: wh, CompanyName: names[wh.CompanyID]})
	}
	v.Pager = pages(Prefix+"webhooks", cursor, p.NextCursor, "company_id", idParam(companyID))
	if companies != nil {
		v.Companies = append(v.Companies, option{Value: "", Label: "All companies", Selected: companyID == 0})
		for _, c := range companies {
			v.Companies = append(v.Companies, option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name, Selected: c.ID == companyID})
		}
	}
	return s.page(w, r, q, http.StatusOK, "webhooks", "Webhooks", v)
}

func idParam(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// listURL is path with the query of the non-empty values of the pairs.
func listURL(path string, pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			parts = append(parts, pairs[i]+"="+url.QueryEscape(pairs[i+1]))
		}
	}
	if len(parts) == 0 {
		return path
	}
	return path + "?" + strings.Join(parts, "&")
}

// startPage is the choice between a webhook from scratch and one from a
// template of the marketplace.
type startPage struct {
	Templates []*hookline.WebhookTemplate
	Pager     pager
}

func (s *Server) chooseStart(w http.ResponseWriter, r *http.Request, q *request) error {
	cursor := r.URL.Query().Get("cursor")
	p, err := s.templates.FindTemplates(r.Context(), q.caller, 0, hookline.PageRequest{Cursor: cursor})
	if err != nil {
		return err
	}
	v := startPage{Templates: p.Items}
	v.Pager = pages(Prefix+"webhooks/new", cursor, p.NextCursor)
	return s.page(w, r, q, http.StatusOK, "webhook-new", "New webhook", v)
}

// builderPage renders the builder for st.
func (s *Server) builderPage(w http.ResponseWriter, r *http.Request, q *request, status int, st *builderState, id int64, company, tmpl string) error {
	if st.names == nil && st.namesErr == nil {
		st.names, st.namesErr = s.webhooks.ContextNames(st.def)
	}
	v := st.view()
	v.ID, v.Company, v.Template = id, company, tmpl
	if id == 0 {
		v.Action, v.Heading = Prefix+"webhooks/create", "New webhook"
	} else {
		v.Action, v.Heading = fmt.Sprintf("%swebhooks/%d", Prefix, id), st.def.Name
		if v.Heading == "" {
			v.Heading = fmt.Sprintf("Webhook %d", id)
		}
	}
	return s.page(w, r, q, status, "webhook", v.Heading, v)
}

// newWebhook shows an empty builder: Create from Scratch.
func (s *Server) newWebhook(w http.ResponseWriter, r *http.Request, q *request) error {
	companies, more, err := s.companies(r.Context(), q.caller)
	if err != nil {
		return err
	}
	if more {
		return hookline.Errorf(hookline.CodeInvalid, "you manage more than %d companies: create this webhook with the API, naming company_id", maxPicked)
	}
	st := &builderState{def: hookline.WebhookDefinition{Method: "POST", Auth: hookline.Auth{Type: hookline.AuthNone}}, companies: companies, focus: "name"}
	if companyID, err := queryID(r, "company_id"); err == nil {
		st.companyID = companyID
	}
	return s.builderPage(w, r, q, http.StatusOK, st, 0, "", "")
}

// runContext reads the Run webhook context: empty runs against sample
// values; anything else must be a JSON object.
func runContext(text string) (json.RawMessage, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &obj); err != nil {
		return nil, hookline.Invalid("context", "must be a JSON object, such as {\"certainly\": {\"sessionId\": 42}}: %v", err)
	}
	return json.RawMessage(text), nil
}

// postNewWebhook handles the buttons of a new webhook's builder: save
// (create), run the unsaved definition, add or remove a row, refresh.
func (s *Server) postNewWebhook(w http.ResponseWriter, r *http.Request, q *request) error {
	in, perr := parseBuilder(r)
	companies, _, err := s.companies(r.Context(), q.caller)
	if err != nil {
		return err
	}
	st := &builderState{def: in.def, companies: companies, runContext: in.runContext}
	if in.companyID != nil {
		st.companyID = *in.companyID
	}
	if perr != nil {
		st.err = newFormError(perr, "")
		return s.builderPage(w, r, q, statusOf(perr), st, 0, "", "")
	}
	if focus, ok := applyRowOp(&st.def, in.op); ok {
		st.focus = focus
		return s.builderPage(w, r, q, http.StatusOK, st, 0, "", "")
	}
	switch in.op {
	case "run":
		dropBlankRows(&st.def)
		conv, err := runContext(in.runContext)
		if err == nil {
			def := st.def
			st.result, err = s.webhooks.RunUnsavedWebhook(r.Context(), q.caller, hookline.RunInput{Webhook: &def, CompanyID: in.companyID, Context: conv})
		}
		if err != nil {
			if st.err = newFormError(err, "webhook."); st.err == nil {
				return err
			}
			return s.builderPage(w, r, q, statusOf(err), st, 0, "", "")
		}
		st.focus = "result"
		return s.builderPage(w, r, q, http.StatusOK, st, 0, "", "")
	case "save", "":
		dropBlankRows(&st.def)
		wh, err := s.webhooks.CreateWebhook(r.Context(), q.caller, hookline.WebhookInput{WebhookDefinition: st.def, CompanyID: in.companyID})
		if err != nil {
			if st.err = newFormError(err, ""); st.err == nil {
				return err
			}
			return s.builderPage(w, r, q, statusOf(err), st, 0, "", "")
		}
		return redirect(w, r, fmt.Sprintf("%swebhooks/%d?notice=created", Prefix, wh.ID))
	}
	// "refresh" and anything else: show the form again, context values
	// brought up to date with the URL.
	return s.builderPage(w, r, q, http.StatusOK, st, 0, "", "")
}

// contextValues renders the Context Values section for the URL the form
// holds, for the page's script to swap in while the URL is typed.
func (s *Server) contextValues(w http.ResponseWriter, r *http.Request, q *request) error {
	in, err := parseBuilder(r)
	if err != nil {
		return err
	}
	st := &builderState{def: in.def}
	st.names, st.namesErr = s.webhooks.ContextNames(st.def)
	v := st.view()
	t := s.pages["webhook"]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return t.ExecuteTemplate(w, "context-values", v)
}

// stored is a webhook and the names the builder shows with it.
func (s *Server) stored(ctx context.Context, c *hookline.Caller, id int64) (wh *hookline.Webhook, company, tmpl string, err error) {
	wh, err = s.webhooks.FindWebhook(ctx, c, id)
	if err != nil {
		return nil, "", "", err
	}
	if c.IsAdmin() || c.Tenant.ID != wh.CompanyID {
		if t, err := s.tenants.FindTenant(ctx, c, wh.CompanyID); err == nil {
			company = t.Name
		}
	}
	if wh.TemplateID != nil {
		if t, err := s.templates.FindTemplate(ctx, c, *wh.TemplateID); err == nil {
			tmpl = t.Name
		}
	}
	return wh, company, tmpl, nil
}

func (s *Server) editWebhook(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	wh, company, tmpl, err := s.stored(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	st := &builderState{def: wh.WebhookDefinition, names: wh.ContextNames}
	return s.builderPage(w, r, q, http.StatusOK, st, id, company, tmpl)
}

// postWebhook handles the buttons of a stored webhook's builder: save
// (replace), save and run, add or remove a row, refresh. Run saves first:
// the stored secrets (shown masked) are what a run sends.
func (s *Server) postWebhook(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	_, company, tmpl, err := s.stored(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	in, perr := parseBuilder(r)
	st := &builderState{def: in.def, runContext: in.runContext}
	if perr != nil {
		st.err = newFormError(perr, "")
		return s.builderPage(w, r, q, statusOf(perr), st, id, company, tmpl)
	}
	if focus, ok := applyRowOp(&st.def, in.op); ok {
		st.focus = focus
		return s.builderPage(w, r, q, http.StatusOK, st, id, company, tmpl)
	}
	if in.op != "save" && in.op != "run" && in.op != "" {
		return s.builderPage(w, r, q, http.StatusOK, st, id, company, tmpl)
	}
	dropBlankRows(&st.def)
	conv, err := runContext(in.runContext)
	if err != nil && in.op == "run" {
		st.err = newFormError(err, "")
		return s.builderPage(w, r, q, statusOf(err), st, id, company, tmpl)
	}
	wh, err := s.webhooks.ReplaceWebhook(r.Context(), q.caller, id, hookline.WebhookInput{WebhookDefinition: st.def})
	if err != nil {
		// A webhook deleted meanwhile has no form to show the error in.
		if st.err = newFormError(err, ""); st.err == nil || st.err.field == "" && hookline.ErrorCode(err) == hookline.CodeNotFound {
			return err
		}
		return s.builderPage(w, r, q, statusOf(err), st, id, company, tmpl)
	}
	if in.op != "run" {
		return redirect(w, r, fmt.Sprintf("%swebhooks/%d?notice=saved", Prefix, id))
	}
	st = &builderState{def: wh.WebhookDefinition, names: wh.ContextNames, runContext: in.runContext, focus: "result"}
	if st.result, err = s.webhooks.RunWebhook(r.Context(), q.caller, id, conv); err != nil {
		if st.err = newFormError(err, ""); st.err == nil {
			return err
		}
		return s.builderPage(w, r, q, statusOf(err), st, id, company, tmpl)
	}
	return s.builderPage(w, r, q, http.StatusOK, st, id, company, tmpl)
}

// deletePage asks before a webhook is deleted.
type deletePage struct {
	Webhook *hookline.Webhook
}

func (s *Server) confirmDelete(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	wh, err := s.webhooks.FindWebhook(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	return s.page(w, r, q, http.StatusOK, "webhook-delete", "Delete "+wh.Name, deletePage{Webhook: wh})
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "webhook")
	if err != nil {
		return err
	}
	if err := s.webhooks.DeleteWebhook(r.Context(), q.caller, id); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"webhooks?notice=deleted")
}

// templatePage is the form that makes a webhook from a template: its
// blanks, a name and the company.
type templatePage struct {
	Template *hookline.WebhookTemplate
	Action   string
	Fields   []field
	Error    *summary
}

func (s *Server) templateForm(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.templatePage(w, r, q, http.StatusOK, nil, nil)
}

// templatePage renders the template form; posted holds what was sent, err
// the service's answer to it.
func (s *Server) templatePage(w http.ResponseWriter, r *http.Request, q *request, status int, posted map[string]string, err error) error {
	id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if perr != nil {
		return hookline.NotFound("webhook template", r.PathValue("id"))
	}
	t, terr := s.templates.FindTemplate(r.Context(), q.caller, id)
	if terr != nil {
		return terr
	}
	companies, more, cerr := s.companies(r.Context(), q.caller)
	if cerr != nil {
		return cerr
	}
	fe := newFormError(err, "")
	value := func(name, def string) string {
		if posted == nil {
			return def
		}
		return posted[name]
	}
	v := templatePage{Template: t, Action: fmt.Sprintf("%stemplates/%d", Prefix, id)}
	name := field{Path: "name", Label: "Name", Type: "text", Value: value("name", t.Webhook.Name), Error: fe.at("name"),
		Hint: "Leave it as it is, or name the webhook after its use."}
	v.Fields = append(v.Fields, name)
	if companies != nil {
		company := field{Path: "company_id", Label: "Assign to", Type: "select", Required: true, Error: fe.at("company_id")}
		if more {
			company.Type, company.Label, company.Value = "number", "Assign to (company id)", value("company_id", "")
		} else {
			company.Options = append(company.Options, option{Value: "", Label: "Choose a company"})
			for _, c := range companies {
				id := strconv.FormatInt(c.ID, 10)
				company.Options = append(company.Options, option{Value: id, Label: c.Name, Selected: id == value("company_id", "")})
			}
		}
		v.Fields = append(v.Fields, company)
	}
	for _, b := range t.Blanks {
		f := field{Path: "values." + b.Name, Label: b.Label, Type: "text", Value: value("values."+b.Name, b.Default),
			Hint: b.Description, Required: b.Required, Error: fe.at("values." + b.Name)}
		if b.Secret {
			f.Type, f.Value = "password", value("values."+b.Name, "")
		}
		v.Fields = append(v.Fields, f)
	}
	v.Error = fe.summary(v.Fields)
	return s.page(w, r, q, status, "webhook-template", t.Name, v)
}

// createFromTemplate creates a webhook from a template and its values, and
// opens it in the builder.
func (s *Server) createFromTemplate(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return hookline.NotFound("webhook template", r.PathValue("id"))
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	posted := map[string]string{}
	in := hookline.WebhookInput{TemplateID: &id, Values: map[string]string{}}
	for name, values := range r.PostForm {
		if len(values) == 0 {
			continue
		}
		posted[name] = values[0]
		if blank, ok := strings.CutPrefix(name, "values."); ok && values[0] != "" {
			in.Values[blank] = values[0]
		}
	}
	in.Name = posted["name"]
	if v := strings.TrimSpace(posted["company_id"]); v != "" {
		cid, err := strconv.ParseInt(v, 10, 64)
		if err != nil || cid <= 0 {
			return s.templatePage(w, r, q, http.StatusBadRequest, posted, hookline.Invalid("company_id", "choose a company"))
		}
		in.CompanyID = &cid
	}
	wh, err := s.webhooks.CreateWebhook(r.Context(), q.caller, in)
	if err != nil {
		if newFormError(err, "") == nil {
			return err
		}
		return s.templatePage(w, r, q, statusOf(err), posted, err)
	}
	return redirect(w, r, fmt.Sprintf("%swebhooks/%d?notice=created", Prefix, wh.ID))
}
