package webui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// What the pages of integrations, connections, campaigns and bots share:
// the company picker and filter, errors of lists and groups, confirmation
// pages and the page that shows a new secret once.

// formCompanyID reads the Assign to picker's value: nil when none was
// chosen.
func formCompanyID(v string) (*int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, hookline.Invalid("company_id", "choose a company")
	}
	return &id, nil
}

// companyField is the Assign to picker for a new resource: the companies
// the caller manages, or a company id when there are too many to list.
// Company keys get none (nil companies): their own company is implied.
func companyField(fe *formError, companies []*hookline.Tenant, more bool, selected, hint string) field {
	f := field{Path: "company_id", Label: "Assign to", Type: "select", Required: true, Error: fe.at("company_id"), Hint: hint}
	if more {
		f.Type, f.Label, f.Value = "number", "Assign to (company id)", selected
		return f
	}
	f.Options = append(f.Options, option{Value: "", Label: "Choose a company"})
	for _, c := range companies {
		id := strconv.FormatInt(c.ID, 10)
		f.Options = append(f.Options, option{Value: id, Label: c.Name, Selected: id == selected})
	}
	return f
}

// companyFilter is the options of a list's company filter; nil for a
// company key, whose lists show its own company only.
func companyFilter(companies []*hookline.Tenant, selected int64) []option {
	if companies == nil {
		return nil
	}
	out := []option{{Value: "", Label: "All companies", Selected: selected == 0}}
	for _, c := range companies {
		out = append(out, option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name, Selected: c.ID == selected})
	}
	return out
}

// under returns the error's message when it concerns path or anything in
// it (connections[2], keywords[0]): the error of a group of inputs shown
// once, next to the group.
func (fe *formError) under(path string) string {
	if fe == nil || fe.field != path && !strings.HasPrefix(fe.field, path+"[") && !strings.HasPrefix(fe.field, path+".") {
		return ""
	}
	fe.placed = true
	return fe.message
}

// listOp reads a row button's op: "add:LIST" or "remove:LIST:N".
func listOp(op string) (list string, remove bool, n int, ok bool) {
	if l, found := strings.CutPrefix(op, "add:"); found {
		return l, false, 0, true
	}
	rest, found := strings.CutPrefix(op, "remove:")
	if !found {
		return "", false, 0, false
	}
	l, num, found := strings.Cut(rest, ":")
	i, err := strconv.Atoi(num)
	if !found || err != nil || i < 0 {
		return "", false, 0, false
	}
	return l, true, i, true
}

// confirmPage asks before something is deleted; Error is the service's
// refusal, when the first try was refused.
type confirmPage struct {
	Heading string
	Message string
	Action  string
	Button  string
	Back    string
	Error   string
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request, q *request, status int, v confirmPage) error {
	return s.page(w, r, q, status, "confirm", v.Heading, v)
}

// refusal is the message of an error a page shows next to the action it
// refused (a conflict, a rule of the service); other errors are the
// error page's.
func refusal(err error) (string, bool) {
	switch hookline.ErrorCode(err) {
	case hookline.CodeConflict, hookline.CodeInvalid, hookline.CodeForbidden:
		return hookline.ErrorMessage(err), true
	}
	return "", false
}

// secretsPage shows what a service returned once, when it made a secret:
// the only time the page can show it.
type secretsPage struct {
	Heading string
	Lead    string
	Items   []secretItem
	// Next is where to go once the secrets are kept, and NextLabel its
	// link's text.
	Next, NextLabel string
}

// secretItem is one value of the page, in a read-only input so that it
// is labelled and easy to select.
type secretItem struct {
	ID, Label, Value, Hint string
	Secret                 bool
}

func (s *Server) secrets(w http.ResponseWriter, r *http.Request, q *request, status int, v secretsPage) error {
	return s.page(w, r, q, status, "secrets", v.Heading, v)
}

// connectionIndex maps the codes of the connections the caller sees to
// them (codes are unique across tenants), for the pages that name
// connections by code; more says there were more than maxPicked.
func (s *Server) connectionIndex(ctx context.Context, c *hookline.Caller) (list []*hookline.Connection, byCode map[string]*hookline.Connection, more bool, err error) {
	byCode = map[string]*hookline.Connection{}
	page := hookline.PageRequest{Limit: hookline.MaxPageLimit}
	for {
		p, err := s.connections.FindConnections(ctx, c, 0, page)
		if err != nil {
			return nil, nil, false, err
		}
		for _, conn := range p.Items {
			byCode[conn.Code] = conn
		}
		list = append(list, p.Items...)
		if p.NextCursor == "" {
			return list, byCode, false, nil
		}
		if len(list) >= maxPicked {
			return list, byCode, true, nil
		}
		page.Cursor = p.NextCursor
	}
}

// connectionLabel names a connection for people: its channel and code.
func connectionLabel(t hookline.ConnectionType, code string) string {
	return fmt.Sprintf("%s · %s", channelName(t), code)
}

// channelName is a connection type as people call it.
func channelName(t hookline.ConnectionType) string {
	switch t {
	case hookline.ConnectionSMS:
		return "SMS"
	case hookline.ConnectionWhatsApp:
		return "WhatsApp"
	}
	return string(t)
}
