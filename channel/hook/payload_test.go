package hook

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookline/hookline"
)

// parse is what a call's body goes through: the edge's decoding, then the
// payload's rules, which the service applies.
func parse(body string) (hookline.HookPayload, error) {
	p, err := DecodePayload(strings.NewReader(body))
	if err != nil {
		return p, err
	}
	return p, p.Validate()
}

func TestDecodePayload(t *testing.T) {
	p, err := parse(`{"message": {"text": "hi", "attachments": ["https://cdn.example.com/a.png"]},
		"from": {"id": "user-1"}, "to": {"id": "st-xxxx"}, "customData": {"userToken": "xxxx"}, "extra": 1}`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Message.Text != "hi" || p.From.ID != "user-1" || p.To.ID != "st-xxxx" ||
		string(p.Message.Attachments) != `["https://cdn.example.com/a.png"]` || string(p.CustomData) != `{"userToken": "xxxx"}` {
		t.Fatalf("decoded %+v", p)
	}
	// Numeric ids are taken as written; attachments alone are a message.
	p, err = parse(`{"message": {"attachments": []}, "from": {"id": 12345678901234567890}, "to": {"id": -1.50}}`)
	if err != nil || p.From.ID != "12345678901234567890" || p.To.ID != "-1.50" {
		t.Fatalf("numeric ids: %+v, %v", p, err)
	}
	// null stands for absent.
	p, err = parse(`{"message": {"text": "x", "attachments": null}, "from": {"id": "a"}, "to": {"id": "b"}, "customData": null}`)
	if err != nil || p.Message.Attachments != nil || p.CustomData != nil {
		t.Fatalf("nulls: %+v, %v", p, err)
	}
	// Text of exactly 4 KiB passes.
	if _, err := parse(`{"message": {"text": "` + strings.Repeat("é", hookline.MaxHookTextLen/2) + `"}, "from": {"id": "a"}, "to": {"id": "b"}}`); err != nil {
		t.Fatalf("4 KiB of text: %v", err)
	}
}

// TestHostilePayloads is the table of named hostile bodies: each is
// refused with the code and field it deserves.
func TestHostilePayloads(t *testing.T) {
	ok := `"from": {"id": "a"}, "to": {"id": "b"}`
	for _, tc := range []struct {
		name, body string
		code       hookline.Code
		field      string
	}{
		{"empty body", ``, hookline.CodeInvalid, ""},
		{"white space only", " \n\t ", hookline.CodeInvalid, ""},
		{"malformed JSON", `{"message": {"text": "hi"`, hookline.CodeInvalid, ""},
		{"a trailing comma", `{"message": {"text": "hi"}, ` + ok + `,}`, hookline.CodeInvalid, ""},
		{"single quotes", `{'message': {'text': 'hi'}}`, hookline.CodeInvalid, ""},
		{"two objects", `{"message": {"text": "hi"}, ` + ok + `} {}`, hookline.CodeInvalid, ""},
		{"an array", `[{"message": {"text": "hi"}}]`, hookline.CodeInvalid, ""},
		{"a string", `"hi"`, hookline.CodeInvalid, ""},
		{"null", `null`, hookline.CodeInvalid, ""},
		{"message a string", `{"message": "hi", ` + ok + `}`, hookline.CodeInvalid, "message"},
		{"text a number", `{"message": {"text": 42}, ` + ok + `}`, hookline.CodeInvalid, "message.text"},
		{"text an object", `{"message": {"text": {"$ne": ""}}, ` + ok + `}`, hookline.CodeInvalid, "message.text"},
		{"no message", `{` + ok + `}`, hookline.CodeInvalid, "message.text"},
		{"blank text", `{"message": {"text": "  "}, ` + ok + `}`, hookline.CodeInvalid, "message.text"},
		{"text over 4 KiB", `{"message": {"text": "` + strings.Repeat("a", hookline.MaxHookTextLen+1) + `"}, ` + ok + `}`, hookline.CodeInvalid, "message.text"},
		{"text over 4 KiB in escapes", `{"message": {"text": "` + strings.Repeat(`\u00e9`, hookline.MaxHookTextLen/2+1) + `"}, ` + ok + `}`, hookline.CodeInvalid, "message.text"},
		{"text with a lone surrogate", `{"message": {"text": "\ud800"}, ` + ok + `}`, "", ""},
		{"attachments an object", `{"message": {"text": "x", "attachments": {"url": "u"}}, ` + ok + `}`, hookline.CodeInvalid, "message.attachments"},
		{"attachments a string", `{"message": {"text": "x", "attachments": "u"}, ` + ok + `}`, hookline.CodeInvalid, "message.attachments"},
		{"customData an array", `{"message": {"text": "x"}, ` + ok + `, "customData": [1]}`, hookline.CodeInvalid, "customData"},
		{"customData a string", `{"message": {"text": "x"}, ` + ok + `, "customData": "token"}`, hookline.CodeInvalid, "customData"},
		{"no from", `{"message": {"text": "x"}, "to": {"id": "b"}}`, hookline.CodeInvalid, "from.id"},
		{"from without id", `{"message": {"text": "x"}, "from": {}, "to": {"id": "b"}}`, hookline.CodeInvalid, "from.id"},
		{"from.id null", `{"message": {"text": "x"}, "from": {"id": null}, "to": {"id": "b"}}`, hookline.CodeInvalid, "from.id"},
		{"from.id empty", `{"message": {"text": "x"}, "from": {"id": ""}, "to": {"id": "b"}}`, hookline.CodeInvalid, "from.id"},
		{"from.id an object", `{"message": {"text": "x"}, "from": {"id": {"a": 1}}, "to": {"id": "b"}}`, hookline.CodeInvalid, "from.id"},
		{"from.id true", `{"message": {"text": "x"}, "from": {"id": true}, "to": {"id": "b"}}`, hookline.CodeInvalid, "from.id"},
		{"from.id with a newline", `{"message": {"text": "x"}, "from": {"id": "a\nb"}, "to": {"id": "b"}}`, hookline.CodeInvalid, "from.id"},
		{"from.id over 255 bytes", `{"message": {"text": "x"}, "from": {"id": "` + strings.Repeat("a", 256) + `"}, "to": {"id": "b"}}`, hookline.CodeInvalid, "from.id"},
		{"from a string", `{"message": {"text": "x"}, "from": "a", "to": {"id": "b"}}`, hookline.CodeInvalid, "from"},
		{"no to", `{"message": {"text": "x"}, "from": {"id": "a"}}`, hookline.CodeInvalid, "to.id"},
		{"to.id an array", `{"message": {"text": "x"}, "from": {"id": "a"}, "to": {"id": ["b"]}}`, hookline.CodeInvalid, "to.id"},
		{"a body over the limit", `{"message": {"text": "x"}, ` + ok + `, "customData": {"pad": "` + strings.Repeat("p", hookline.MaxHookBodyBytes) + `"}}`, hookline.CodeTooLarge, ""},
		{"deep nesting in customData", `{"message": {"text": "x"}, ` + ok + `, "customData": {"a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`, hookline.CodeInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.body)
			if tc.code == "" {
				// Accepted: the text is replaced, as encoding/json does.
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if hookline.ErrorCode(err) != tc.code || hookline.ErrorField(err) != tc.field {
				t.Fatalf("error %v: code %q field %q, want %q %q", err, hookline.ErrorCode(err), hookline.ErrorField(err), tc.code, tc.field)
			}
			if hookline.ErrorMessage(err) == "" {
				t.Fatal("no message")
			}
		})
	}
}

// FuzzPayload: whatever the body, the parser never panics, refuses only
// with CodeInvalid or CodeTooLarge, and what it accepts keeps the
// payload's rules: ids present, printable and bounded, text bounded and
// UTF-8, attachments an array and customData an object when present.
func FuzzPayload(f *testing.F) {
	f.Add(`{"message": {"text": "hi", "attachments": []}, "from": {"id": "a"}, "to": {"id": "b"}, "customData": {"k": 1}}`)
	f.Add(`{"message": {"text": "hi"}, "from": {"id": 1}, "to": {"id": -2e3}}`)
	f.Add(`{"message": {"text": "\ud800"}, "from": {"id": "\u0000"}, "to": {"id": "b"}}`)
	f.Add(`{"message": null, "from": null, "to": null, "customData": null}`)
	f.Add(`{"message": {"text": 1}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		p, err := parse(body)
		if err != nil {
			if c := hookline.ErrorCode(err); c != hookline.CodeInvalid && c != hookline.CodeTooLarge {
				t.Fatalf("error %v has code %q", err, c)
			}
			return
		}
		for _, id := range []string{p.From.ID, p.To.ID} {
			if strings.TrimSpace(id) == "" || len(id) > hookline.MaxHookIDLen || !utf8.ValidString(id) || strings.ContainsAny(id, "\x00\n\r") {
				t.Fatalf("accepted id %q", id)
			}
		}
		if len(p.Message.Text) > hookline.MaxHookTextLen || !utf8.ValidString(p.Message.Text) {
			t.Fatalf("accepted text of %d bytes", len(p.Message.Text))
		}
		if p.Message.Text == "" && len(p.Message.Attachments) == 0 {
			t.Fatal("accepted a message with neither text nor attachments")
		}
		var list []json.RawMessage
		if p.Message.Attachments != nil && json.Unmarshal(p.Message.Attachments, &list) != nil {
			t.Fatalf("accepted attachments %s", p.Message.Attachments)
		}
		var obj map[string]json.RawMessage
		if p.CustomData != nil && json.Unmarshal(p.CustomData, &obj) != nil {
			t.Fatalf("accepted customData %s", p.CustomData)
		}
		// What is accepted encodes again, as the idempotency hash does.
		if _, err := json.Marshal(p); err != nil {
			t.Fatalf("an accepted payload does not encode: %v", err)
		}
	})
}
