package webui

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/hookline/hookline"
)

// builderView is the Webhook Builder's page: the sections of seeds 000 and
// 001, each a list of labelled fields, and the result of a run.
type builderView struct {
	// Action is where the form posts; ID is 0 for a new webhook.
	Action string
	ID     int64
	// Heading is the page's title.
	Heading string
	// Company names the company of a stored webhook, which stays in it.
	Company  string
	Template string
	Error    *summary

	Basic      []field
	AuthType   field
	AuthFields map[hookline.AuthType][]field
	AuthKinds  []authKind
	Headers    rows
	Params     rows
	Context    contextSection
	Body       field
	Variables  rows
	RunContext field
	Retry      field
	Result     *resultView
}

// authKind is one kind of authentication and its fields.
type authKind struct {
	Type    hookline.AuthType
	Label   string
	Fields  []field
	Current bool
}

// rows is a list section: headers, params or custom variables.
type rows struct {
	// List is the list's JSON name, the prefix of its fields.
	List    string
	Noun    string
	Columns []string
	Rows    [][]field
	Error   string
}

// contextSection is the Context Values section: one value per {{name}} the
// URL needs besides the conversation.
type contextSection struct {
	Fields []field
	// Error says why the names could not be read (a broken URL template).
	Error string
}

var (
	methodOptions    = hookline.Methods
	responseOptions  = []option{{Value: "json", Label: "JSON"}, {Value: "xml", Label: "XML"}, {Value: "text", Label: "Text"}}
	executionOptions = []option{
		{Value: "sync", Label: "Synchronous"},
		{Value: "async", Label: "Asynchronous"},
	}
	authOptions = []option{
		{Value: string(hookline.AuthNone), Label: "No authentication"},
		{Value: string(hookline.AuthBasic), Label: "Basic authentication"},
		{Value: string(hookline.AuthBearer), Label: "Bearer token"},
		{Value: string(hookline.AuthAPIKey), Label: "API key"},
	}
	valueTypeOptions = []option{{Value: "text", Label: "Text"}, {Value: "variable", Label: "Variable"}}
	secretOptions    = []option{{Value: "auto", Label: "Auto"}, {Value: "yes", Label: "Secret"}, {Value: "no", Label: "Not secret"}}
)

// choose returns opts with value selected.
func choose(opts []option, value string) []option {
	out := slices.Clone(opts)
	for i := range out {
		out[i].Selected = out[i].Value == value
	}
	return out
}

func plain(values []string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: v, Label: v}
	}
	return out
}

// builderState is what a builder page is made of.
type builderState struct {
	def       hookline.WebhookDefinition
	companyID int64
	// companies are the picker's choices (Assign to); nil hides it.
	companies []*hookline.Tenant
	// names are the context names the URL needs; namesErr why they could
	// not be read.
	names      []string
	namesErr   error
	runContext string
	err        *formError
	focus      string
	result     *hookline.WebhookResult
}

// view lays out the builder's sections. Every input is built here, with
// its label and, when the form's error concerns it, the error.
func (st *builderState) view() *builderView {
	d := st.def
	fe := st.err
	f := func(path, label, typ, value string) field {
		return field{Path: path, Label: label, Type: typ, Value: value, Error: fe.at(path), Autofocus: st.focus == path}
	}
	v := &builderView{}

	name := f("name", "Name", "text", d.Name)
	name.Required = true
	name.Hint = "Name it so that its purpose is clear when you pick it in a bot."
	v.Basic = append(v.Basic, name)
	if st.companies != nil {
		company := f("company_id", "Assign to", "select", "")
		company.Required = true
		company.Hint = "The company that will use the webhook."
		company.Options = append(company.Options, option{Value: "", Label: "Choose a company"})
		for _, c := range st.companies {
			company.Options = append(company.Options, option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name, Selected: c.ID == st.companyID})
		}
		v.Basic = append(v.Basic, company)
	}
	method := f("method", "HTTP method", "select", "")
	method.Options = choose(plain(methodOptions), orDefault(d.Method, "POST"))
	v.Basic = append(v.Basic, method)
	u := f("url", "API endpoint URL", "text", d.URL)
	u.Required, u.Mono = true, true
	u.Placeholder = "https://api.example.com/tickets"
	u.Hint = "A template: {{certainly.sessionId}} reads the conversation; any other {{name}} takes its value from Context Values."
	v.Basic = append(v.Basic, u)
	resp := f("response_type", "Response type", "select", "")
	resp.Options = choose(responseOptions, orDefault(string(d.ResponseType), "json"))
	v.Basic = append(v.Basic, resp)
	exec := f("execution", "Conversation execution", "select", "")
	exec.Options = choose(executionOptions, orDefault(string(d.Execution), "sync"))
	exec.Hint = "Synchronous: the conversation waits for the answer. Asynchronous: it goes on, and the request is delivered through the queue."
	v.Basic = append(v.Basic, exec)
	timeout := f("timeout_ms", "Timeout (milliseconds)", "number", "")
	if d.TimeoutMS != 0 {
		timeout.Value = strconv.Itoa(d.TimeoutMS)
	}
	timeout.Placeholder = strconv.Itoa(hookline.DefaultWebhookTimeoutMS)
	timeout.Hint = fmt.Sprintf("How long the bot waits for the answer: %d to %d, 5000 when left empty.", hookline.MinWebhookTimeoutMS, hookline.MaxWebhookTimeoutMS)
	v.Basic = append(v.Basic, timeout)
	v.Retry = f("retry_non_idempotent", "Retry POST and PATCH too on connection errors and 502, 503, 504", "checkbox", "")
	if d.RetryNonIdempotent {
		v.Retry.Value = "on"
	}

	v.AuthType, v.AuthKinds = authView(d.Auth, fe, f)

	v.Headers = st.keyValueRows("headers", "header", d.Headers)
	v.Params = st.keyValueRows("params", "parameter", d.Params)

	if st.namesErr != nil {
		v.Context.Error = "Context values appear once the URL's template is correct: " + hookline.ErrorMessage(st.namesErr)
	}
	names := st.names
	if st.namesErr != nil {
		// Keep what was typed while the URL is being fixed.
		for n := range d.ContextValues {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	for _, n := range names {
		cv := f("context_values."+n, n, "text", d.ContextValues[n])
		cv.Mono = true
		cv.Hint = fmt.Sprintf("The value of {{%s}} in the URL: text, or a template such as {{ certainly.extractedData.%s }}.", n, n)
		v.Context.Fields = append(v.Context.Fields, cv)
	}

	v.Body = f("body", "Body (JSON template)", "textarea", d.Body)
	v.Body.Mono, v.Body.Rows = true, 14
	v.Body.Placeholder = `{"sessionId": {{certainly.sessionId}}, "reply": "{{certainly.reply}}"}`
	v.Body.Hint = "JSON written as a Jinja2 template; // and /* */ comments are dropped. Empty: the request has no body."
	if fe != nil && fe.field == "body" && fe.line > 0 {
		v.Body.Position = positionIn(d.Body, fe.line, fe.column)
	}

	v.Variables = rows{List: "custom_variables", Noun: "custom variable", Columns: []string{"Custom variable name", "Response Mapper"}}
	for i, cv := range d.CustomVariables {
		p := fmt.Sprintf("custom_variables[%d]", i)
		n := f(p+".name", fmt.Sprintf("Custom variable %d name", i+1), "text", cv.Name)
		m := f(p+".mapper", fmt.Sprintf("Custom variable %d response mapper", i+1), "text", cv.Mapper)
		n.HideLabel, m.HideLabel, m.Mono = true, true, true
		n.Placeholder, m.Placeholder = "ticket_status", "{{ticket.status}}"
		v.Variables.Rows = append(v.Variables.Rows, []field{n, m})
	}
	v.Variables.Error = fe.at("custom_variables")

	v.RunContext = f("run_context", "Conversation to run against (JSON)", "textarea", st.runContext)
	v.RunContext.Mono, v.RunContext.Rows = true, 5
	v.RunContext.Placeholder = `{"certainly": {"sessionId": 42, "reply": "my order is late"}}`
	v.RunContext.Hint = "Leave empty to run with sample values."
	if msg := fe.at("context"); msg != "" {
		v.RunContext.Error = msg
	}
	if st.result != nil {
		v.Result = newResultView(st.result)
	}
	all := [][]field{v.Basic, {v.AuthType, v.Body, v.RunContext, v.Retry}, v.Context.Fields}
	for _, k := range v.AuthKinds {
		all = append(all, k.Fields)
	}
	for _, r := range [][][]field{v.Headers.Rows, v.Params.Rows, v.Variables.Rows} {
		all = append(all, r...)
	}
	v.Error = fe.summary(all...)
	return v
}

// keyValueRows lays out headers or params: key, type, value and secret.
func (st *builderState) keyValueRows(list, noun string, kvs []hookline.KeyValue) rows {
	return keyValueRows(st.err, st.focus, list, noun, kvs)
}

// fieldMaker makes a form's field of a path, its error (and focus) set
// from the form's state.
type fieldMaker func(path, label, typ, value string) field

// authView lays out an authentication: the picker of its type, and the
// fields of each kind, the chosen one current.
func authView(a hookline.Auth, fe *formError, f fieldMaker) (field, []authKind) {
	authType := orDefault(string(a.Type), string(hookline.AuthNone))
	picker := f("auth.type", "Authentication type", "select", "")
	picker.Options = choose(authOptions, authType)
	secret := func(path, label, value string) field {
		s := f(path, label, "password", value)
		s.Hint = "Stored encrypted and shown as ********; leave ******** to keep the stored one."
		return s
	}
	in := f("auth.in", "Send the key in", "select", "")
	in.Options = choose([]option{{Value: "header", Label: "a header"}, {Value: "query", Label: "a query parameter"}}, orDefault(a.In, "header"))
	var kinds []authKind
	for _, k := range []authKind{
		{Type: hookline.AuthBasic, Label: "Basic authentication", Fields: []field{
			f("auth.username", "Username", "text", a.Username), secret("auth.password", "Password", a.Password)}},
		{Type: hookline.AuthBearer, Label: "Bearer token", Fields: []field{secret("auth.token", "Token", a.Token)}},
		{Type: hookline.AuthAPIKey, Label: "API key", Fields: []field{
			f("auth.name", "Header or parameter name", "text", a.Name), secret("auth.value", "Key", a.Value), in}},
	} {
		k.Current = string(k.Type) == authType
		kinds = append(kinds, k)
	}
	if msg := fe.at("auth"); msg != "" {
		picker.Error = msg
	}
	return picker, kinds
}

// keyValueRows lays out rows of keys and values (headers, params): key,
// type, value and secret, the field focus names focused.
func keyValueRows(fe *formError, focus, list, noun string, kvs []hookline.KeyValue) rows {
	out := rows{List: list, Noun: noun, Columns: []string{"Key", "Type", "Value", "Secret"}}
	for i, kv := range kvs {
		p := fmt.Sprintf("%s[%d]", list, i)
		n := i + 1
		key := field{Path: p + ".key", Label: fmt.Sprintf("%s %d key", capital(noun), n), Type: "text", Value: kv.Key,
			Error: fe.at(p + ".key"), Autofocus: focus == p+".key", HideLabel: true}
		typ := field{Path: p + ".type", Label: fmt.Sprintf("%s %d value type", capital(noun), n), Type: "select",
			Options: choose(valueTypeOptions, orDefault(string(kv.Type), "text")), Error: fe.at(p + ".type"), HideLabel: true}
		valueType := "text"
		if kv.IsSecret() {
			valueType = "password"
		}
		value := field{Path: p + ".value", Label: fmt.Sprintf("%s %d value", capital(noun), n), Type: valueType, Value: kv.Value,
			Error: fe.at(p + ".value"), HideLabel: true, Mono: true}
		if kv.Type == hookline.ValueVariable {
			value.Placeholder = "certainly.sessionId"
		}
		secret := "auto"
		if kv.Secret != nil {
			secret = map[bool]string{true: "yes", false: "no"}[*kv.Secret]
		}
		sec := field{Path: p + ".secret", Label: fmt.Sprintf("%s %d secret", capital(noun), n), Type: "select",
			Options: choose(secretOptions, secret), Error: fe.at(p + ".secret"), HideLabel: true}
		out.Rows = append(out.Rows, []field{key, typ, value, sec})
	}
	out.Error = fe.at(list)
	return out
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// resultView is a Run webhook result laid out for reading.
type resultView struct {
	Request   hookline.WebhookRequestInfo
	Response  *hookline.WebhookResponseInfo
	Body      string
	Headers   []pair
	RespHdrs  []pair
	Variables []pair
	VarErrors []hookline.VariableError
	Error     *hookline.WebhookError
	Duration  float64
	OK        bool
}

// pair is a name and a value shown in a table.
type pair struct{ Name, Value string }

func sortedPairs(m map[string]string) []pair {
	out := make([]pair, 0, len(m))
	for k, v := range m {
		out = append(out, pair{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func newResultView(res *hookline.WebhookResult) *resultView {
	v := &resultView{Request: res.Request, Response: res.Response, Error: res.Error, Duration: res.DurationMS,
		VarErrors: res.VariableErrors, OK: res.Error == nil}
	v.Headers = sortedPairs(res.Request.Headers)
	if res.Response != nil {
		v.RespHdrs = sortedPairs(res.Response.Headers)
		v.Body = prettyJSON(res.Response.Body)
	}
	names := make([]string, 0, len(res.Variables))
	for n := range res.Variables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v.Variables = append(v.Variables, pair{n, prettyJSON(json.RawMessage(res.Variables[n]))})
	}
	return v
}
