package webui

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/hookline/hookline"
)

// integrationInput is what the integration form sends: the definition as
// typed, its company and connections, and the button pressed.
type integrationInput struct {
	def         hookline.IntegrationDefinition
	companyID   *int64
	connections []string
	op          string
}

// The integration form's rows: params and headers (key, type, value,
// secret) and body fields (key, type, value), named like their JSON paths.
var integrationRowField = regexp.MustCompile(`^(headers|params|body_fields)\[(\d{1,4})\]\.(key|value|type|secret)$`)

// parseIntegration reads the integration form. Events and body fields are
// what the form holds, never nil: a form with none checked or left means
// none, not the defaults.
func parseIntegration(r *http.Request) (integrationInput, error) {
	var in integrationInput
	if err := r.ParseForm(); err != nil {
		return in, err
	}
	f := r.PostForm
	in.op = f.Get("op")
	d := &in.def
	d.Alias = f.Get("alias")
	d.Method = f.Get("method")
	d.URL = strings.TrimSpace(f.Get("url"))
	d.Auth = parseAuth(f)
	rows := parseRows(f, integrationRowField)
	d.Params = keyValues(rows["params"])
	d.Headers = keyValues(rows["headers"])
	d.BodyFields = []hookline.BodyField{}
	for _, i := range sortedKeys(rows["body_fields"]) {
		row := rows["body_fields"][i]
		d.BodyFields = append(d.BodyFields, hookline.BodyField{Key: row["key"], Value: row["value"], Type: hookline.ValueType(row["type"])})
	}
	d.Events = []string{}
	for _, e := range f["events"] {
		if e == hookline.EventMessage || e == hookline.EventEnd {
			d.Events = append(d.Events, e)
		}
	}
	for _, code := range f["connections"] {
		if code = strings.TrimSpace(code); code != "" && !slices.Contains(in.connections, code) {
			in.connections = append(in.connections, code)
		}
	}
	var err error
	in.companyID, err = formCompanyID(f.Get("company_id"))
	return in, err
}

// applyIntegrationRowOp adds or removes a row as op asks; it reports
// whether op was one of those, and the field to focus next.
func applyIntegrationRowOp(d *hookline.IntegrationDefinition, op string) (focus string, ok bool) {
	list, remove, i, ok := listOp(op)
	if !ok {
		return "", false
	}
	switch list {
	case "headers", "params":
		kvs := &d.Headers
		if list == "params" {
			kvs = &d.Params
		}
		if !remove {
			*kvs = append(*kvs, hookline.KeyValue{Type: hookline.ValueText})
			return fmt.Sprintf("%s[%d].key", list, len(*kvs)-1), true
		}
		if i < len(*kvs) {
			*kvs = slices.Delete(*kvs, i, i+1)
		}
	case "body_fields":
		if !remove {
			d.BodyFields = append(d.BodyFields, hookline.BodyField{Type: hookline.ValueText})
			return fmt.Sprintf("body_fields[%d].key", len(d.BodyFields)-1), true
		}
		if i < len(d.BodyFields) {
			d.BodyFields = slices.Delete(d.BodyFields, i, i+1)
		}
	default:
		return "", false
	}
	return "add:" + list, true
}

// dropBlankIntegrationRows leaves out the rows with nothing typed in them.
func dropBlankIntegrationRows(d *hookline.IntegrationDefinition) {
	blank := func(kv hookline.KeyValue) bool {
		return strings.TrimSpace(kv.Key) == "" && strings.TrimSpace(kv.Value) == ""
	}
	d.Headers = slices.DeleteFunc(d.Headers, blank)
	d.Params = slices.DeleteFunc(d.Params, blank)
	d.BodyFields = slices.DeleteFunc(d.BodyFields, func(b hookline.BodyField) bool {
		return strings.TrimSpace(b.Key) == "" && strings.TrimSpace(b.Value) == ""
	})
}

// integrationView is the integration form: the Custom Webhook Information
// of seed 003 (alias, method and URL, params, auth, headers, body) and
// its Connections.
type integrationView struct {
	Action  string
	ID      int64
	Heading string
	// Company names the company of a stored integration, which stays in
	// it.
	Company     string
	Error       *summary
	Basic       []field
	AuthType    field
	AuthKinds   []authKind
	Params      rows
	Headers     rows
	Body        rows
	Events      choices
	Connections choices
}

// choices is a group of checkboxes with one legend and one error.
type choices struct {
	Name, Legend, Hint, Error string
	// Empty is said when there is nothing to choose.
	Empty string
	Items []choice
}

// choice is one checkbox of a group.
type choice struct {
	ID, Value, Label, Note string
	Checked, Disabled      bool
	// Kind is a connection's type, for its icon.
	Kind hookline.ConnectionType
}

// integrationState is what an integration form page is made of.
type integrationState struct {
	def         hookline.IntegrationDefinition
	companyID   string
	connections []string
	// companies are the Assign to picker's choices (nil hides it); more
	// says there were too many to list.
	companies []*hookline.Tenant
	more      bool
	// available are the connections the caller sees; names the companies.
	available []*hookline.Connection
	names     map[int64]string
	// companyOf is a stored integration's company, whose connections
	// alone it may take.
	companyOf int64
	err       *formError
	focus     string
}

var bodyFieldColumns = []string{"Key", "Type", "Value"}

// view lays out the form; id is the stored integration's (0 for a new
// one), whose own connections are free to keep.
func (st *integrationState) view(id int64) *integrationView {
	d := st.def
	fe := st.err
	f := func(path, label, typ, value string) field {
		return field{Path: path, Label: label, Type: typ, Value: value, Error: fe.at(path), Autofocus: st.focus == path}
	}
	v := &integrationView{ID: id}
	alias := f("alias", "Alias", "text", d.Alias)
	alias.Required, alias.Hint = true, "A name that tells this integration's card from the others."
	v.Basic = append(v.Basic, alias)
	if st.companies != nil && id == 0 {
		v.Basic = append(v.Basic, companyField(fe, st.companies, st.more, st.companyID, "The company whose chats it receives."))
	}
	method := f("method", "Method", "select", "")
	method.Options = choose(plain(hookline.IntegrationMethods), orDefault(d.Method, "POST"))
	method.Hint = "GET and DELETE send the body fields as query parameters."
	v.Basic = append(v.Basic, method)
	u := f("url", "URL", "url", d.URL)
	u.Required, u.Mono = true, true
	u.Placeholder = "https://your-domain.example/your-path"
	u.Hint = "Where chat events are sent: METHOD https://Your_Domain/Your_Path."
	v.Basic = append(v.Basic, u)

	v.Params = keyValueRows(fe, st.focus, "params", "parameter", d.Params)
	v.AuthType, v.AuthKinds = authView(d.Auth, fe, f)
	v.Headers = keyValueRows(fe, st.focus, "headers", "header", d.Headers)

	v.Body = rows{List: "body_fields", Noun: "body field", Columns: bodyFieldColumns}
	for i, b := range d.BodyFields {
		p := fmt.Sprintf("body_fields[%d]", i)
		n := i + 1
		key := field{Path: p + ".key", Label: fmt.Sprintf("Body field %d key", n), Type: "text", Value: b.Key, Mono: true,
			Error: fe.at(p + ".key"), Autofocus: st.focus == p+".key", HideLabel: true, Placeholder: "multimedia.url"}
		typ := field{Path: p + ".type", Label: fmt.Sprintf("Body field %d value type", n), Type: "select",
			Options: choose(valueTypeOptions, orDefault(string(b.Type), "text")), Error: fe.at(p + ".type"), HideLabel: true}
		value := field{Path: p + ".value", Label: fmt.Sprintf("Body field %d value", n), Type: "text", Value: b.Value, Mono: true,
			Error: fe.at(p + ".value"), HideLabel: true}
		if b.Type == hookline.ValueVariable {
			value.Placeholder = "chatId"
		}
		v.Body.Rows = append(v.Body.Rows, []field{key, typ, value})
	}
	v.Body.Error = fe.at("body_fields")

	v.Events = choices{Name: "events", Legend: "Events", Hint: "The events sent to the URL: MESSAGE for each message of the contact, END when a chat is closed.",
		Error: fe.under("events")}
	for _, e := range []string{hookline.EventMessage, hookline.EventEnd} {
		v.Events.Items = append(v.Events.Items, choice{ID: "f-events-" + e, Value: e, Label: e, Checked: slices.Contains(d.Events, e)})
	}

	v.Connections = choices{Name: "connections", Legend: "Connections",
		Hint:  "The SMS and WhatsApp connections whose contacts it talks to. Leave them all unchecked to use it with a chatbot campaign instead: a connection serves an integration or a campaign, never both.",
		Error: fe.under("connections"), Empty: "No connection yet: create one on the Connections page."}
	for _, c := range st.available {
		ch := choice{ID: fieldID("connections." + c.Code), Value: c.Code, Label: connectionLabel(c.Type, c.Code), Kind: c.Type,
			Checked: slices.Contains(st.connections, c.Code)}
		if st.companies != nil {
			ch.Label += " (" + st.names[c.CompanyID] + ")"
		}
		if c.HolderKind != "" && !(c.HolderKind == hookline.HolderIntegration && c.HolderID == id) {
			ch.Note = fmt.Sprintf("held by %s %d", c.HolderKind, c.HolderID)
			ch.Disabled = !ch.Checked
		}
		v.Connections.Items = append(v.Connections.Items, ch)
	}

	all := [][]field{v.Basic, {v.AuthType}}
	for _, k := range v.AuthKinds {
		all = append(all, k.Fields)
	}
	for _, r := range [][][]field{v.Params.Rows, v.Headers.Rows, v.Body.Rows} {
		all = append(all, r...)
	}
	v.Error = fe.summary(all...)
	for _, g := range []choices{v.Events, v.Connections} {
		if g.Error != "" {
			// A group's error: the summary links to the group.
			v.Error.Target, v.Error.Label = "f-"+g.Name, g.Legend
		}
	}
	return v
}
