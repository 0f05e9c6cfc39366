package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/hookline/hookline"
)

// A bot document arrives as JSON or YAML from people and other instances,
// so it is parsed defensively: bounded in size, nesting and node count; in
// YAML, aliases, merge keys, custom tags and more than one document are
// refused (an alias is how a few bytes of YAML expand into gigabytes); in
// both, a key repeated within one object is refused rather than silently
// taking the last value. Both formats are first read into one tree, which
// is then decoded into the document's Go types field by field, so that
// every error names its path as the designer wrote it:
// modules[2].connections[0].to: must be an integer, not a string.

// Bounds of the tree of a document.
const (
	maxDepth = 64
	maxNodes = 200_000
)

// kind is the JSON type of a tree node.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

func (k kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// node is one value of a document: its kind, its scalar text (a string,
// a JSON number literal, true or false) and its items (an array's
// elements, an object's values in the order of keys).
type node struct {
	kind  kind
	text  string
	keys  []string
	items []*node
}

// ParseDocument reads a bot document in the given format (json or yaml)
// into a BotInput. Every error is a CodeInvalid (or, over the size bound,
// CodeTooLarge) *hookline.Error; structural errors name their path.
func ParseDocument(src hookline.BotSource) (*hookline.BotInput, error) {
	root, err := parseTree(src)
	if err != nil {
		return nil, err
	}
	var in hookline.BotInput
	if err := decodeNode(root, reflect.ValueOf(&in).Elem(), ""); err != nil {
		return nil, err
	}
	return &in, nil
}

// parseTree reads a document's bytes into a tree; the root must be an
// object.
func parseTree(src hookline.BotSource) (*node, error) {
	if len(src.Data) > hookline.MaxBotDocumentBytes {
		return nil, hookline.Errorf(hookline.CodeTooLarge, "the bot document exceeds the limit of %d bytes", hookline.MaxBotDocumentBytes)
	}
	if !utf8.Valid(src.Data) {
		return nil, hookline.Invalid("", "the bot document is not valid UTF-8")
	}
	var root *node
	var err error
	switch src.Format {
	case hookline.BotJSON, "":
		root, err = parseJSON(src.Data)
	case hookline.BotYAML:
		root, err = parseYAML(src.Data)
	default:
		return nil, hookline.Invalid("format", "%q is not a bot document format; use json or yaml", src.Format)
	}
	if err != nil {
		return nil, err
	}
	if root.kind != kObject {
		return nil, hookline.Invalid("", "the bot document must be an object, not %s", root.kind)
	}
	return root, nil
}

// budget counts the nodes of one parse.
type budget struct{ nodes int }

func (b *budget) take(depth int) error {
	b.nodes++
	switch {
	case depth > maxDepth:
		return hookline.Invalid("", "the bot document is nested deeper than %d levels", maxDepth)
	case b.nodes > maxNodes:
		return hookline.Invalid("", "the bot document has more than %d values", maxNodes)
	}
	return nil
}

// parseJSON reads one JSON value, and nothing but whitespace after it.
func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	b := &budget{}
	root, err := readJSON(dec, b, 0, "")
	if err != nil {
		return nil, jsonError(err, dec, data)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, hookline.Invalid("", "unexpected data after the JSON value at %s", position(data, dec.InputOffset()))
	}
	return root, nil
}

// jsonError words a JSON reading error with the line and column.
func jsonError(err error, dec *json.Decoder, data []byte) error {
	if hookline.ErrorCode(err) == hookline.CodeInvalid {
		return err
	}
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF) && dec.InputOffset() == 0:
		return hookline.Invalid("", "the bot document is empty; expected a JSON object")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return hookline.Invalid("", "malformed JSON at %s: unexpected end of input", position(data, int64(len(data))))
	case errors.As(err, &syntax):
		// Reading by tokens, the offset is that of the byte at fault.
		return hookline.Invalid("", "malformed JSON at %s: %s", position(data, syntax.Offset), strings.TrimPrefix(syntax.Error(), "json: "))
	}
	return hookline.Invalid("", "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// position describes a byte offset as line and column, from 1.
func position(data []byte, off int64) string {
	line, col := 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}

func readJSON(dec *json.Decoder, b *budget, depth int, path string) (*node, error) {
	if err := b.take(depth); err != nil {
		return nil, err
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	return jsonToken(dec, tok, b, depth, path)
}

func jsonToken(dec *json.Decoder, tok json.Token, b *budget, depth int, path string) (*node, error) {
	switch t := tok.(type) {
	case nil:
		return &node{kind: kNull}, nil
	case bool:
		return &node{kind: kBool, text: strconv.FormatBool(t)}, nil
	case json.Number:
		return &node{kind: kNumber, text: t.String()}, nil
	case string:
		return &node{kind: kString, text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &node{kind: kArray}
			for i := 0; dec.More(); i++ {
				item, err := readJSON(dec, b, depth+1, fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			}
			_, err := dec.Token()
			return n, err
		case '{':
			n := &node{kind: kObject}
			seen := keySet{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				at := join(path, key)
				if !seen.add(key) {
					return nil, hookline.Invalid(at, "the key %q appears twice in one object", key)
				}
				v, err := readJSON(dec, b, depth+1, at)
				if err != nil {
					return nil, err
				}
				n.keys, n.items = append(n.keys, key), append(n.items, v)
			}
			_, err := dec.Token()
			return n, err
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// keySet finds a key repeated within one object in time linear in the
// object's size, however many keys a hostile document gives it.
type keySet map[string]struct{}

// add adds key and reports whether it was new.
func (s keySet) add(key string) bool {
	if _, dup := s[key]; dup {
		return false
	}
	s[key] = struct{}{}
	return true
}

// join appends an object key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// parseYAML reads one YAML document, refusing what could expand it or
// hide what it says: aliases, merge keys, tags other than the core
// schema's, and further documents.
func parseYAML(data []byte) (n *node, err error) {
	// The YAML library recovers its own panics into errors; this guard
	// keeps a panic on hostile input, were one left, from taking the
	// process down with it.
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, hookline.Invalid("", "malformed YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, hookline.Invalid("", "the bot document is empty; expected a YAML mapping")
		}
		return nil, hookline.Invalid("", "malformed YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, hookline.Invalid("", "the bot document holds more than one YAML document; send one")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, hookline.Invalid("", "the bot document is empty; expected a YAML mapping")
	}
	return fromYAML(doc.Content[0], &budget{}, 0, "")
}

func fromYAML(y *yaml.Node, b *budget, depth int, path string) (*node, error) {
	if err := b.take(depth); err != nil {
		return nil, err
	}
	at := func() string {
		if path == "" {
			return fmt.Sprintf("line %d, column %d", y.Line, y.Column)
		}
		return fmt.Sprintf("%s (line %d, column %d)", path, y.Line, y.Column)
	}
	switch y.Kind {
	case yaml.AliasNode:
		return nil, hookline.Invalid(path, "YAML aliases (*%s at line %d) are not supported in bot documents; write the value out", y.Value, y.Line)
	case yaml.SequenceNode:
		n := &node{kind: kArray}
		for i, c := range y.Content {
			item, err := fromYAML(c, b, depth+1, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, item)
		}
		return n, nil
	case yaml.MappingNode:
		n := &node{kind: kObject}
		seen := keySet{}
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			switch {
			case k.Kind == yaml.AliasNode:
				return nil, hookline.Invalid(path, "YAML aliases (*%s at line %d) are not supported in bot documents; write the value out", k.Value, k.Line)
			case k.Kind != yaml.ScalarNode:
				return nil, hookline.Invalid(path, "a key at line %d, column %d is not a plain value: keys must be names", k.Line, k.Column)
			case k.ShortTag() == "!!merge":
				return nil, hookline.Invalid(path, "YAML merge keys (<< at line %d) are not supported in bot documents; write the values out", k.Line)
			}
			key := k.Value
			field := join(path, key)
			if !seen.add(key) {
				return nil, hookline.Invalid(field, "the key %q appears twice in one mapping (line %d)", key, k.Line)
			}
			item, err := fromYAML(v, b, depth+1, field)
			if err != nil {
				return nil, err
			}
			n.keys, n.items = append(n.keys, key), append(n.items, item)
		}
		return n, nil
	case yaml.ScalarNode:
		return yamlScalar(y, path, at)
	}
	return nil, hookline.Invalid(path, "unexpected YAML at %s", at())
}

// yamlScalar converts a scalar by its resolved core-schema tag. A
// timestamp is kept as the text written: documents hold dates as text.
func yamlScalar(y *yaml.Node, path string, at func() string) (*node, error) {
	switch y.ShortTag() {
	case "!!str", "!!timestamp":
		return &node{kind: kString, text: y.Value}, nil
	case "!!null":
		return &node{kind: kNull}, nil
	case "!!bool":
		var v bool
		if err := y.Decode(&v); err != nil {
			return nil, hookline.Invalid(path, "%q at %s is not a boolean", y.Value, at())
		}
		return &node{kind: kBool, text: strconv.FormatBool(v)}, nil
	case "!!int":
		var v int64
		if err := y.Decode(&v); err != nil {
			return nil, hookline.Invalid(path, "the integer %s at %s is out of range", y.Value, at())
		}
		return &node{kind: kNumber, text: strconv.FormatInt(v, 10)}, nil
	case "!!float":
		var v float64
		if err := y.Decode(&v); err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, hookline.Invalid(path, "%s at %s is not a finite number", y.Value, at())
		}
		return &node{kind: kNumber, text: strconv.FormatFloat(v, 'g', -1, 64)}, nil
	}
	return nil, hookline.Invalid(path, "the YAML tag %s at %s is not supported in bot documents", y.Tag, at())
}

// appendJSON writes a tree as compact JSON, keys in their order.
func appendJSON(b []byte, n *node) []byte {
	switch n.kind {
	case kNull:
		return append(b, "null"...)
	case kBool, kNumber:
		return append(b, n.text...)
	case kString:
		return appendString(b, n.text)
	case kArray:
		b = append(b, '[')
		for i, item := range n.items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, item)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for i, k := range n.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		b = appendJSON(b, n.items[i])
	}
	return append(b, '}')
}

// appendString writes s as a JSON string, without HTML escapes.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

var (
	rawType         = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// decodeNode stores n into rv, a settable value of the document's types:
// structs by their JSON names (embedded ones inlined, unknown keys
// refused), slices, string-keyed maps, strings, integers, booleans,
// pointers, json.RawMessage (the subtree as JSON) and json.Unmarshalers.
// null leaves the zero value, as encoding/json does.
func decodeNode(n *node, rv reflect.Value, path string) error {
	t := rv.Type()
	switch {
	case t == rawType:
		if n.kind != kNull {
			rv.SetBytes(appendJSON(nil, n))
		}
		return nil
	case reflect.PointerTo(t).Implements(unmarshalerType) && t.Kind() != reflect.Pointer:
		if err := rv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(appendJSON(nil, n)); err != nil {
			return hookline.Invalid(path, "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return nil
	}
	if n.kind == kNull {
		rv.SetZero()
		return nil
	}
	want := func(what string) error {
		return hookline.Invalid(path, "must be %s, not %s", what, n.kind)
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := decodeNode(n, p.Elem(), path); err != nil {
			return err
		}
		rv.Set(p)
	case reflect.String:
		if n.kind != kString {
			return want("a string")
		}
		rv.SetString(n.text)
	case reflect.Bool:
		if n.kind != kBool {
			return want("a boolean")
		}
		rv.SetBool(n.text == "true")
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n.kind != kNumber {
			return want("an integer")
		}
		v, err := strconv.ParseInt(n.text, 10, 64)
		if err != nil || rv.OverflowInt(v) {
			return hookline.Invalid(path, "must be an integer, not %s", n.text)
		}
		rv.SetInt(v)
	case reflect.Slice:
		if n.kind != kArray {
			return want("an array")
		}
		s := reflect.MakeSlice(t, len(n.items), len(n.items))
		for i, item := range n.items {
			if err := decodeNode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		rv.Set(s)
	case reflect.Map:
		if n.kind != kObject {
			return want("an object")
		}
		m := reflect.MakeMapWithSize(t, len(n.keys))
		for i, k := range n.keys {
			v := reflect.New(t.Elem()).Elem()
			if err := decodeNode(n.items[i], v, join(path, k)); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), v)
		}
		rv.Set(m)
	case reflect.Struct:
		if n.kind != kObject {
			return want("an object")
		}
		fields := fieldsOf(t)
		for i, k := range n.keys {
			idx, ok := fields[k]
			if !ok {
				return hookline.Invalid(join(path, k), "unknown field %q", k)
			}
			if err := decodeNode(n.items[i], rv.FieldByIndex(idx), join(path, k)); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("bot: cannot decode into %s", t)
	}
	return nil
}

// fieldsOf maps a struct's JSON names to their field index paths, with
// embedded structs without a JSON name inlined.
func fieldsOf(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), prefix...), i)
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if name == "" {
				name = f.Name
			}
			out[name] = idx
		}
	}
	walk(t, nil)
	return out
}

// EncodeDocument writes a document in the given format: JSON indented
// with two spaces, or YAML with the same keys in the same order.
func EncodeDocument(doc *hookline.BotDocument, format hookline.BotFormat) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode bot document: %w", err)
	}
	switch format {
	case hookline.BotJSON, "":
		return buf.Bytes(), nil
	case hookline.BotYAML:
		root, err := parseJSON(buf.Bytes())
		if err != nil {
			return nil, fmt.Errorf("encode bot document: %w", err)
		}
		var out bytes.Buffer
		enc := yaml.NewEncoder(&out)
		enc.SetIndent(2)
		if err := enc.Encode(toYAML(root)); err != nil {
			return nil, fmt.Errorf("encode bot document as YAML: %w", err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("encode bot document as YAML: %w", err)
		}
		return out.Bytes(), nil
	}
	return nil, hookline.Invalid("format", "%q is not a bot document format; use json or yaml", format)
}

// toYAML turns a tree into YAML nodes, each scalar tagged with its type
// so that a string such as "true" or "12" stays a string.
func toYAML(n *node) *yaml.Node {
	switch n.kind {
	case kNull:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case kBool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: n.text}
	case kNumber:
		tag := "!!int"
		if strings.ContainsAny(n.text, ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: n.text}
	case kString:
		y := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n.text}
		if strings.Contains(n.text, "\n") {
			y.Style = yaml.LiteralStyle
		}
		return y
	case kArray:
		y := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range n.items {
			y.Content = append(y.Content, toYAML(item))
		}
		return y
	}
	y := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i, k := range n.keys {
		y.Content = append(y.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, toYAML(n.items[i]))
	}
	return y
}
