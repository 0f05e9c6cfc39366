package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/webhook"
)

// An integration's body is made of fields (seed 003): each key in dot
// notation nests (multimedia.url makes {"multimedia": {"url": ...}}), a
// trailing [] appends to an array (tags[] twice makes {"tags": [a, b]}),
// and each value is text as written or a variable, a path into the event
// (chatId, multimedia.url, connection.code, campaign.name). The fields
// keep their order in the JSON object. For GET and DELETE they go into the
// query string instead, each under its dotted key.

// fieldKey is a parsed body field key: its segments, and whether the last
// appends to an array.
type fieldKey struct {
	segments []string
	array    bool
}

// parseKey parses a body field key.
func parseKey(key string) (fieldKey, error) {
	var k fieldKey
	if !utf8.ValidString(key) {
		return k, fmt.Errorf("%q is not valid UTF-8", key)
	}
	if strings.HasSuffix(key, "[]") {
		k.array = true
		key = strings.TrimSuffix(key, "[]")
	}
	for _, seg := range strings.Split(key, ".") {
		switch {
		case seg == "":
			return k, fmt.Errorf("%q has an empty name between dots; use dots only to nest, as in multimedia.url", key)
		case strings.ContainsAny(seg, "[]"):
			return k, fmt.Errorf("%q: [] may only end the key, as in tags[]", key)
		case strings.TrimSpace(seg) != seg:
			return k, fmt.Errorf("%q: a name must not start or end with spaces", key)
		}
		for _, r := range seg {
			if r < 0x20 || r == 0x7f {
				return k, fmt.Errorf("%q holds a control character", key)
			}
		}
		k.segments = append(k.segments, seg)
	}
	return k, nil
}

// node is one object member or array of the body being built.
type node struct {
	keys     []string // object members in order
	children map[string]*node
	value    any // a leaf's value
	leaf     bool
	array    bool
	items    []any
}

func newObject() *node { return &node{children: map[string]*node{}} }

// set puts value at k under n, or says why the keys clash.
func (n *node) set(k fieldKey, value any) error {
	cur := n
	for i, seg := range k.segments {
		last := i == len(k.segments)-1
		child, ok := cur.children[seg]
		prefix := strings.Join(k.segments[:i+1], ".")
		switch {
		case !ok:
			switch {
			case !last:
				child = newObject()
			case k.array:
				child = &node{array: true}
			default:
				child = &node{leaf: true}
			}
			cur.children[seg] = child
			cur.keys = append(cur.keys, seg)
		case !last && (child.leaf || child.array):
			return fmt.Errorf("%q is a value already, so nothing can nest under it", prefix)
		case last && k.array && !child.array:
			return fmt.Errorf("%q is a value or an object already, so it cannot be an array too", prefix)
		case last && !k.array && child.array:
			return fmt.Errorf("%q is an array already (%s[]); add to it with %s[]", prefix, prefix, prefix)
		case last && !k.array && child.leaf:
			return fmt.Errorf("%q is set twice", prefix)
		case last && !k.array:
			return fmt.Errorf("%q is an object already (other keys nest under it), so it cannot be a value too", prefix)
		}
		if last {
			if k.array {
				child.items = append(child.items, value)
			} else {
				child.value = value
			}
		}
		cur = child
	}
	return nil
}

// write writes n as JSON, members in order.
func (n *node) write(b *bytes.Buffer) error {
	switch {
	case n.leaf:
		return writeValue(b, n.value)
	case n.array:
		b.WriteByte('[')
		for i, v := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, v); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	b.WriteByte('{')
	for i, k := range n.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeValue(b, k); err != nil {
			return err
		}
		b.WriteByte(':')
		if err := n.children[k].write(b); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeValue(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// CheckBodyFields checks the shape of body fields once their values are
// validated: every key parses, no two keys clash, every variable is a
// path. Errors name the field at fault.
func CheckBodyFields(fields []hookline.BodyField) error {
	root := newObject()
	for i, f := range fields {
		at := fmt.Sprintf("body_fields[%d]", i)
		k, err := parseKey(f.Key)
		if err != nil {
			return hookline.Invalid(at+".key", "%v", err)
		}
		if f.Type == hookline.ValueVariable {
			if err := webhook.CheckContextPath(f.Value); err != nil {
				return hookline.Invalid(at+".value", "%v", err)
			}
		}
		if err := root.set(k, nil); err != nil {
			return hookline.Invalid(at+".key", "%v", err)
		}
	}
	return nil
}

// fieldValue is a field's value against the event: the text, or what the
// variable's path finds (nil when it finds nothing).
func fieldValue(f hookline.BodyField, event any) any {
	if f.Type != hookline.ValueVariable {
		return f.Value
	}
	v, _ := lookup(event, f.Value)
	return v
}

// Body builds the JSON body of fields against an event (as json.Unmarshal
// decodes it into any).
func Body(fields []hookline.BodyField, event any) ([]byte, error) {
	root := newObject()
	for i, f := range fields {
		k, err := parseKey(f.Key)
		if err != nil {
			return nil, hookline.Invalid(fmt.Sprintf("body_fields[%d].key", i), "%v", err)
		}
		if err := root.set(k, fieldValue(f, event)); err != nil {
			return nil, hookline.Invalid(fmt.Sprintf("body_fields[%d].key", i), "%v", err)
		}
	}
	var b bytes.Buffer
	if err := root.write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Query appends fields to a query string, each under its dotted key (a
// [] key once per value): strings as they are, null as empty, other
// values as JSON.
func Query(rawQuery string, fields []hookline.BodyField, event any) string {
	var b strings.Builder
	b.WriteString(rawQuery)
	for _, f := range fields {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(queryText(fieldValue(f, event))))
	}
	return b.String()
}

func queryText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// lookup follows a context path (see webhook.CheckContextPath: names
// joined by dots, [n] and ["key"] steps) into a decoded JSON value.
func lookup(v any, path string) (any, bool) {
	i := 0
	readName := func() string {
		start := i
		for i < len(path) && path[i] != '.' && path[i] != '[' {
			i++
		}
		return path[start:i]
	}
	step := func(name string) bool {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		v, ok = m[name]
		return ok
	}
	if !step(readName()) {
		return nil, false
	}
	for i < len(path) {
		switch path[i] {
		case '.':
			i++
			if !step(readName()) {
				return nil, false
			}
		case '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, false
			}
			inner := path[i+1 : i+end]
			i += end + 1
			if n, err := strconv.Atoi(inner); err == nil {
				a, ok := v.([]any)
				if !ok || n < 0 || n >= len(a) {
					return nil, false
				}
				v = a[n]
				continue
			}
			if len(inner) < 2 || !step(inner[1:len(inner)-1]) {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return v, true
}

// decodeEvent decodes an event for Body and Query, numbers kept exact.
func decodeEvent(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	return v, dec.Decode(&v)
}
