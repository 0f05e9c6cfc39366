package integration

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

var sampleEvent = []byte(`{"chatId": 42, "contact": "+15551234", "event": "MESSAGE", "text": "hi \"there\"",
	"multimedia": {"url": "https://m.example/a.jpg", "caption": "look", "content_type": "image/jpeg"},
	"connection": {"type": "sms", "code": "shop"}, "timestamp": "2026-01-02T03:04:05Z", "campaign": {"id": 7, "name": "Spring"}}`)

func sampleEventValue(t testing.TB) any {
	v, err := decodeEvent(sampleEvent)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBodyDefaultFields(t *testing.T) {
	b, err := Body(hookline.DefaultBodyFields(), sampleEventValue(t))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"chatId":42,"contact":"+15551234","event":"MESSAGE","text":"hi \"there\"","multimedia":{"url":"https://m.example/a.jpg","caption":"look"}}`
	if string(b) != want {
		t.Fatalf("body\n%s\nwant\n%s", b, want)
	}
}

func TestBodyNestingArraysAndText(t *testing.T) {
	fields := []hookline.BodyField{
		{Key: "z", Value: "first", Type: hookline.ValueText},
		{Key: "meta.source", Value: "connection.type", Type: hookline.ValueVariable},
		{Key: "tags[]", Value: "support", Type: hookline.ValueText},
		{Key: "meta.campaign", Value: "campaign.name", Type: hookline.ValueVariable},
		{Key: "tags[]", Value: "chatId", Type: hookline.ValueVariable},
		{Key: "missing", Value: "nothing.here", Type: hookline.ValueVariable},
		{Key: "whole", Value: "connection", Type: hookline.ValueVariable},
		{Key: "a.b.c[]", Value: "<&>", Type: hookline.ValueText},
	}
	if err := CheckBodyFields(fields); err != nil {
		t.Fatal(err)
	}
	b, err := Body(fields, sampleEventValue(t))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"z":"first","meta":{"source":"sms","campaign":"Spring"},"tags":["support",42],"missing":null,"whole":{"code":"shop","type":"sms"},"a":{"b":{"c":["<&>"]}}}`
	if string(b) != want {
		t.Fatalf("body\n%s\nwant\n%s", b, want)
	}
	q := Query("k=1", fields, sampleEventValue(t))
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	if v.Get("k") != "1" || v.Get("meta.source") != "sms" || strings.Join(v["tags[]"], ",") != "support,42" || v.Get("missing") != "" ||
		v.Get("whole") != `{"code":"shop","type":"sms"}` || v.Get("a.b.c[]") != "<&>" {
		t.Fatalf("query %s", q)
	}
}

// hostileFields are body field sets refused at save, each naming the
// field at fault.
var hostileFields = []struct {
	name   string
	fields []hookline.BodyField
	field  string
}{
	{"empty segment", []hookline.BodyField{{Key: "a..b", Value: "x"}}, "body_fields[0].key"},
	{"leading dot", []hookline.BodyField{{Key: ".a", Value: "x"}}, "body_fields[0].key"},
	{"brackets inside", []hookline.BodyField{{Key: "a[].b", Value: "x"}}, "body_fields[0].key"},
	{"index brackets", []hookline.BodyField{{Key: "a[0]", Value: "x"}}, "body_fields[0].key"},
	{"only brackets", []hookline.BodyField{{Key: "[]", Value: "x"}}, "body_fields[0].key"},
	{"control character", []hookline.BodyField{{Key: "a\x01", Value: "x"}}, "body_fields[0].key"},
	{"value then nest", []hookline.BodyField{{Key: "a", Value: "x"}, {Key: "a.b", Value: "y"}}, "body_fields[1].key"},
	{"nest then value", []hookline.BodyField{{Key: "a.b", Value: "x"}, {Key: "a", Value: "y"}}, "body_fields[1].key"},
	{"array then value", []hookline.BodyField{{Key: "a[]", Value: "x"}, {Key: "a", Value: "y"}}, "body_fields[1].key"},
	{"value then array", []hookline.BodyField{{Key: "a", Value: "x"}, {Key: "a[]", Value: "y"}}, "body_fields[1].key"},
	{"twice", []hookline.BodyField{{Key: "a", Value: "x"}, {Key: "a", Value: "y"}}, "body_fields[1].key"},
	{"variable filter", []hookline.BodyField{{Key: "a", Value: "text|upper", Type: hookline.ValueVariable}}, "body_fields[0].value"},
	{"variable call", []hookline.BodyField{{Key: "a", Value: "text()", Type: hookline.ValueVariable}}, "body_fields[0].value"},
	{"variable template", []hookline.BodyField{{Key: "a", Value: "{{text}}", Type: hookline.ValueVariable}}, "body_fields[0].value"},
}

func TestHostileBodyFields(t *testing.T) {
	for _, h := range hostileFields {
		t.Run(h.name, func(t *testing.T) {
			err := CheckBodyFields(h.fields)
			if hookline.ErrorCode(err) != hookline.CodeInvalid || hookline.ErrorField(err) != h.field {
				t.Fatalf("error %v (field %q), want invalid %s", err, hookline.ErrorField(err), h.field)
			}
		})
	}
}

func FuzzBody(f *testing.F) {
	f.Add("multimedia.url", "multimedia.url", true, "tags[]", "x", false)
	f.Add("a", "text", true, "a.b", "y", false)
	f.Add("a[]", `campaign["name"]`, true, "a[]", "chatId", true)
	f.Fuzz(func(t *testing.T, k1, v1 string, var1 bool, k2, v2 string, var2 bool) {
		typ := func(v bool) hookline.ValueType {
			if v {
				return hookline.ValueVariable
			}
			return hookline.ValueText
		}
		fields := []hookline.BodyField{{Key: k1, Value: v1, Type: typ(var1)}, {Key: k2, Value: v2, Type: typ(var2)}}
		ev := sampleEventValue(t)
		if err := CheckBodyFields(fields); err != nil {
			return
		}
		b, err := Body(fields, ev)
		if err != nil {
			t.Fatalf("checked fields %+v fail to build: %v", fields, err)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("body %q is not a JSON object: %v", b, err)
		}
		if _, err := url.ParseQuery(Query("", fields, ev)); err != nil {
			t.Fatalf("query does not parse: %v", err)
		}
	})
}
