package webhook

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hookline/hookline"
)

// This file turns a template into a definition: the values of its blanks
// filled into their targets.

// sampleDefinition is the definition t makes with a sample value (see
// sampleBlankValue) in each blank that has no default: what a template is
// checked by before it is saved.
func sampleDefinition(t *hookline.WebhookTemplate) (hookline.WebhookDefinition, error) {
	sample := map[string]string{}
	for _, b := range t.Blanks {
		if b.Default == "" {
			sample[b.Name] = sampleBlankValue(b.Target)
		}
	}
	return fill(t, sample)
}

// sampleBlankValue is a value that fills a blank with target in a way the
// definition accepts.
func sampleBlankValue(target string) string {
	switch target {
	case "url":
		return "https://example.com/"
	case "name":
		return "sample"
	case "body":
		return "{}"
	}
	return "sample"
}

// fill returns the template's definition with each blank's Target set from
// values (by blank name), or from the blank's Default. It names every
// required blank left empty ("values.subdomain is required") and any value
// that matches no blank, in one CodeInvalid error. An optional auth blank
// left empty turns authentication off when the auth then lacks its secret
// (a generic template's optional bearer token, say). The definition is not
// validated here.
func fill(t *hookline.WebhookTemplate, values map[string]string) (hookline.WebhookDefinition, error) {
	var problems []string
	field := ""
	note := func(f, format string, args ...any) {
		if field == "" {
			field = f
		}
		problems = append(problems, f+" "+fmt.Sprintf(format, args...))
	}
	known := map[string]bool{}
	for _, b := range t.Blanks {
		known[b.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !known[name] {
			note("values."+name, "matches no blank of this template")
		}
	}

	w := t.Webhook.Clone()
	if w.Name == "" {
		w.Name = t.Name
	}
	emptyOptionalAuth := false
	for _, b := range t.Blanks {
		v, given := values[b.Name]
		if !given || v == "" {
			v = b.Default
		}
		if v == "" {
			if b.Required {
				note("values."+b.Name, "is required (%s)", b.Label)
			} else if strings.HasPrefix(b.Target, "auth.") {
				emptyOptionalAuth = true
			}
			continue
		}
		setTarget(&w, b.Target, v, b.Secret)
	}
	if len(problems) > 0 {
		return hookline.WebhookDefinition{}, &hookline.Error{Code: hookline.CodeInvalid, Field: field, Message: strings.Join(problems, "; ")}
	}
	if emptyOptionalAuth {
		a := w.Auth
		if (a.Type == hookline.AuthBearer && a.Token == "") ||
			(a.Type == hookline.AuthBasic && a.Username == "") ||
			(a.Type == hookline.AuthAPIKey && a.Value == "") {
			w.Auth = hookline.Auth{Type: hookline.AuthNone}
		}
	}
	return w, nil
}

// setTarget sets the field target names to v. A secret blank's header or
// param is marked secret, whatever its name.
func setTarget(w *hookline.WebhookDefinition, target, v string, secret bool) {
	var mark *bool
	if secret {
		mark = &secret
	}
	field, sub, _ := strings.Cut(target, ".")
	switch field {
	case "url":
		w.URL = v
	case "name":
		w.Name = v
	case "body":
		w.Body = v
	case "context_values":
		if w.ContextValues == nil {
			w.ContextValues = map[string]string{}
		}
		w.ContextValues[sub] = v
	case "auth":
		switch sub {
		case "username":
			w.Auth.Username = v
		case "password":
			w.Auth.Password = v
		case "token":
			w.Auth.Token = v
		case "name":
			w.Auth.Name = v
		case "value":
			w.Auth.Value = v
		}
	case "headers":
		for i := range w.Headers {
			if strings.EqualFold(w.Headers[i].Key, sub) {
				w.Headers[i].Value, w.Headers[i].Type = v, hookline.ValueText
				if mark != nil {
					w.Headers[i].Secret = mark
				}
				return
			}
		}
		w.Headers = append(w.Headers, hookline.KeyValue{Key: sub, Value: v, Type: hookline.ValueText, Secret: mark})
	case "params":
		for i := range w.Params {
			if w.Params[i].Key == sub {
				w.Params[i].Value, w.Params[i].Type = v, hookline.ValueText
				if mark != nil {
					w.Params[i].Secret = mark
				}
				return
			}
		}
		w.Params = append(w.Params, hookline.KeyValue{Key: sub, Value: v, Type: hookline.ValueText, Secret: mark})
	}
}

// inTemplate re-roots an *hookline.Error about a definition at the
// template's "webhook" field; other errors, and nil, come back as they are.
func inTemplate(err error) error {
	e, ok := err.(*hookline.Error)
	if !ok {
		return err
	}
	c := *e
	c.Field = "webhook." + c.Field
	return &c
}
