package webui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// builderInput is what the Webhook Builder's form sends: a definition as
// typed, the company it is assigned to, the Run webhook context, and the
// button pressed.
type builderInput struct {
	def       hookline.WebhookDefinition
	companyID *int64
	// runContext is the conversation to run against, as JSON text; empty
	// runs against sample values.
	runContext string
	op         string
}

// The form's rows: headers and params (key, type, value, secret) and
// custom variables (name, mapper), each named like its JSON path.
var rowField = regexp.MustCompile(`^(headers|params|custom_variables)\[(\d{1,4})\]\.(key|value|type|secret|name|mapper)$`)

// maxRows bounds the rows read of one list: one more than a definition may
// have, so that the service names the list that is too long.
const maxRows = hookline.MaxWebhookListLen + 1

// parseBuilder reads the builder's form. A value that is not even of its
// type (a timeout that is not a number) is an error naming its field.
func parseBuilder(r *http.Request) (builderInput, error) {
	var in builderInput
	if err := r.ParseForm(); err != nil {
		return in, err
	}
	f := r.PostForm
	in.op = f.Get("op")
	in.runContext = f.Get("run_context")
	d := &in.def
	d.Name = f.Get("name")
	d.Method = f.Get("method")
	d.URL = strings.TrimSpace(f.Get("url"))
	d.ResponseType = hookline.ResponseType(f.Get("response_type"))
	d.Execution = hookline.Execution(f.Get("execution"))
	d.Body = f.Get("body")
	d.RetryNonIdempotent = f.Get("retry_non_idempotent") == "on"
	if v := strings.TrimSpace(f.Get("company_id")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return in, hookline.Invalid("company_id", "choose a company")
		}
		in.companyID = &id
	}
	if v := strings.TrimSpace(f.Get("timeout_ms")); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil {
			return in, hookline.Invalid("timeout_ms", "must be a whole number of milliseconds, such as 5000")
		}
		d.TimeoutMS = ms
	}
	d.Auth = parseAuth(f)
	rows := parseRows(f, rowField)
	d.Headers = keyValues(rows["headers"])
	d.Params = keyValues(rows["params"])
	for _, i := range sortedKeys(rows["custom_variables"]) {
		row := rows["custom_variables"][i]
		d.CustomVariables = append(d.CustomVariables, hookline.CustomVariable{Name: row["name"], Mapper: row["mapper"]})
	}
	for name, values := range f {
		if cv, ok := strings.CutPrefix(name, "context_values."); ok && len(values) > 0 {
			if d.ContextValues == nil {
				d.ContextValues = map[string]string{}
			}
			d.ContextValues[cv] = values[0]
		}
	}
	return in, nil
}

// parseAuth reads an authentication's fields. Only the chosen kind's are
// read, so that switching kinds drops what the other kind held.
func parseAuth(f url.Values) hookline.Auth {
	a := hookline.Auth{Type: hookline.AuthType(f.Get("auth.type"))}
	switch a.Type {
	case hookline.AuthBasic:
		a.Username, a.Password = f.Get("auth.username"), f.Get("auth.password")
	case hookline.AuthBearer:
		a.Token = f.Get("auth.token")
	case hookline.AuthAPIKey:
		a.Name, a.Value, a.In = f.Get("auth.name"), f.Get("auth.value"), f.Get("auth.in")
	}
	return a
}

// parseRows reads a form's rows, whose inputs are named list[n].column as
// pattern matches them (its groups: list, n, column): by list, row number
// and column. At most maxRows rows of a list are read.
func parseRows(f url.Values, pattern *regexp.Regexp) map[string]map[int]map[string]string {
	rows := map[string]map[int]map[string]string{}
	for name, values := range f {
		m := pattern.FindStringSubmatch(name)
		if m == nil || len(values) == 0 {
			continue
		}
		i, _ := strconv.Atoi(m[2])
		if rows[m[1]] == nil {
			rows[m[1]] = map[int]map[string]string{}
		}
		if rows[m[1]][i] == nil {
			if len(rows[m[1]]) >= maxRows {
				continue
			}
			rows[m[1]][i] = map[string]string{}
		}
		rows[m[1]][i][m[3]] = values[0]
	}
	return rows
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// keyValues reads rows of headers or params in the order of their
// numbers, numbered anew from 0: a removed row leaves no gap.
func keyValues(rows map[int]map[string]string) []hookline.KeyValue {
	var out []hookline.KeyValue
	for _, i := range sortedKeys(rows) {
		row := rows[i]
		kv := hookline.KeyValue{Key: row["key"], Value: row["value"], Type: hookline.ValueType(row["type"])}
		switch row["secret"] {
		case "yes":
			kv.Secret = ptr(true)
		case "no":
			kv.Secret = ptr(false)
		}
		out = append(out, kv)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// dropBlankRows leaves out the rows with nothing typed in them: a row
// added and left empty is not an error when the webhook is saved or run.
func dropBlankRows(d *hookline.WebhookDefinition) {
	blank := func(kv hookline.KeyValue) bool {
		return strings.TrimSpace(kv.Key) == "" && strings.TrimSpace(kv.Value) == ""
	}
	d.Headers = slices.DeleteFunc(d.Headers, blank)
	d.Params = slices.DeleteFunc(d.Params, blank)
	d.CustomVariables = slices.DeleteFunc(d.CustomVariables, func(v hookline.CustomVariable) bool {
		return strings.TrimSpace(v.Name) == "" && strings.TrimSpace(v.Mapper) == ""
	})
}

// applyRowOp adds or removes a row as the button pressed asks; it reports
// whether op was one of those, and which field to focus next.
func applyRowOp(d *hookline.WebhookDefinition, op string) (focus string, ok bool) {
	switch op {
	case "add:headers":
		d.Headers = append(d.Headers, hookline.KeyValue{Type: hookline.ValueText})
		return fmt.Sprintf("headers[%d].key", len(d.Headers)-1), true
	case "add:params":
		d.Params = append(d.Params, hookline.KeyValue{Type: hookline.ValueText})
		return fmt.Sprintf("params[%d].key", len(d.Params)-1), true
	case "add:custom_variables":
		d.CustomVariables = append(d.CustomVariables, hookline.CustomVariable{})
		return fmt.Sprintf("custom_variables[%d].name", len(d.CustomVariables)-1), true
	}
	list, n, found := strings.Cut(strings.TrimPrefix(op, "remove:"), ":")
	i, err := strconv.Atoi(n)
	if !strings.HasPrefix(op, "remove:") || !found || err != nil || i < 0 {
		return "", false
	}
	switch list {
	case "headers":
		if i < len(d.Headers) {
			d.Headers = slices.Delete(d.Headers, i, i+1)
		}
		return "add:headers", true
	case "params":
		if i < len(d.Params) {
			d.Params = slices.Delete(d.Params, i, i+1)
		}
		return "add:params", true
	case "custom_variables":
		if i < len(d.CustomVariables) {
			d.CustomVariables = slices.Delete(d.CustomVariables, i, i+1)
		}
		return "add:custom_variables", true
	}
	return "", false
}

// formError is the one error a form shows: the services stop at the first
// fault, and name its field.
type formError struct {
	field   string
	message string
	line    int
	column  int
	// placed is set once a rendered input shows the error.
	placed bool
}

// newFormError reads err for a form; prefix is taken off its field (the
// "webhook." of an unsaved run's errors). Internal errors are not for
// forms: nil.
func newFormError(err error, prefix string) *formError {
	if err == nil || hookline.ErrorCode(err) == hookline.CodeInternal {
		return nil
	}
	fe := &formError{field: strings.TrimPrefix(hookline.ErrorField(err), prefix), message: hookline.ErrorMessage(err)}
	var he *hookline.Error
	if errors.As(err, &he) {
		fe.line, fe.column = he.Line, he.Column
	}
	return fe
}

// at returns the error's message when it concerns path, and notes that an
// input shows it.
func (fe *formError) at(path string) string {
	if fe == nil || fe.field != path {
		return ""
	}
	fe.placed = true
	return fe.message
}

// summary is the error as the top of the form shows it: a link to the
// input that shows it, when one does.
type summary struct {
	Message string
	// Target is the id of the input showing the error, "" when none does,
	// and Label that input's label.
	Target, Label string
	Field         string
}

// summary is the error for the top of a form whose inputs are fields.
func (fe *formError) summary(fields ...[]field) *summary {
	if fe == nil {
		return nil
	}
	s := &summary{Message: fe.message, Field: fe.field}
	if !fe.placed {
		return s
	}
	s.Target, s.Label = fieldID(fe.field), fe.field
	for _, group := range fields {
		for _, f := range group {
			if f.Path == fe.field {
				s.Label = f.Label
			}
		}
	}
	return s
}
