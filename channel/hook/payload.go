package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/hookline/hookline"
)

// wirePayload is the body of a hook call as it arrives (seed 004). Fields
// outside it are ignored: outside systems send what their platform sends.
// The ids are read raw, so that a number is taken as the id it spells.
type wirePayload struct {
	Message    *wireMessage    `json:"message"`
	From       *wireParty      `json:"from"`
	To         *wireParty      `json:"to"`
	CustomData json.RawMessage `json:"customData"`
}

type wireMessage struct {
	Text        *string         `json:"text"`
	Attachments json.RawMessage `json:"attachments"`
}

type wireParty struct {
	ID json.RawMessage `json:"id"`
}

// DecodePayload reads a hook call's body: one JSON object, at most
// hookline.MaxHookBodyBytes (CodeTooLarge beyond). Malformed JSON, a
// field of the wrong type or data after the object is CodeInvalid naming
// the position or the field; the payload's own rules (ids present, text
// size) are its Validate's, which the service applies.
func DecodePayload(body io.Reader) (hookline.HookPayload, error) {
	var out hookline.HookPayload
	raw, err := io.ReadAll(io.LimitReader(body, hookline.MaxHookBodyBytes+1))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return out, tooLarge()
		}
		return out, hookline.Invalid("", "reading the body: %v", err)
	}
	if len(raw) > hookline.MaxHookBodyBytes {
		return out, tooLarge()
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return out, hookline.Invalid("", "the body is empty; send {\"message\": {\"text\": ...}, \"from\": {\"id\": ...}, \"to\": {\"id\": ...}}")
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return out, hookline.Invalid("", "the body must be a JSON object, not null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var w wirePayload
	if err := dec.Decode(&w); err != nil {
		return out, decodeError(err, raw)
	}
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return out, hookline.Invalid("", "unexpected data after the JSON object at byte offset %d", int64(len(raw)-len(rest)))
	}
	if w.Message != nil {
		if w.Message.Text != nil {
			out.Message.Text = *w.Message.Text
		}
		out.Message.Attachments = w.Message.Attachments
	}
	if out.From.ID, err = partyID("from.id", w.From); err != nil {
		return out, err
	}
	if out.To.ID, err = partyID("to.id", w.To); err != nil {
		return out, err
	}
	out.CustomData = w.CustomData
	return out, nil
}

// partyID reads from.id or to.id: a string, or a number taken as written;
// absent or null is "" (the payload's Validate names it missing).
func partyID(field string, p *wireParty) (string, error) {
	if p == nil {
		return "", nil
	}
	raw := bytes.TrimSpace(p.ID)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", hookline.Invalid(field, "%s must be a string", field)
		}
		return s, nil
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", hookline.Invalid(field, "%s must be a string", field)
		}
		return n.String(), nil
	}
	return "", hookline.Invalid(field, "%s must be a string, not %s", field, jsonKind(raw[0]))
}

func jsonKind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return "this value"
}

func tooLarge() error {
	return hookline.Errorf(hookline.CodeTooLarge, "the body exceeds the limit of %d bytes", hookline.MaxHookBodyBytes)
}

// decodeError names where the body went wrong: the byte offset of a syntax
// error, or the field of a value of the wrong type.
func decodeError(err error, raw []byte) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hookline.Invalid("", "malformed JSON at byte offset %d: unexpected end of input", len(raw))
	case errors.As(err, &syntaxErr):
		return hookline.Invalid("", "malformed JSON at byte offset %d: %s", syntaxErr.Offset-1, strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return hookline.Invalid("", "the body must be a JSON object, not %s", typeErr.Value)
		}
		// Only text is a string; message, from and to are objects. The
		// raw fields take any value.
		want := "an object"
		if typeErr.Type.Kind() == reflect.String {
			want = "a string"
		}
		return hookline.Invalid(typeErr.Field, "%s must be %s, not %s", typeErr.Field, want, typeErr.Value)
	}
	return hookline.Invalid("", "malformed JSON: %s", strings.TrimPrefix(fmt.Sprint(err), "json: "))
}
