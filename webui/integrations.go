package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// integrationSection is the Custom Webhook integrations of seed 003: their
// cards with Start ▶ and Stop, the form that creates and edits them, and
// each one's details (connections, API details, Try Out, campaigns).
func (s *Server) integrationSection() section {
	p := Prefix + "integrations"
	return section{label: "Integrations", path: p, routes: []route{
		{pattern: "GET " + p, handle: s.listIntegrations},
		{pattern: "GET " + p + "/new", handle: s.newIntegration},
		{pattern: "POST " + p + "/new", handle: s.postNewIntegration},
		{pattern: "GET " + p + "/{id}", handle: s.showIntegration},
		{pattern: "GET " + p + "/{id}/edit", handle: s.editIntegration},
		{pattern: "POST " + p + "/{id}/edit", handle: s.postIntegration},
		{pattern: "POST " + p + "/{id}/start", handle: s.startIntegration},
		{pattern: "POST " + p + "/{id}/stop", handle: s.stopIntegration},
		{pattern: "GET " + p + "/{id}/delete", handle: s.confirmDeleteIntegration},
		{pattern: "POST " + p + "/{id}/delete", handle: s.deleteIntegration},
		{pattern: "POST " + p + "/{id}/reply-token", handle: s.rotateReplyToken},
		{pattern: "POST " + p + "/{id}/try", handle: s.tryOut},
	}}
}

// integrationList is the page of cards.
type integrationList struct {
	Cards     []integrationCard
	Pager     pager
	Companies []option
	Company   int64
	// Error is a refused action whose card is not on the page.
	Error string
}

// integrationCard is one card: what seed 003's cards show, and the
// refusal of the last action on it.
type integrationCard struct {
	*hookline.Integration
	CompanyName string
	Badges      []connBadge
	// Campaigns are listed for integrations without connections, the
	// ones chatbot campaigns use; MoreCampaigns says there are others.
	Campaigns     []*hookline.IntegrationCampaign
	MoreCampaigns bool
	Error         string
}

// connBadge is a connection's icon on a card.
type connBadge struct {
	Type  hookline.ConnectionType
	Code  string
	Label string
}

// maxCardCampaigns bounds the campaigns a card's dialog lists; the
// details page pages through all of them.
const maxCardCampaigns = 20

func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.integrationCards(w, r, q, http.StatusOK, 0, "")
}

// integrationCards renders the cards; failed and msg are a refused action
// on one card, shown on it.
func (s *Server) integrationCards(w http.ResponseWriter, r *http.Request, q *request, status int, failed int64, msg string) error {
	ctx := r.Context()
	companyID, cursor, err := companyPage(r)
	if err != nil {
		return err
	}
	if r.Method != http.MethodGet {
		companyID, cursor = 0, ""
	}
	p, err := s.integrations.FindIntegrations(ctx, q.caller, companyID, hookline.PageRequest{Cursor: cursor})
	if err != nil {
		return err
	}
	companies, _, err := s.companies(ctx, q.caller)
	if err != nil {
		return err
	}
	_, byCode, _, err := s.connectionIndex(ctx, q.caller)
	if err != nil {
		return err
	}
	names := companyNames(companies)
	v := integrationList{Company: companyID, Companies: companyFilter(companies, companyID), Error: msg}
	for _, i := range p.Items {
		c := integrationCard{Integration: i, CompanyName: names[i.CompanyID]}
		for _, code := range i.Connections {
			b := connBadge{Code: code, Label: code}
			if conn := byCode[code]; conn != nil {
				b.Type, b.Label = conn.Type, connectionLabel(conn.Type, code)
			}
			c.Badges = append(c.Badges, b)
		}
		if len(i.Connections) == 0 {
			cp, err := s.integrations.FindIntegrationCampaigns(ctx, q.caller, i.ID, hookline.PageRequest{Limit: maxCardCampaigns})
			if err != nil {
				return err
			}
			c.Campaigns, c.MoreCampaigns = cp.Items, cp.NextCursor != ""
		}
		if i.ID == failed {
			c.Error, v.Error = msg, ""
		}
		v.Cards = append(v.Cards, c)
	}
	v.Pager = pages(Prefix+"integrations", cursor, p.NextCursor, "company_id", idParam(companyID))
	return s.page(w, r, q, status, "integrations", "Integrations", v)
}

// integrationAction starts or stops an integration from its card: a
// refusal (Stop while a live campaign uses it) shows on the card.
func (s *Server) integrationAction(w http.ResponseWriter, r *http.Request, q *request, act func(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Integration, error), notice string) error {
	id, err := pathID(r, "integration")
	if err != nil {
		return err
	}
	if _, err := act(r.Context(), q.caller, id); err != nil {
		if msg, ok := refusal(err); ok {
			return s.integrationCards(w, r, q, statusOf(err), id, msg)
		}
		return err
	}
	if r.PostFormValue("return") == "details" {
		return redirect(w, r, fmt.Sprintf("%sintegrations/%d?notice=%s", Prefix, id, notice))
	}
	return redirect(w, r, fmt.Sprintf("%sintegrations?notice=%s#integration-%d", Prefix, notice, id))
}

func (s *Server) startIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.integrationAction(w, r, q, s.integrations.StartIntegration, "integration-started")
}

func (s *Server) stopIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.integrationAction(w, r, q, s.integrations.StopIntegration, "integration-stopped")
}

// integrationForm renders the form for st; id is 0 for a new integration.
func (s *Server) integrationForm(w http.ResponseWriter, r *http.Request, q *request, status int, st *integrationState, id int64, company string) error {
	ctx := r.Context()
	if st.available == nil {
		list, _, _, err := s.connectionIndex(ctx, q.caller)
		if err != nil {
			return err
		}
		st.available = list
	}
	if st.companies == nil && id == 0 {
		companies, more, err := s.companies(ctx, q.caller)
		if err != nil {
			return err
		}
		st.companies, st.more = companies, more
	}
	if st.names == nil && st.companies != nil {
		st.names = companyNames(st.companies)
	}
	if id != 0 {
		// A stored integration stays in its company: only its company's
		// connections are offered.
		var own []*hookline.Connection
		for _, c := range st.available {
			if c.CompanyID == st.companyOf {
				own = append(own, c)
			}
		}
		st.available, st.companies = own, nil
	}
	v := st.view(id)
	v.Company = company
	if id == 0 {
		v.Action, v.Heading = Prefix+"integrations/new", "New integration"
	} else {
		v.Action, v.Heading = fmt.Sprintf("%sintegrations/%d/edit", Prefix, id), "Edit "+st.def.Alias
	}
	return s.page(w, r, q, status, "integration-form", v.Heading, v)
}

func (s *Server) newIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	st := &integrationState{def: hookline.IntegrationDefinition{Method: "POST", Auth: hookline.Auth{Type: hookline.AuthNone},
		BodyFields: hookline.DefaultBodyFields(), Events: []string{hookline.EventMessage, hookline.EventEnd}}, focus: "alias"}
	return s.integrationForm(w, r, q, http.StatusOK, st, 0, "")
}

// postNewIntegration handles the new integration form's buttons: save
// (create, then show its secrets once), or add or remove a row.
func (s *Server) postNewIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	in, perr := parseIntegration(r)
	st := &integrationState{def: in.def, connections: in.connections, companyID: r.PostFormValue("company_id")}
	if perr != nil {
		st.err = newFormError(perr, "")
		return s.integrationForm(w, r, q, statusOf(perr), st, 0, "")
	}
	if focus, ok := applyIntegrationRowOp(&st.def, in.op); ok {
		st.focus = focus
		return s.integrationForm(w, r, q, http.StatusOK, st, 0, "")
	}
	dropBlankIntegrationRows(&st.def)
	created, err := s.integrations.CreateIntegration(r.Context(), q.caller, hookline.IntegrationInput{
		IntegrationDefinition: st.def, CompanyID: in.companyID, Connections: in.connections})
	if err != nil {
		if st.err = newFormError(err, ""); st.err == nil {
			return err
		}
		return s.integrationForm(w, r, q, statusOf(err), st, 0, "")
	}
	return s.secrets(w, r, q, http.StatusCreated, secretsPage{
		Heading: "Integration created",
		Lead: fmt.Sprintf("%s is created, inactive: start it from its card when its URL is ready. "+
			"Its signing secret and reply token are shown only on this page; hookline keeps neither in a form it can show again.", created.Alias),
		Items: []secretItem{
			{ID: "signing-secret", Label: "Signing secret", Value: created.SigningSecret, Secret: true,
				Hint: "Verify the webhook-signature header of each event with it (Standard Webhooks)."},
			{ID: "reply-token", Label: "Reply token", Value: created.ReplyToken, Secret: true,
				Hint: "Send it as Authorization: Bearer <token> to the reply URL of the API details."},
		},
		Next: fmt.Sprintf("%sintegrations/%d", Prefix, created.ID), NextLabel: "I have kept them: show the integration",
	})
}

// storedIntegration is an integration with its company's name for its
// pages (agencies and the operator see several companies).
func (s *Server) storedIntegration(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Integration, string, error) {
	i, err := s.integrations.FindIntegration(ctx, c, id)
	if err != nil {
		return nil, "", err
	}
	var company string
	if c.IsAdmin() || c.Tenant.ID != i.CompanyID {
		if t, err := s.tenants.FindTenant(ctx, c, i.CompanyID); err == nil {
			company = t.Name
		}
	}
	return i, company, nil
}

func (s *Server) editIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "integration")
	if err != nil {
		return err
	}
	i, company, err := s.storedIntegration(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	st := &integrationState{def: i.IntegrationDefinition, connections: i.Connections, companyOf: i.CompanyID}
	return s.integrationForm(w, r, q, http.StatusOK, st, id, company)
}

// postIntegration handles the edit form's buttons: save (replace) or add
// or remove a row.
func (s *Server) postIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "integration")
	if err != nil {
		return err
	}
	stored, company, err := s.storedIntegration(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	in, perr := parseIntegration(r)
	st := &integrationState{def: in.def, connections: in.connections, companyOf: stored.CompanyID}
	if perr != nil {
		st.err = newFormError(perr, "")
		return s.integrationForm(w, r, q, statusOf(perr), st, id, company)
	}
	if focus, ok := applyIntegrationRowOp(&st.def, in.op); ok {
		st.focus = focus
		return s.integrationForm(w, r, q, http.StatusOK, st, id, company)
	}
	dropBlankIntegrationRows(&st.def)
	if _, err := s.integrations.ReplaceIntegration(r.Context(), q.caller, id, hookline.IntegrationInput{
		IntegrationDefinition: st.def, Connections: in.connections}); err != nil {
		if st.err = newFormError(err, ""); st.err == nil || st.err.field == "" && hookline.ErrorCode(err) == hookline.CodeNotFound {
			return err
		}
		return s.integrationForm(w, r, q, statusOf(err), st, id, company)
	}
	return redirect(w, r, fmt.Sprintf("%sintegrations/%d?notice=integration-saved", Prefix, id))
}

func (s *Server) confirmDeleteIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.deleteIntegrationPage(w, r, q, http.StatusOK, "")
}

func (s *Server) deleteIntegrationPage(w http.ResponseWriter, r *http.Request, q *request, status int, msg string) error {
	id, err := pathID(r, "integration")
	if err != nil {
		return err
	}
	i, err := s.integrations.FindIntegration(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	return s.confirm(w, r, q, status, confirmPage{
		Heading: "Delete " + i.Alias + "?",
		Message: "The integration is deleted for good with its chats, its connections are freed, and its events still waiting are canceled. " +
			"Campaigns that link it must be deleted first.",
		Action: fmt.Sprintf("%sintegrations/%d/delete", Prefix, id), Button: "Delete integration",
		Back: fmt.Sprintf("%sintegrations/%d", Prefix, id), Error: msg,
	})
}

func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "integration")
	if err != nil {
		return err
	}
	if err := s.integrations.DeleteIntegration(r.Context(), q.caller, id); err != nil {
		if msg, ok := refusal(err); ok {
			return s.deleteIntegrationPage(w, r, q, statusOf(err), msg)
		}
		return err
	}
	return redirect(w, r, Prefix+"integrations?notice=integration-deleted")
}

// rotateReplyToken makes a new reply token and shows it once.
func (s *Server) rotateReplyToken(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "integration")
	if err != nil {
		return err
	}
	i, err := s.integrations.FindIntegration(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	t, err := s.integrations.RotateReplyToken(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	return s.secrets(w, r, q, http.StatusOK, secretsPage{
		Heading: "New reply token of " + i.Alias,
		Lead:    fmt.Sprintf("The previous token keeps working until %s, so that your system can switch over. This page is the only one that shows the new token.", formatTime(t.PreviousUntil)),
		Items: []secretItem{{ID: "reply-token", Label: "Reply token", Value: t.ReplyToken, Secret: true,
			Hint: "Send it as Authorization: Bearer <token> to the reply URL."}},
		Next: fmt.Sprintf("%sintegrations/%d#api-details", Prefix, id), NextLabel: "I have kept it: back to the integration",
	})
}

// integrationPage is an integration's details: its connections, API
// details, reply token, Try Out and campaigns.
type integrationPage struct {
	Integration *hookline.Integration
	CompanyName string
	Connections []*hookline.Connection
	// Unseen are codes of connections the caller cannot read.
	Unseen        []string
	API           *hookline.APIDetails
	APIHeaders    []pair
	APIParams     []pair
	Request       string
	Responses     []pair
	SampleEvent   string
	Campaigns     []*hookline.IntegrationCampaign
	MoreCampaigns bool
	Try           tryView
}

// tryView is the Try Out form and the chat it shows.
type tryView struct {
	Action  string
	Fields  []field
	Error   *summary
	HasChat bool
	// Chat is the chat picked, with its messages.
	Chat *hookline.Chat
}

// tryInput is what the Try Out form sent.
type tryInput struct {
	chat, text, mediaURL, caption string
}

func (s *Server) showIntegration(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "integration")
	if err != nil {
		return err
	}
	chat := r.URL.Query().Get("chat")
	return s.integrationDetails(w, r, q, http.StatusOK, id, tryInput{chat: chat}, nil)
}

// integrationDetails renders the details page; in and tryErr are the Try
// Out form as sent and the service's answer to it.
func (s *Server) integrationDetails(w http.ResponseWriter, r *http.Request, q *request, status int, id int64, in tryInput, tryErr error) error {
	ctx := r.Context()
	i, company, err := s.storedIntegration(ctx, q.caller, id)
	if err != nil {
		return err
	}
	v := integrationPage{Integration: i, CompanyName: company}
	_, byCode, _, err := s.connectionIndex(ctx, q.caller)
	if err != nil {
		return err
	}
	for _, code := range i.Connections {
		if c := byCode[code]; c != nil {
			v.Connections = append(v.Connections, c)
		} else {
			v.Unseen = append(v.Unseen, code)
		}
	}
	if v.API, err = s.integrations.APIDetails(ctx, q.caller, id); err != nil {
		return err
	}
	v.APIHeaders, v.APIParams = sortedPairs(v.API.Headers), sortedPairs(v.API.Params)
	v.Request, v.SampleEvent = prettyJSON(v.API.Request), prettyJSON(v.API.SampleEvent)
	statuses := make([]string, 0, len(v.API.Responses))
	for st := range v.API.Responses {
		statuses = append(statuses, st)
	}
	sort.Strings(statuses)
	for _, st := range statuses {
		b, _ := json.MarshalIndent(v.API.Responses[st], "", "  ")
		v.Responses = append(v.Responses, pair{st, string(b)})
	}
	cp, err := s.integrations.FindIntegrationCampaigns(ctx, q.caller, id, hookline.PageRequest{Limit: hookline.MaxPageLimit})
	if err != nil {
		return err
	}
	v.Campaigns, v.MoreCampaigns = cp.Items, cp.NextCursor != ""

	// Try Out: the open chats to answer in.
	chats, err := s.integrations.FindChats(ctx, q.caller, id, hookline.ChatOpen, hookline.PageRequest{Limit: hookline.MaxPageLimit})
	if err != nil {
		return err
	}
	fe := newFormError(tryErr, "")
	if fe != nil && fe.field == "" {
		// A chat not found or ended: the chat picked is at fault.
		fe.field = "chat_id"
	}
	t := &v.Try
	t.Action = fmt.Sprintf("%sintegrations/%d/try", Prefix, id)
	t.HasChat = len(chats.Items) > 0
	pick := field{Path: "chat_id", Label: "Chat", Type: "select", Required: true, Error: fe.at("chat_id"),
		Hint: "An open chat a contact started. Your reply goes to that contact through the chat's connection."}
	for _, c := range chats.Items {
		cid := strconv.FormatInt(c.ID, 10)
		pick.Options = append(pick.Options, option{Value: cid, Selected: cid == in.chat,
			Label: fmt.Sprintf("Chat %d · %s · %s · last message %s", c.ID, c.Contact, connectionLabel(c.ConnectionType, c.ConnectionCode), ago(c.LastMessageAt))})
	}
	text := field{Path: "text", Label: "Message", Type: "textarea", Rows: 3, Value: in.text, Error: fe.at("text"),
		Placeholder: "Thanks for writing! Your order ships today."}
	media := field{Path: "multimedia.url", Label: "Multimedia URL (optional)", Type: "url", Value: in.mediaURL, Mono: true,
		Error: fe.at("multimedia.url"), Placeholder: "https://example.com/receipt.pdf"}
	caption := field{Path: "multimedia.caption", Label: "Multimedia caption (optional)", Type: "text", Value: in.caption,
		Error: fe.at("multimedia.caption")}
	t.Fields = []field{pick, text, media, caption}
	t.Error = fe.summary(t.Fields)
	if in.chat != "" {
		if chatID, err := strconv.ParseInt(in.chat, 10, 64); err == nil {
			if c, err := s.integrations.FindChat(ctx, q.caller, id, chatID); err == nil {
				t.Chat = c
			}
		}
	}
	return s.page(w, r, q, status, "integration", i.Alias, v)
}

// tryOut posts a reply into a chat, as the customer's system does at the
// reply URL, with the signed-in caller's authority.
func (s *Server) tryOut(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "integration")
	if err != nil {
		return err
	}
	in := tryInput{chat: r.PostFormValue("chat_id"), text: r.PostFormValue("text"),
		mediaURL: strings.TrimSpace(r.PostFormValue("multimedia.url")), caption: r.PostFormValue("multimedia.caption")}
	chatID, perr := strconv.ParseInt(strings.TrimSpace(in.chat), 10, 64)
	if perr != nil || chatID <= 0 {
		err := hookline.Invalid("chat_id", "choose a chat")
		return s.integrationDetails(w, r, q, statusOf(err), id, in, err)
	}
	reply := hookline.ReplyInput{Text: in.text}
	if in.mediaURL != "" || strings.TrimSpace(in.caption) != "" {
		reply.Multimedia = &hookline.ReplyMultimedia{URL: in.mediaURL, Caption: in.caption}
	}
	if _, err := s.integrations.Reply(r.Context(), hookline.ReplyCredential{Caller: q.caller}, id, chatID, reply); err != nil {
		if newFormError(err, "") == nil {
			return err
		}
		return s.integrationDetails(w, r, q, statusOf(err), id, in, err)
	}
	return redirect(w, r, fmt.Sprintf("%sintegrations/%d?chat=%d&notice=replied#try-out", Prefix, id, chatID))
}
