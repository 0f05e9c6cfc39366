package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/jinja"
)

// Parse parses a response body per the response type:
//
//   - json: ordered objects, integral numbers as int64; an empty body is null.
//   - xml: see ParseXML; an empty body is null.
//   - text: the body as a string.
//
// truncated says the body was cut by the egress cap: a parse failure then
// says so. The error is a *hookline.WebhookError of kind invalid_response.
func Parse(rt hookline.ResponseType, body []byte, truncated bool) (any, error) {
	var (
		v   any
		err error
	)
	switch rt {
	case hookline.ResponseText:
		return string(body), nil
	}
	// A byte order mark is legal before JSON and XML text; the parsers
	// would take it for content.
	body = bytes.TrimPrefix(body, utf8BOM)
	switch rt {
	case hookline.ResponseXML:
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, nil
		}
		v, err = ParseXML(body)
	default:
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, nil
		}
		v, err = jinja.DecodeJSON(body)
	}
	if err == nil {
		return v, nil
	}
	name := "JSON"
	if rt == hookline.ResponseXML {
		name = "XML"
	}
	msg := fmt.Sprintf("the response body is not valid %s: %v", name, err)
	if truncated {
		msg = fmt.Sprintf("the response body was cut after %d bytes (the response size limit), so it is not complete %s: %v", len(body), name, err)
	}
	return nil, &hookline.WebhookError{Kind: hookline.ErrInvalidResponse, Message: msg}
}

// ParseXML turns an XML document into data for the response mappers, in
// the widely used xmltodict convention:
//
//   - the result is an object whose one key is the root element's name:
//     <ticket status="open"><id>388</id></ticket> gives
//     {"ticket": {"@status": "open", "id": "388"}};
//   - attributes become "@name" keys; child elements become keys by name,
//     and a name that repeats becomes a list, in document order;
//   - an element with only text becomes that text as a string (XML has no
//     numbers, so "388" stays a string); an empty element becomes null;
//   - text beside attributes or child elements (mixed content) goes under
//     "#text": each text run trimmed, the runs joined with one space;
//   - names are local names (namespace prefixes dropped) and namespace
//     declarations are not kept; comments and processing instructions are
//     skipped.
func ParseXML(body []byte) (any, error) {
	type frame struct {
		name string
		obj  *jinja.Object // nil until the element has an attribute or a child
		text []string
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = charsetReader
	var (
		stack []*frame
		root  *jinja.Object
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("line %d: %s", se.Line, se.Msg)
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, fmt.Errorf("line %d: a second root element <%s>", lineOf(dec, body), t.Name.Local)
			}
			if len(stack) >= maxXMLDepth {
				return nil, fmt.Errorf("line %d: elements nested deeper than %d levels", lineOf(dec, body), maxXMLDepth)
			}
			f := &frame{name: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				if f.obj == nil {
					f.obj = jinja.NewObject()
				}
				f.obj.Set("@"+a.Name.Local, a.Value)
			}
			stack = append(stack, f)
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("line %d: text outside the root element", lineOf(dec, body))
				}
				continue
			}
			if s := strings.TrimSpace(string(t)); s != "" {
				f := stack[len(stack)-1]
				f.text = append(f.text, s)
			}
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			var v any
			switch {
			case f.obj != nil:
				if len(f.text) > 0 {
					f.obj.Set("#text", strings.Join(f.text, " "))
				}
				v = f.obj
			case len(f.text) > 0:
				v = strings.Join(f.text, " ")
			}
			if len(stack) == 0 {
				root = jinja.NewObject()
				root.Set(f.name, v)
				continue
			}
			parent := stack[len(stack)-1]
			if parent.obj == nil {
				parent.obj = jinja.NewObject()
			}
			// Values are strings, nil or objects until a name repeats, so a
			// list here was made by an earlier repetition.
			switch prev, ok := parent.obj.Get(f.name); {
			case !ok:
				parent.obj.Set(f.name, v)
			case isList(prev):
				parent.obj.Set(f.name, append(prev.([]any), v))
			default:
				parent.obj.Set(f.name, []any{prev, v})
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// maxXMLDepth bounds element nesting as DecodeJSON bounds JSON nesting: no
// real API answers deeper, and a response a megabyte deep would make every
// later walk over the parsed data (mappers, the shown result) costly.
const maxXMLDepth = 1000

// charsetReader decodes the single-byte charsets XML APIs still declare;
// UTF-8 needs no reader.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		out := make([]rune, len(b))
		for i, c := range b {
			out[i] = rune(c)
		}
		return strings.NewReader(string(out)), nil
	}
	return nil, fmt.Errorf("the declared encoding %q is not supported; use UTF-8 or ISO-8859-1", charset)
}

func isList(v any) bool { _, ok := v.([]any); return ok }

func lineOf(dec *xml.Decoder, body []byte) int {
	off := dec.InputOffset()
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	return 1 + bytes.Count(body[:off], []byte("\n"))
}

// Mapped is the outcome of mapping a response.
type Mapped struct {
	// Data is the parsed body (nil when it did not parse).
	Data any
	// Variables holds each custom variable that mapped, as JSON.
	Variables map[string]json.RawMessage
	// Errors lists the variables whose mapper failed; the others still map.
	Errors []hookline.VariableError
	// Err is set when the variables were not mapped: a status of 400 or
	// more (kind http_status) or a body that does not parse as the
	// response type (invalid_response).
	Err *hookline.WebhookError
}

// Map parses a response and evaluates the custom variables on it. A JSON
// or text body is read in the charset its Content-Type declares (see
// declaredText).
//
// A mapper's context holds the parsed body's top-level keys (when the body
// is an object; an XML body's root element name is its one key), plus
// `response` (the whole parsed body), `status` (the HTTP status, a number)
// and `headers` (lower-case name → value) for whichever of those three
// names the body does not define itself: a body's own "status" field is
// what {{status}} usually means. `http` is always the exchange,
// {"status", "headers", "response"}, whatever the body holds.
//
// A mapper that is exactly one {{ expression }} keeps the value's JSON
// type (a number stays a number, objects and lists stay structured, an
// undefined value is null); any other mapper renders a string.
func (c *Compiled) Map(ctx context.Context, status int, header http.Header, body []byte, truncated bool) *Mapped {
	flat := flatHeaders(header)
	return c.mapResponse(ctx, status, flat, c.text(flat, body), truncated)
}

// mapResponse is Map with the headers flattened (see flatHeaders) and the
// body read as text (see Compiled.text), which Run shows as well.
func (c *Compiled) mapResponse(ctx context.Context, status int, header map[string]string, body []byte, truncated bool) *Mapped {
	m := &Mapped{}
	data, perr := Parse(c.def.ResponseType, body, truncated)
	if status >= 400 {
		if perr == nil {
			m.Data = data
		}
		m.Err = &hookline.WebhookError{Kind: hookline.ErrHTTPStatus,
			Message: fmt.Sprintf("the server answered %d %s; custom variables were not mapped", status, http.StatusText(status))}
		return m
	}
	if perr != nil {
		m.Err = perr.(*hookline.WebhookError)
		return m
	}
	m.Data = data
	m.Variables = make(map[string]json.RawMessage, len(c.mappers))
	if len(c.mappers) == 0 {
		return m
	}

	md := mapperData(status, header, data)
	for _, mp := range c.mappers {
		v, err := c.mapOne(ctx, mp, md)
		if err != nil {
			m.Errors = append(m.Errors, hookline.VariableError{Name: mp.name, Message: mp.field + ": " + err.Error()})
			continue
		}
		m.Variables[mp.name] = c.scrubJSON(v)
	}
	return m
}

// mapperData is the mappers' context for a response (see Map): the
// exchange names first, then the body's top-level keys over them, then
// http over everything.
func mapperData(status int, header map[string]string, data any) map[string]any {
	headers := make(map[string]any, len(header))
	for k, v := range header {
		headers[k] = v
	}
	exchange := jinja.NewObject()
	exchange.Set("status", int64(status))
	exchange.Set("headers", headers)
	exchange.Set("response", data)
	md := map[string]any{"response": data, "status": int64(status), "headers": headers}
	if obj, ok := data.(*jinja.Object); ok {
		for _, k := range obj.Keys() {
			md[k], _ = obj.Get(k)
		}
	}
	md["http"] = exchange
	return md
}

// mapOne is the JSON of one mapper's value.
func (c *Compiled) mapOne(ctx context.Context, mp compiledMapper, md map[string]any) ([]byte, error) {
	if !mp.expr {
		s, err := mp.tmpl.Render(ctx, md, c.limits)
		if err != nil {
			return nil, errors.New(templateMessage(err))
		}
		return jinja.AppendString(nil, s), nil
	}
	v, err := mp.tmpl.Eval(ctx, md, c.limits)
	if err != nil {
		return nil, errors.New(templateMessage(err))
	}
	return marshalValue(v)
}

// marshalValue encodes a template value as JSON as jinja.AppendData writes
// render data (no HTML escaping: the values are data, not markup; an
// infinite number as null), undefined as null.
func marshalValue(v any) (json.RawMessage, error) {
	switch x := v.(type) {
	case jinja.Undefined:
		v = nil
	case int:
		v = int64(x)
	}
	out, err := jinja.AppendData(nil, v)
	if err != nil {
		return nil, fmt.Errorf("the value cannot be stored as JSON: %v", err)
	}
	return out, nil
}
