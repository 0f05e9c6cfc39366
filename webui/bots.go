package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// botSection is the bots: the list, import (a JSON or YAML document,
// pasted or uploaded) and export, each bot's modules, its webhook
// channels, and a console to talk to it.
func (s *Server) botSection() section {
	p := Prefix + "bots"
	return section{label: "Bots", path: p, routes: []route{
		{pattern: "GET " + p, handle: s.listBots},
		{pattern: "GET " + p + "/import", handle: s.importForm},
		{pattern: "POST " + p + "/import", handle: s.importBot},
		{pattern: "GET " + p + "/{id}", handle: s.showBot},
		{pattern: "GET " + p + "/{id}/export", handle: s.exportBot},
		{pattern: "GET " + p + "/{id}/delete", handle: s.confirmDeleteBot},
		{pattern: "POST " + p + "/{id}/delete", handle: s.deleteBot},
		{pattern: "GET " + p + "/{id}/try", handle: s.tryPage},
		{pattern: "POST " + p + "/{id}/try", handle: s.tryBot},
		{pattern: "GET " + p + "/{id}/channels", handle: s.botChannels},
		{pattern: "POST " + p + "/{id}/channels", handle: s.createChannel},
	}}
}

// botList is the list page.
type botList struct {
	Rows      []botRow
	Pager     pager
	Companies []option
	Company   int64
}

type botRow struct {
	*hookline.Bot
	CompanyName string
}

func (s *Server) listBots(w http.ResponseWriter, r *http.Request, q *request) error {
	companyID, cursor, err := companyPage(r)
	if err != nil {
		return err
	}
	p, err := s.bots.FindBots(r.Context(), q.caller, companyID, hookline.PageRequest{Cursor: cursor})
	if err != nil {
		return err
	}
	companies, _, err := s.companies(r.Context(), q.caller)
	if err != nil {
		return err
	}
	names := companyNames(companies)
	v := botList{Company: companyID, Companies: companyFilter(companies, companyID)}
	for _, b := range p.Items {
		v.Rows = append(v.Rows, botRow{Bot: b, CompanyName: names[b.CompanyID]})
	}
	v.Pager = pages(Prefix+"bots", cursor, p.NextCursor, "company_id", idParam(companyID))
	return s.page(w, r, q, http.StatusOK, "bots", "Bots", v)
}

// importView is the import form.
type importView struct {
	Error  *summary
	Fields []field
}

// importPosted is what the import form sent, to show back.
type importPosted struct {
	company, format, document string
}

func (s *Server) importForm(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.importPage(w, r, q, http.StatusOK, importPosted{}, nil)
}

// importPage renders the import form; err is the service's answer to
// what was posted. An error inside the document (its field a document
// path such as modules[2].text) shows next to the document, naming the
// path.
func (s *Server) importPage(w http.ResponseWriter, r *http.Request, q *request, status int, in importPosted, err error) error {
	companies, more, cerr := s.companies(r.Context(), q.caller)
	if cerr != nil {
		return cerr
	}
	fe := newFormError(err, "")
	if fe != nil && fe.field != "format" && (fe.field != "company_id" || companies == nil) {
		msg := fe.message
		if fe.field != "" {
			msg = fe.field + ": " + msg
		}
		fe = &formError{field: "document", message: msg}
	}
	var v importView
	if companies != nil {
		v.Fields = append(v.Fields, companyField(fe, companies, more, in.company, "The company the bot belongs to; its webhooks are looked up there by name."))
	}
	format := field{Path: "format", Label: "Format", Type: "select", Error: fe.at("format"),
		Options: choose([]option{{Value: "", Label: "Tell from the file or the text"}, {Value: "json", Label: "JSON"}, {Value: "yaml", Label: "YAML"}}, in.format)}
	file := field{Path: "file", Label: "Upload a file", Type: "file", Hint: "A .json, .yaml or .yml file, such as an export. It takes the place of the text below."}
	doc := field{Path: "document", Label: "Bot document", Type: "textarea", Rows: 16, Mono: true, Value: in.document, Error: fe.at("document"),
		Placeholder: "name: Tickets\nstart: 1\nmodules:\n  - id: 1\n    type: end\n    text: Hello!",
		Hint:        "Or paste the document here, as exported: name, start, modules, global_connections, settings, channels. Webhooks are named by their names."}
	v.Fields = append(v.Fields, format, file, doc)
	v.Error = fe.summary(v.Fields)
	return s.page(w, r, q, status, "bot-import", "Import a bot", v)
}

// importBot creates a bot from an uploaded or pasted document.
func (s *Server) importBot(w http.ResponseWriter, r *http.Request, q *request) error {
	// The CSRF check has parsed the form (multipart, within the body's
	// bound).
	if err := r.ParseMultipartForm(s.maxBodyBytes); err != nil && err != http.ErrNotMultipart {
		return err
	}
	in := importPosted{company: r.PostFormValue("company_id"), format: r.PostFormValue("format"), document: r.PostFormValue("document")}
	name := ""
	if f, h, err := r.FormFile("file"); err == nil {
		data, rerr := io.ReadAll(io.LimitReader(f, hookline.MaxBotDocumentBytes+1))
		f.Close()
		if rerr != nil {
			return rerr
		}
		if len(bytes.TrimSpace(data)) > 0 {
			in.document, name = string(data), h.Filename
		}
	}
	src := hookline.BotSource{Data: []byte(in.document), Format: hookline.BotFormat(in.format)}
	if src.Format == "" {
		src.Format = detectFormat(name, in.document)
	}
	companyID, err := formCompanyID(in.company)
	if err != nil {
		return s.importPage(w, r, q, statusOf(err), in, err)
	}
	src.CompanyID = companyID
	b, err := s.bots.CreateBot(r.Context(), q.caller, src)
	if err != nil {
		if newFormError(err, "") == nil {
			return err
		}
		return s.importPage(w, r, q, statusOf(err), in, err)
	}
	return redirect(w, r, fmt.Sprintf("%sbots/%d?notice=bot-imported", Prefix, b.ID))
}

// detectFormat tells a document's format by its file's name, or else by
// its first character: a JSON document is an object.
func detectFormat(name, text string) hookline.BotFormat {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return hookline.BotJSON
	case ".yaml", ".yml":
		return hookline.BotYAML
	}
	if strings.HasPrefix(strings.TrimSpace(text), "{") {
		return hookline.BotJSON
	}
	return hookline.BotYAML
}

// botTabs is the navigation of a bot's pages.
type botTabs struct {
	Bot *hookline.Bot
	Tab string
	// CompanyName names the bot's company for agencies and the operator.
	CompanyName string
}

// botPage is a bot's overview: its settings and modules.
type botPage struct {
	Head     botTabs
	Modules  []moduleRow
	Global   []string
	Settings []pair
}

// moduleRow is a module as the overview lists it.
type moduleRow struct {
	ID          int64
	Type        hookline.ModuleType
	Start       bool
	Says        string
	Collects    string
	Overrides   int
	Connections []string
}

// storedBot is a bot with its company's name.
func (s *Server) storedBot(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Bot, string, error) {
	b, err := s.bots.FindBot(ctx, c, id)
	if err != nil {
		return nil, "", err
	}
	var company string
	if c.IsAdmin() || c.Tenant.ID != b.CompanyID {
		if t, err := s.tenants.FindTenant(ctx, c, b.CompanyID); err == nil {
			company = t.Name
		}
	}
	return b, company, nil
}

func (s *Server) showBot(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "bot")
	if err != nil {
		return err
	}
	b, company, err := s.storedBot(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	names, _, _, err := s.webhookChoices(r.Context(), q.caller)
	if err != nil {
		return err
	}
	v := botPage{Head: botTabs{Bot: b, Tab: "overview", CompanyName: company}}
	for _, m := range b.Modules {
		row := moduleRow{ID: m.ID, Type: m.Type, Start: m.ID == b.Start, Overrides: len(m.Overrides)}
		switch m.Type {
		case hookline.ModuleCollector:
			row.Says = textOf(m.Prompt)
			if m.Validate != nil {
				row.Collects = fmt.Sprintf("%s (%s)", m.Key, m.Validate.Type)
			}
		default:
			row.Says = textOf(m.Text)
		}
		for _, c := range m.Connections {
			row.Connections = append(row.Connections, connectionSummary(c, names))
		}
		v.Modules = append(v.Modules, row)
	}
	for _, c := range b.GlobalConnections {
		v.Global = append(v.Global, connectionSummary(c, names))
	}
	st := b.Settings
	v.Settings = []pair{
		{"Idle timeout", orDefault(st.IdleTimeout, hookline.DefaultBotIdleTimeout.String())},
		{"Error message", orDefault(st.ErrorMessage, hookline.DefaultBotErrorMessage)},
		{"Max steps per message", strconv.Itoa(max(st.MaxSteps, 0))},
	}
	if st.MaxSteps == 0 {
		v.Settings[2].Value = strconv.Itoa(hookline.DefaultBotMaxSteps)
	}
	return s.page(w, r, q, http.StatusOK, "bot", b.Name, v)
}

// maxShownText bounds a module's text in the overview.
const maxShownText = 240

// textOf shows a module's text: a string as it is, a template message as
// compact JSON, either cut to maxShownText.
func textOf(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var buf bytes.Buffer
		if json.Compact(&buf, raw) != nil {
			s = string(raw)
		} else {
			s = buf.String()
		}
	}
	if r := []rune(s); len(r) > maxShownText {
		s = string(r[:maxShownText]) + "…"
	}
	return s
}

// connectionSummary says where a connection leads: "→ 3 when cond; runs
// Ticket lookup; on failure → 9".
func connectionSummary(c hookline.BotConnection, names map[int64]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "→ %d", c.To)
	if c.Condition != "" {
		fmt.Fprintf(&b, " when %s", c.Condition)
	}
	if len(c.Webhooks) > 0 {
		var hooks []string
		for _, w := range c.Webhooks {
			if n, ok := names[w.ID]; ok {
				hooks = append(hooks, n)
			} else {
				hooks = append(hooks, w.String())
			}
		}
		fmt.Fprintf(&b, "; runs %s", strings.Join(hooks, ", "))
	}
	if c.OnFailure != 0 {
		fmt.Fprintf(&b, "; on failure → %d", c.OnFailure)
	}
	return b.String()
}

// exportBot downloads a bot's document as JSON or YAML.
func (s *Server) exportBot(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "bot")
	if err != nil {
		return err
	}
	format := hookline.BotFormat(r.URL.Query().Get("format"))
	if format == "" {
		format = hookline.BotJSON
	}
	b, err := s.bots.FindBot(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	doc, err := s.bots.ExportBot(r.Context(), q.caller, id, format)
	if err != nil {
		return err
	}
	ctype := "application/json"
	if format == hookline.BotYAML {
		ctype = "application/yaml"
	}
	w.Header().Set("Content-Type", ctype+"; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, fileName(b.Name, id), format))
	_, err = w.Write(doc)
	return err
}

// fileName makes a download's name of a bot's name: letters, digits and
// dashes only, so that no name can break the header.
func fileName(name string, id int64) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return fmt.Sprintf("bot-%d", id)
	}
	return out
}

func (s *Server) confirmDeleteBot(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "bot")
	if err != nil {
		return err
	}
	b, err := s.bots.FindBot(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	return s.confirm(w, r, q, http.StatusOK, confirmPage{
		Heading: "Delete " + b.Name + "?",
		Message: "The bot is deleted for good, with its sessions and its webhook channels: outside systems calling them get 404. Export it first to keep its document.",
		Action:  fmt.Sprintf("%sbots/%d/delete", Prefix, id), Button: "Delete bot", Back: fmt.Sprintf("%sbots/%d", Prefix, id),
	})
}

func (s *Server) deleteBot(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "bot")
	if err != nil {
		return err
	}
	if err := s.bots.DeleteBot(r.Context(), q.caller, id); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"bots?notice=bot-deleted")
}

// tryView is the try console: a message to send, and the session's
// steps so far.
type tryConsole struct {
	Head    botTabs
	Fields  []field
	Error   *summary
	Session *hookline.BotSession
	Steps   []tryStep
}

// tryStep is one message of the session and the bot's answers.
type tryStep struct {
	hookline.BotStep
	Said []string
}

func (s *Server) tryPage(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "bot")
	if err != nil {
		return err
	}
	sessionID, _ := strconv.ParseInt(r.URL.Query().Get("session"), 10, 64)
	return s.tryConsolePage(w, r, q, http.StatusOK, id, sessionID, "", r.URL.Query().Get("from"), nil)
}

// tryConsolePage renders the console with session sessionID's steps.
func (s *Server) tryConsolePage(w http.ResponseWriter, r *http.Request, q *request, status int, id, sessionID int64, text, from string, err error) error {
	b, company, berr := s.storedBot(r.Context(), q.caller, id)
	if berr != nil {
		return berr
	}
	fe := newFormError(err, "")
	v := tryConsole{Head: botTabs{Bot: b, Tab: "try", CompanyName: company}}
	v.Fields = []field{
		{Path: "text", Label: "Message", Type: "text", Value: text, Error: fe.at("text"), Autofocus: true, Placeholder: "Hello"},
		{Path: "from", Label: "User id", Type: "text", Value: orDefault(from, "try"), Error: fe.at("from"), Mono: true,
			Hint: "Each user id has a session of its own; change it to start a fresh one."},
	}
	v.Error = fe.summary(v.Fields)
	if sessionID != 0 {
		sess, serr := s.bots.FindBotSession(r.Context(), q.caller, sessionID)
		if serr == nil && sess.BotID == id {
			v.Session = sess
			for _, st := range sess.History {
				ts := tryStep{BotStep: st}
				for _, raw := range st.Replies {
					ts.Said = append(ts.Said, textOf(raw))
				}
				v.Steps = append(v.Steps, ts)
			}
		}
	}
	return s.page(w, r, q, status, "bot-try", "Try "+b.Name, v)
}

// tryBot sends a message to the bot as the builder's test console.
func (s *Server) tryBot(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "bot")
	if err != nil {
		return err
	}
	text, from := r.PostFormValue("text"), strings.TrimSpace(r.PostFormValue("from"))
	reply, err := s.bots.TryBot(r.Context(), q.caller, id, hookline.BotTryInput{Text: &text, From: from})
	if err != nil {
		if newFormError(err, "") == nil || hookline.ErrorCode(err) == hookline.CodeNotFound {
			return err
		}
		sessionID, _ := strconv.ParseInt(r.PostFormValue("session"), 10, 64)
		return s.tryConsolePage(w, r, q, statusOf(err), id, sessionID, text, from, err)
	}
	return redirect(w, r, listURL(fmt.Sprintf("%sbots/%d/try", Prefix, id), "session", strconv.FormatInt(reply.SessionID, 10), "from", from)+"#console")
}
