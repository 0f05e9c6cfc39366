package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

const sampleJSON = `{
  "company_id": 7,
  "name": "Support",
  "start": 1,
  "modules": [
    {"id": 1, "type": "collector", "key": "email", "prompt": "Your e-mail?", "validate": {"type": "email"},
     "retry_prompt": "That is not an e-mail address.",
     "connections": [{"webhooks": [3, "CRM lookup"], "on_failure": 3, "to": 2}]},
    {"id": 2, "type": "message", "text": {"type": "buttons", "text": "Hi {{certainly.customVariables.name}}", "buttons": [{"title": "ok"}]},
     "overrides": {"sms": "Hi {{certainly.customVariables.name}}, reply OK"},
     "connections": [{"condition": "certainly.reply == 'again'", "to": 1}]},
    {"id": 3, "type": "end", "text": "Bye"}
  ],
  "global_connections": [{"condition": "certainly.reply | lower == 'restart'", "to": 1}],
  "settings": {"idle_timeout": "1h", "error_message": "Oops", "max_steps": 20}
}`

const sampleYAML = `company_id: 7
name: Support
start: 1
modules:
  - id: 1
    type: collector
    key: email
    prompt: Your e-mail?
    validate: {type: email}
    retry_prompt: That is not an e-mail address.
    connections:
      - webhooks: [3, CRM lookup]
        on_failure: 3
        to: 2
  - id: 2
    type: message
    text:
      type: buttons
      text: "Hi {{certainly.customVariables.name}}"
      buttons:
        - title: ok
    overrides:
      sms: "Hi {{certainly.customVariables.name}}, reply OK"
    connections:
      - condition: "certainly.reply == 'again'"
        to: 1
  - id: 3
    type: end
    text: Bye
global_connections:
  - condition: "certainly.reply | lower == 'restart'"
    to: 1
settings:
  idle_timeout: 1h
  error_message: Oops
  max_steps: 20
`

// TestParseJSONAndYAML: the same document in both formats reads the same.
func TestParseJSONAndYAML(t *testing.T) {
	j, err := ParseDocument(hookline.BotSource{Data: []byte(sampleJSON), Format: hookline.BotJSON})
	if err != nil {
		t.Fatal(err)
	}
	y, err := ParseDocument(hookline.BotSource{Data: []byte(sampleYAML), Format: hookline.BotYAML})
	if err != nil {
		t.Fatal(err)
	}
	jb, _ := json.Marshal(j)
	yb, _ := json.Marshal(y)
	if string(jb) != string(yb) {
		t.Fatalf("JSON and YAML differ:\n%s\n%s", jb, yb)
	}
	if *j.CompanyID != 7 || j.Modules[0].Connections[0].Webhooks[1].Name != "CRM lookup" || j.Modules[0].Connections[0].Webhooks[0].ID != 3 {
		t.Fatalf("parsed: %s", jb)
	}
	if string(j.Modules[1].Text) != `{"type":"buttons","text":"Hi {{certainly.customVariables.name}}","buttons":[{"title":"ok"}]}` {
		t.Fatalf("text = %s", j.Modules[1].Text)
	}
	if err := j.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestEncodeRoundTrip: an exported document, JSON or YAML, reads back as
// the same document.
func TestEncodeRoundTrip(t *testing.T) {
	in, err := ParseDocument(hookline.BotSource{Data: []byte(sampleJSON)})
	if err != nil {
		t.Fatal(err)
	}
	in.Modules[2].Text = json.RawMessage(`"Bye\nsee you: {{ certainly.from }}"`)
	in.Modules[0].Validate = &hookline.BotValidation{Type: hookline.ValidateOptions, Options: []string{"true", "12", "null", "- x"}}
	doc := &hookline.BotDocument{BotDefinition: in.BotDefinition, Channels: []hookline.BotChannelDoc{{Name: "web", Type: "webhook", Mode: "sync"}}}
	want, _ := json.Marshal(doc)
	for _, format := range []hookline.BotFormat{hookline.BotJSON, hookline.BotYAML} {
		out, err := EncodeDocument(doc, format)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseDocument(hookline.BotSource{Data: out, Format: format})
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, out)
		}
		got, _ := json.Marshal(&hookline.BotDocument{BotDefinition: back.BotDefinition, Channels: back.Channels})
		if string(got) != string(want) {
			t.Fatalf("%s round trip:\n%s\nwant\n%s\ndocument:\n%s", format, got, want, out)
		}
	}
	y, _ := EncodeDocument(doc, hookline.BotYAML)
	if !strings.Contains(string(y), "- \"true\"") || !strings.Contains(string(y), "text: |-") {
		t.Fatalf("YAML keeps strings quoted and multi-line text literal:\n%s", y)
	}
}

// TestParseErrorsNamePaths: type errors name the path as written.
func TestParseErrorsNamePaths(t *testing.T) {
	cases := []struct {
		format        hookline.BotFormat
		doc           string
		field, inText string
	}{
		{hookline.BotJSON, `{"name": "x", "modules": [{"id": 1}, {"id": 2, "connections": [{"to": "3"}]}]}`, "modules[1].connections[0].to", "must be an integer, not a string"},
		{hookline.BotYAML, "name: x\nmodules:\n  - id: 1\n    connections:\n      - to: [1]\n", "modules[0].connections[0].to", "must be an integer, not an array"},
		{hookline.BotJSON, `{"name": "x", "modules": [{"id": 1, "colour": "red"}]}`, "modules[0].colour", `unknown field "colour"`},
		{hookline.BotJSON, `{"name": "x", "name": "y"}`, "name", `the key "name" appears twice in one object`},
		{hookline.BotYAML, "name: x\nname: y\n", "name", `the key "name" appears twice`},
		{hookline.BotJSON, `{"modules": [{"id": 1.5}]}`, "modules[0].id", "must be an integer, not 1.5"},
		{hookline.BotJSON, `{"modules": [{"connections": [{"webhooks": [true]}]}]}`, "modules[0].connections[0].webhooks[0]", "must be a webhook id (a positive integer) or a webhook name (a string), not true"},
		{hookline.BotJSON, `{"start": 99999999999999999999}`, "start", "must be an integer, not 99999999999999999999"},
		{hookline.BotJSON, `{"name": "x",}`, "", "malformed JSON at line 1, column 14"},
		{hookline.BotJSON, `{"name": "x"} {}`, "", "unexpected data after the JSON value"},
		{hookline.BotJSON, "{\n  \"name\" \"x\"}", "", "malformed JSON at line 2, column 10"},
		{hookline.BotJSON, `[]`, "", "must be an object, not an array"},
		{hookline.BotJSON, ``, "", "is empty"},
		{hookline.BotYAML, ``, "", "is empty"},
		{hookline.BotYAML, "name: [x\n", "", "malformed YAML"},
		{hookline.BotYAML, "- 1\n", "", "must be an object, not an array"},
		{hookline.BotYAML, "name: x\n---\nname: y\n", "", "more than one YAML document"},
	}
	for _, c := range cases {
		_, err := ParseDocument(hookline.BotSource{Data: []byte(c.doc), Format: c.format})
		if hookline.ErrorCode(err) != hookline.CodeInvalid || hookline.ErrorField(err) != c.field || !strings.Contains(hookline.ErrorMessage(err), c.inText) {
			t.Errorf("%s %q: got %v (field %q); want field %q, message with %q", c.format, c.doc, err, hookline.ErrorField(err), c.field, c.inText)
		}
	}
}

// hostile is a table of named inputs meant to hurt a parser: each must be
// refused (or read) quickly, without a panic and within the bounds.
func hostile() []struct {
	name   string
	format hookline.BotFormat
	doc    string
	want   string // a phrase of the error; "" when the input is acceptable
} {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	deepYAML := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	billion := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" +
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n" +
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	return []struct {
		name   string
		format hookline.BotFormat
		doc    string
		want   string
	}{
		{"billion laughs (YAML aliases)", hookline.BotYAML, billion, "aliases"},
		{"alias as a key", hookline.BotYAML, "a: &k name\n*k : x\n", "aliases"},
		{"merge key", hookline.BotYAML, "base: &b {name: x}\nbot:\n  <<: *b\n", "merge keys"},
		{"merge key without alias", hookline.BotYAML, "<<: {name: x}\n", "merge keys"},
		{"deep JSON nesting", hookline.BotJSON, `{"modules": ` + deep + `}`, "nested deeper than 64 levels"},
		{"deep YAML nesting", hookline.BotYAML, "modules: " + deepYAML + "\n", "nested deeper than 64 levels"},
		{"very deep YAML nesting", hookline.BotYAML, "modules: " + strings.Repeat("[", 20000) + "\n", "malformed YAML"},
		{"too many values", hookline.BotJSON, `{"modules": [` + strings.Repeat("0,", maxNodes) + `0]}`, "more than 200000 values"},
		{"over the size limit", hookline.BotJSON, `{"name": "` + strings.Repeat("x", hookline.MaxBotDocumentBytes) + `"}`, "exceeds the limit"},
		{"invalid UTF-8", hookline.BotJSON, "{\"name\": \"\xff\xfe\"}", "not valid UTF-8"},
		{"custom YAML tag", hookline.BotYAML, "name: !!python/object:os.system x\n", "tag"},
		{"binary YAML tag", hookline.BotYAML, "name: !!binary aGVsbG8=\n", "tag"},
		{"YAML infinity", hookline.BotYAML, "start: .inf\n", "not a finite number"},
		{"YAML NaN", hookline.BotYAML, "start: .nan\n", "not a finite number"},
		{"YAML huge integer", hookline.BotYAML, "start: 123456789012345678901234567890\n", "must be an integer"},
		{"YAML complex key", hookline.BotYAML, "? [a, b]\n: x\n", "keys must be names"},
		{"JSON object of 70,000 keys", hookline.BotJSON, manyKeys(70_000, false), "unknown field"},
		{"JSON object of 70,000 keys, the last repeated", hookline.BotJSON, manyKeys(70_000, true), "appears twice"},
		{"JSON duplicate key deep inside", hookline.BotJSON, `{"modules": [{"text": {"a": 1, "a": 2}}]}`, "appears twice"},
		{"JSON NUL in a key", hookline.BotJSON, "{\"na\\u0000me\": 1}", "unknown field"},
		{"JSON huge exponent", hookline.BotJSON, `{"start": 1e999999}`, "must be an integer"},
		{"YAML document of only a comment", hookline.BotYAML, "# nothing\n", "is empty"},
		{"YAML hex integer", hookline.BotYAML, "name: x\nstart: 0x10\n", ""},
		{"YAML date stays text", hookline.BotYAML, "name: 2024-01-02\n", ""},
		{"unknown format", "xml", "<bot/>", "not a bot document format"},
	}
}

// manyKeys is an object of n distinct keys inside text (one of a
// module's fields that is free JSON), the last one repeating the first
// when repeat is set, and an unknown field after it.
func manyKeys(n int, repeat bool) string {
	var b strings.Builder
	b.WriteString(`{"modules": [{"text": {`)
	for i := range n {
		fmt.Fprintf(&b, `"k%d": 0,`, i)
	}
	if repeat {
		b.WriteString(`"k0": 0,`)
	}
	b.WriteString(`"end": 0}}], "nope": 1}`)
	return b.String()
}

func TestHostileDocuments(t *testing.T) {
	for _, c := range hostile() {
		_, err := ParseDocument(hookline.BotSource{Data: []byte(c.doc), Format: c.format})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.want)
		case err != nil && hookline.ErrorCode(err) != hookline.CodeInvalid && hookline.ErrorCode(err) != hookline.CodeTooLarge:
			t.Errorf("%s: code %s (%v), want invalid or too_large", c.name, hookline.ErrorCode(err), err)
		}
	}
	in, err := ParseDocument(hookline.BotSource{Data: []byte("name: 2024-01-02\nstart: 0x10\n"), Format: hookline.BotYAML})
	if err != nil || in.Name != "2024-01-02" || in.Start != 16 {
		t.Fatalf("YAML scalars: %+v, %v", in, err)
	}
}

// FuzzParseDocument: no input panics the parser or breaks its bounds; a
// document it accepts encodes and reads back the same, in both formats.
func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(sampleJSON), false)
	f.Add([]byte(sampleYAML), true)
	for _, c := range hostile() {
		if len(c.doc) < 4096 {
			f.Add([]byte(c.doc), c.format == hookline.BotYAML)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, isYAML bool) {
		format := hookline.BotJSON
		if isYAML {
			format = hookline.BotYAML
		}
		in, err := ParseDocument(hookline.BotSource{Data: data, Format: format})
		if err != nil {
			if c := hookline.ErrorCode(err); c != hookline.CodeInvalid && c != hookline.CodeTooLarge {
				t.Fatalf("error code %s: %v", c, err)
			}
			return
		}
		doc := &hookline.BotDocument{BotDefinition: in.BotDefinition, Channels: in.Channels}
		want, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		for _, out := range []hookline.BotFormat{hookline.BotJSON, hookline.BotYAML} {
			enc, err := EncodeDocument(doc, out)
			if err != nil {
				t.Fatalf("encode %s: %v", out, err)
			}
			back, err := ParseDocument(hookline.BotSource{Data: enc, Format: out})
			if err != nil {
				t.Fatalf("%s does not read back: %v\n%s", out, err, enc)
			}
			got, _ := json.Marshal(&hookline.BotDocument{BotDefinition: back.BotDefinition, Channels: back.Channels})
			if string(got) != string(want) {
				t.Fatalf("%s round trip changed the document:\n%s\n%s", out, got, want)
			}
		}
	})
}
