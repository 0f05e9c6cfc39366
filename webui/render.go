package webui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parsePages parses every page of templates/pages with the layout and the
// shared partials, each page into a set of its own, since each defines the
// layout's "content" block.
func parsePages(fsys fs.FS) (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(fsys, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("webui: parse templates: %w", err)
	}
	names, err := fs.Glob(fsys, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("webui: list pages: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("webui: %s: %w", name, err)
		}
		if _, err := t.ParseFS(fsys, name); err != nil {
			return nil, fmt.Errorf("webui: parse %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("webui: %s defines no content block", name)
		}
		pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	for _, need := range []string{"error", "sign-in"} {
		if pages[need] == nil {
			return nil, fmt.Errorf("webui: the %s page is missing", need)
		}
	}
	return pages, nil
}

var funcs = template.FuncMap{
	"fieldID": fieldID,
	"time":    formatTime,
	"ago":     ago,
	"json":    prettyJSON,
	"join":    strings.Join,
	"add":     func(a, b int) int { return a + b },
	"pct": func(f float64) string {
		return fmt.Sprintf("%.0f%%", f*100)
	},
	"ms":    formatMS,
	"add64": func(a, b float64) float64 { return a + b },
	"sub":   func(a, b float64) float64 { return a - b },
	"rowsOf": func(r rows, action, legend, hint string) rowsBlock {
		return rowsBlock{Rows: r, Action: action, Legend: legend, Hint: hint}
	},
	"chartOf": func(c *chart, kind, title string) chartBlock {
		return chartBlock{Chart: c, Kind: kind, Title: title}
	},
	"channel": channelName,
	// statusText names an HTTP status given as text ("404").
	"statusText": func(code string) string {
		n, _ := strconv.Atoi(code)
		return http.StatusText(n)
	},
	// dict makes a template's data of names and values, for partials
	// that take more than one.
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// rowsBlock is a list section of the builder with what its template
// needs besides the rows.
type rowsBlock struct {
	Rows                 rows
	Action, Legend, Hint string
}

// chartBlock is a chart with its kind (its CSS class and id) and title.
type chartBlock struct {
	Chart       *chart
	Kind, Title string
}

// pager links a list's first page (when not on it) and its next one.
type pager struct{ First, Next string }

// fieldID turns a field's path (headers[0].value) into an element id
// (f-headers-0-value), the target of its label and its error's link.
func fieldID(path string) string {
	var b strings.Builder
	b.WriteString("f-")
	dash := false
	for _, r := range path {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func formatTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format("2006-01-02 15:04:05 UTC")
	case *time.Time:
		if v == nil {
			return ""
		}
		return formatTime(*v)
	}
	return ""
}

// ago says how long ago (or, for a future time, in how long) t is, roughly.
func ago(t any) string {
	var at time.Time
	switch v := t.(type) {
	case time.Time:
		at = v
	case *time.Time:
		if v == nil {
			return ""
		}
		at = *v
	}
	if at.IsZero() {
		return ""
	}
	d := time.Since(at)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh", int(d.Hours()))
	default:
		s = fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func formatMS(ms float64) string {
	switch {
	case ms == 0:
		return "0 ms"
	case ms >= 10000:
		return fmt.Sprintf("%.0f s", ms/1000)
	case ms >= 1000:
		return fmt.Sprintf("%.1f s", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

// prettyJSON indents JSON for reading; other text is shown as it is.
func prettyJSON(v any) string {
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case string:
		raw = []byte(x)
	default:
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return string(raw)
	}
	return out.String()
}

// field is one labelled input of a form, with its error.
type field struct {
	// Path is the input's name and the JSON path the services' errors
	// name it by, such as "auth.token" or "headers[1].value".
	Path  string
	Label string
	// Type is the input's type: text, password, number, url, select,
	// textarea, checkbox.
	Type        string
	Value       string
	Options     []option
	Hint        string
	Placeholder string
	Error       string
	Required    bool
	// HideLabel keeps the label for screen readers only, in rows whose
	// columns have visible headings.
	HideLabel bool
	Autofocus bool
	// Mono sets the input in a monospace font (templates, JSON).
	Mono bool
	Rows int
	// Position is the line and column of a template error, with an
	// excerpt of the line, for a pointer under the textarea.
	Position *position
}

// ID is the input's element id.
func (f field) ID() string { return fieldID(f.Path) }

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// position points at a template error in a field's text.
type position struct {
	Line, Column int
	// Text is the line; Before is what precedes the column, so that the
	// page can set the caret under it.
	Text, Before string
}

// positionIn returns the pointer to line and column of text; nil when they
// do not lie in it.
func positionIn(text string, line, column int) *position {
	lines := strings.Split(text, "\n")
	if line < 1 || line > len(lines) {
		return nil
	}
	l := strings.TrimRight(lines[line-1], "\r")
	p := &position{Line: line, Column: column, Text: l}
	runes := []rune(l)
	if column >= 1 && column-1 <= len(runes) {
		p.Before = strings.Map(func(r rune) rune {
			if r == '\t' {
				return '\t'
			}
			return ' '
		}, string(runes[:column-1]))
	}
	return p
}

// pages links a list's first page, when the one shown is not it, and its
// next page, when there is one; pairs are the list's filters, as listURL
// takes them.
func pages(base, cursor, next string, pairs ...string) pager {
	var p pager
	if cursor != "" {
		p.First = listURL(base, pairs...)
	}
	if next != "" {
		p.Next = listURL(base, slices.Concat(pairs, []string{"cursor", next})...)
	}
	return p
}
