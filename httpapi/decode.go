package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/hookline/hookline"
)

// decode reads the request body as one JSON value into dst, which must be
// a pointer to a struct. Every handler that takes a body uses it, so every
// bad body gets the same clear errors: too large (413), malformed JSON with
// the byte offset, an unknown field named, a wrong type naming the field
// and the expected type, or data after the value. An empty body is an
// error unless allowEmpty is set.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, dst any, allowEmpty bool) error {
	if r.ContentLength > s.maxBodyBytes {
		return tooLarge(s.maxBodyBytes)
	}
	return decodeFrom(&countingReader{r: http.MaxBytesReader(w, r.Body, s.maxBodyBytes), what: "request body"}, dst, allowEmpty)
}

// Decode reads r as one JSON value into dst, a pointer to a struct, with
// the rules and the errors of a request body (see decode); what names r in
// the errors ("the file"). The CLI reads definition files with it, so that
// a file and a request body that are wrong the same way get the same error.
func Decode(r io.Reader, dst any, what string) error {
	return decodeFrom(&countingReader{r: r, what: what}, dst, false)
}

func decodeFrom(body *countingReader, dst any, allowEmpty bool) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) && allowEmpty {
			return nil
		}
		return decodeError(err, body)
	}
	// Only whitespace may follow the value, up to the end of the body.
	pos := dec.InputOffset()
	rest := io.MultiReader(dec.Buffered(), body)
	buf := make([]byte, 512)
	for {
		n, err := rest.Read(buf)
		for i, c := range buf[:n] {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				return hookline.Invalid("", "unexpected data after the JSON value at %s", body.position(pos+int64(i)))
			}
		}
		pos += int64(n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return decodeError(err, body)
		}
	}
}

func tooLarge(limit int64) error {
	return hookline.Errorf(hookline.CodeTooLarge, "request body exceeds the limit of %d bytes", limit)
}

func decodeError(err error, body *countingReader) error {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return tooLarge(maxErr.Limit)
	case errors.Is(err, io.EOF):
		return hookline.Invalid("", "%s is empty; expected a JSON object", body.what)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hookline.Invalid("", "malformed JSON at %s: unexpected end of input", body.position(body.n))
	case errors.As(err, &syntaxErr):
		// Offset counts the bytes read up to and including the bad one.
		return hookline.Invalid("", "malformed JSON at %s: %s", body.position(syntaxErr.Offset-1), strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return hookline.Invalid("", "%s must be a JSON object, not %s", body.what, typeErr.Value)
		}
		field := jsonPath(typeErr.Field)
		return hookline.Invalid(field, "%s must be %s, not %s", field, jsonType(typeErr.Type), typeErr.Value)
	}
	// encoding/json reports unknown fields only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return hookline.Invalid(name, "unknown field %q", name)
	}
	return hookline.Invalid("", "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonPath drops from an encoding/json field path the names of embedded
// Go structs ("WebhookDefinition.timeout_ms"), which the client never
// wrote. The API's JSON names are lower case; Go type names are not.
func jsonPath(field string) string {
	for {
		head, rest, ok := strings.Cut(field, ".")
		if !ok || head == "" || head[0] < 'A' || head[0] > 'Z' {
			return field
		}
		field = rest
	}
}

// jsonType names the JSON type a Go type decodes from.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// countingReader counts and keeps the bytes read (at most the body limit)
// so that errors can name a line and column besides the byte offset.
type countingReader struct {
	r    io.Reader
	what string // names the input in errors: "request body"
	n    int64
	seen []byte
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.seen = append(c.seen, p[:n]...)
	return n, err
}

// position describes byte offset off (0-based) as "line L, column C (byte
// offset N)", lines and columns counting from 1.
func (c *countingReader) position(off int64) string {
	line, col := 1, 1
	for i := int64(0); i < off && i < int64(len(c.seen)); i++ {
		if c.seen[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d (byte offset %d)", line, col, off)
}
