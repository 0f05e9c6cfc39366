package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline"
)

// connectionSection is the provider connections contacts write to: SMS
// (Twilio) and WhatsApp (Cloud API) numbers, listed with their inbound
// URL and secrets masked, created and deleted.
func (s *Server) connectionSection() section {
	p := Prefix + "connections"
	return section{label: "Connections", path: p, routes: []route{
		{pattern: "GET " + p, handle: s.listConnections},
		{pattern: "GET " + p + "/new", handle: s.newConnection},
		{pattern: "POST " + p + "/new", handle: s.createConnection},
		{pattern: "GET " + p + "/{id}/delete", handle: s.confirmDeleteConnection},
		{pattern: "POST " + p + "/{id}/delete", handle: s.deleteConnection},
	}}
}

// connectionList is the list page.
type connectionList struct {
	Rows      []connectionRow
	Pager     pager
	Companies []option
	Company   int64
}

type connectionRow struct {
	*hookline.Connection
	CompanyName string
	// Provider lists the account's settings, secrets masked as the
	// service returns them.
	Provider []pair
	// Holder links what serves the connection, when something does.
	Holder, HolderLink string
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request, q *request) error {
	companyID, cursor, err := companyPage(r)
	if err != nil {
		return err
	}
	p, err := s.connections.FindConnections(r.Context(), q.caller, companyID, hookline.PageRequest{Cursor: cursor})
	if err != nil {
		return err
	}
	companies, _, err := s.companies(r.Context(), q.caller)
	if err != nil {
		return err
	}
	names := companyNames(companies)
	v := connectionList{Company: companyID, Companies: companyFilter(companies, companyID)}
	for _, c := range p.Items {
		row := connectionRow{Connection: c, CompanyName: names[c.CompanyID], Provider: providerPairs(c.Type, c.Provider)}
		switch c.HolderKind {
		case hookline.HolderIntegration:
			row.Holder, row.HolderLink = fmt.Sprintf("Integration %d", c.HolderID), fmt.Sprintf("%sintegrations/%d", Prefix, c.HolderID)
		case hookline.HolderCampaign:
			row.Holder, row.HolderLink = fmt.Sprintf("Campaign %d", c.HolderID), fmt.Sprintf("%scampaigns#campaign-%d", Prefix, c.HolderID)
		}
		v.Rows = append(v.Rows, row)
	}
	v.Pager = pages(Prefix+"connections", cursor, p.NextCursor, "company_id", idParam(companyID))
	return s.page(w, r, q, http.StatusOK, "connections", "Connections", v)
}

// providerPairs lists a provider account's settings for a row.
func providerPairs(t hookline.ConnectionType, p hookline.Provider) []pair {
	if t == hookline.ConnectionSMS {
		return []pair{{"Account SID", p.AccountSID}, {"From", p.From}, {"Auth token", p.AuthToken}, {"API", p.BaseURL}}
	}
	return []pair{{"Phone number id", p.PhoneNumberID}, {"Access token", p.AccessToken}, {"App secret", p.AppSecret},
		{"Verify token", p.VerifyToken}, {"API", p.BaseURL + " (" + p.APIVersion + ")"}}
}

// connectionForm is the form of a new connection: its type, code and
// company, and each type's provider settings, the chosen type's shown.
type connectionForm struct {
	Error  *summary
	Basic  []field
	Kinds  []connectionKind
	Common []field
}

// connectionKind is one type's provider settings.
type connectionKind struct {
	Type    hookline.ConnectionType
	Label   string
	Fields  []field
	Current bool
}

func (s *Server) newConnection(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.connectionFormPage(w, r, q, http.StatusOK, url.Values{"type": {"sms"}}, nil)
}

// connectionFormPage renders the form with what was posted and the
// service's answer to it.
func (s *Server) connectionFormPage(w http.ResponseWriter, r *http.Request, q *request, status int, posted url.Values, err error) error {
	companies, more, cerr := s.companies(r.Context(), q.caller)
	if cerr != nil {
		return cerr
	}
	fe := newFormError(err, "")
	f := func(path, label, typ string) field {
		return field{Path: path, Label: label, Type: typ, Value: posted.Get(path), Error: fe.at(path), Autofocus: err == nil && path == "code"}
	}
	secret := func(path, label string) field {
		s := f(path, label, "password")
		s.Hint = "Stored encrypted; shown as ******** from now on."
		return s
	}
	v := connectionForm{}
	typ := f("type", "Channel", "select")
	typ.Options = choose([]option{{Value: "sms", Label: "SMS (Twilio)"}, {Value: "whatsapp", Label: "WhatsApp (Cloud API)"}}, posted.Get("type"))
	code := f("code", "Code", "text")
	code.Required, code.Mono = true, true
	code.Hint = "1 to 64 letters, digits, - and _, unique across hookline: it names the connection in its inbound URL."
	code.Placeholder = "shop-sms"
	v.Basic = []field{typ, code}
	if companies != nil {
		v.Basic = append(v.Basic, companyField(fe, companies, more, posted.Get("company_id"), "The company whose contacts write to it."))
	}
	sid := f("provider.account_sid", "Account SID", "text")
	sid.Mono = true
	from := f("provider.from", "Sender number", "text")
	from.Placeholder, from.Hint = "+15551234567", "The Twilio number contacts write to, in E.164."
	phone := f("provider.phone_number_id", "Phone number id", "text")
	phone.Mono = true
	version := f("provider.api_version", "Graph API version", "text")
	version.Placeholder = hookline.DefaultWhatsAppAPIVersion
	v.Kinds = []connectionKind{
		{Type: hookline.ConnectionSMS, Label: "Twilio account", Fields: []field{sid, secret("provider.auth_token", "Auth token"), from}},
		{Type: hookline.ConnectionWhatsApp, Label: "WhatsApp Business account", Fields: []field{phone, secret("provider.access_token", "Access token"),
			secret("provider.app_secret", "App secret"), secret("provider.verify_token", "Verify token"), version}},
	}
	for i := range v.Kinds {
		v.Kinds[i].Current = string(v.Kinds[i].Type) == posted.Get("type")
	}
	base := f("provider.base_url", "Provider API address (optional)", "url")
	base.Mono = true
	base.Hint = "Leave it empty for the provider's own (https://api.twilio.com, https://graph.facebook.com)."
	v.Common = []field{base}
	all := [][]field{v.Basic, v.Common}
	for _, k := range v.Kinds {
		all = append(all, k.Fields)
	}
	v.Error = fe.summary(all...)
	return s.page(w, r, q, status, "connection-form", "New connection", v)
}

// createConnection creates a connection from the form: only the chosen
// type's provider settings are sent.
func (s *Server) createConnection(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	typ := hookline.ConnectionType(f.Get("type"))
	code := strings.TrimSpace(f.Get("code"))
	p := hookline.Provider{BaseURL: f.Get("provider.base_url")}
	switch typ {
	case hookline.ConnectionSMS:
		p.AccountSID, p.AuthToken, p.From = f.Get("provider.account_sid"), f.Get("provider.auth_token"), f.Get("provider.from")
	case hookline.ConnectionWhatsApp:
		p.PhoneNumberID, p.AccessToken, p.AppSecret = f.Get("provider.phone_number_id"), f.Get("provider.access_token"), f.Get("provider.app_secret")
		p.VerifyToken, p.APIVersion = f.Get("provider.verify_token"), f.Get("provider.api_version")
	}
	// The form shows secrets back empty: they are not sent to the page.
	posted := url.Values{}
	for k, vs := range f {
		if k != "provider.auth_token" && k != "provider.access_token" && k != "provider.app_secret" && k != "provider.verify_token" {
			posted[k] = vs
		}
	}
	companyID, err := formCompanyID(f.Get("company_id"))
	if err != nil {
		return s.connectionFormPage(w, r, q, statusOf(err), posted, err)
	}
	c, err := s.connections.CreateConnection(r.Context(), q.caller, hookline.ConnectionInput{CompanyID: companyID, Type: &typ, Code: &code, Provider: &p})
	if err != nil {
		if newFormError(err, "") == nil {
			return err
		}
		return s.connectionFormPage(w, r, q, statusOf(err), posted, err)
	}
	return redirect(w, r, fmt.Sprintf("%sconnections?notice=connection-created#connection-%d", Prefix, c.ID))
}

func (s *Server) confirmDeleteConnection(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.deleteConnectionPage(w, r, q, http.StatusOK, "")
}

func (s *Server) deleteConnectionPage(w http.ResponseWriter, r *http.Request, q *request, status int, msg string) error {
	id, err := pathID(r, "connection")
	if err != nil {
		return err
	}
	c, err := s.connections.FindConnection(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	return s.confirm(w, r, q, status, confirmPage{
		Heading: fmt.Sprintf("Delete the connection %s?", c.Code),
		Message: "Its provider account stays as it is, but hookline stops answering its inbound URL, and replies still waiting for it are canceled. " +
			"A connection an integration or a campaign holds must be freed first.",
		Action: fmt.Sprintf("%sconnections/%d/delete", Prefix, id), Button: "Delete connection", Back: Prefix + "connections", Error: msg,
	})
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "connection")
	if err != nil {
		return err
	}
	if err := s.connections.DeleteConnection(r.Context(), q.caller, id); err != nil {
		if msg, ok := refusal(err); ok {
			return s.deleteConnectionPage(w, r, q, statusOf(err), msg)
		}
		return err
	}
	return redirect(w, r, Prefix+"connections?notice=connection-deleted")
}
