package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// campaignSection is the campaigns on connections: chatbot campaigns,
// whose messages go to an integration or a bot, and keyword campaigns,
// which answer their keywords; made live, paused and deleted.
func (s *Server) campaignSection() section {
	p := Prefix + "campaigns"
	return section{label: "Campaigns", path: p, routes: []route{
		{pattern: "GET " + p, handle: s.listCampaigns},
		{pattern: "GET " + p + "/new", handle: s.newCampaign},
		{pattern: "POST " + p + "/new", handle: s.createCampaign},
		{pattern: "POST " + p + "/{id}/live", handle: s.campaignLive},
		{pattern: "POST " + p + "/{id}/pause", handle: s.campaignPause},
		{pattern: "GET " + p + "/{id}/delete", handle: s.confirmDeleteCampaign},
		{pattern: "POST " + p + "/{id}/delete", handle: s.deleteCampaign},
	}}
}

// campaignList is the list page.
type campaignList struct {
	Rows      []campaignRow
	Pager     pager
	Companies []option
	Company   int64
	// Error is a refused action whose row is not on the page.
	Error string
}

type campaignRow struct {
	*hookline.Campaign
	CompanyName string
	ConnType    hookline.ConnectionType
	// Target names what answers: the integration or bot, linked.
	Target, TargetLink string
	Error              string
}

// targets names the integrations and bots the caller sees, for the
// campaigns that name them by id.
type targets struct {
	integrations []*hookline.Integration
	bots         []*hookline.Bot
}

func (s *Server) campaignTargets(ctx context.Context, c *hookline.Caller) (targets, error) {
	var t targets
	ip, err := s.integrations.FindIntegrations(ctx, c, 0, hookline.PageRequest{Limit: hookline.MaxPageLimit})
	if err != nil {
		return t, err
	}
	bp, err := s.bots.FindBots(ctx, c, 0, hookline.PageRequest{Limit: hookline.MaxPageLimit})
	if err != nil {
		return t, err
	}
	return targets{integrations: ip.Items, bots: bp.Items}, nil
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.campaignRows(w, r, q, http.StatusOK, 0, "")
}

// campaignRows renders the list; failed and msg are a refused action on
// one campaign, shown on its row.
func (s *Server) campaignRows(w http.ResponseWriter, r *http.Request, q *request, status int, failed int64, msg string) error {
	ctx := r.Context()
	companyID, cursor, err := companyPage(r)
	if err != nil {
		return err
	}
	if r.Method != http.MethodGet {
		companyID, cursor = 0, ""
	}
	p, err := s.campaigns.FindCampaigns(ctx, q.caller, companyID, hookline.PageRequest{Cursor: cursor})
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
	t, err := s.campaignTargets(ctx, q.caller)
	if err != nil {
		return err
	}
	names := companyNames(companies)
	v := campaignList{Company: companyID, Companies: companyFilter(companies, companyID), Error: msg}
	for _, c := range p.Items {
		row := campaignRow{Campaign: c, CompanyName: names[c.CompanyID]}
		if conn := byCode[c.Connection]; conn != nil {
			row.ConnType = conn.Type
		}
		switch {
		case c.IntegrationID != nil:
			row.Target, row.TargetLink = fmt.Sprintf("Integration %d", *c.IntegrationID), fmt.Sprintf("%sintegrations/%d", Prefix, *c.IntegrationID)
			for _, i := range t.integrations {
				if i.ID == *c.IntegrationID {
					row.Target = i.Alias
				}
			}
		case c.BotID != nil:
			row.Target, row.TargetLink = fmt.Sprintf("Bot %d", *c.BotID), fmt.Sprintf("%sbots/%d", Prefix, *c.BotID)
			for _, b := range t.bots {
				if b.ID == *c.BotID {
					row.Target = b.Name
				}
			}
		}
		if c.ID == failed {
			row.Error, v.Error = msg, ""
		}
		v.Rows = append(v.Rows, row)
	}
	v.Pager = pages(Prefix+"campaigns", cursor, p.NextCursor, "company_id", idParam(companyID))
	return s.page(w, r, q, status, "campaigns", "Campaigns", v)
}

// campaignAction makes a campaign live or pauses it: a refusal (an
// inactive integration) shows on its row.
func (s *Server) campaignAction(w http.ResponseWriter, r *http.Request, q *request, act func(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Campaign, error), notice string) error {
	id, err := pathID(r, "campaign")
	if err != nil {
		return err
	}
	if _, err := act(r.Context(), q.caller, id); err != nil {
		if msg, ok := refusal(err); ok {
			return s.campaignRows(w, r, q, statusOf(err), id, msg)
		}
		return err
	}
	return redirect(w, r, fmt.Sprintf("%scampaigns?notice=%s#campaign-%d", Prefix, notice, id))
}

func (s *Server) campaignLive(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.campaignAction(w, r, q, s.campaigns.GoLive, "campaign-live")
}

func (s *Server) campaignPause(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.campaignAction(w, r, q, s.campaigns.Pause, "campaign-paused")
}

// campaignForm is the form of a new campaign: the common fields and each
// type's.
type campaignForm struct {
	Error  *summary
	Basic  []field
	Kinds  []connectionKind
	NoConn bool
}

func (s *Server) newCampaign(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.campaignFormPage(w, r, q, http.StatusOK, url.Values{"type": {"chatbot"}}, nil)
}

// campaignFormPage renders the form with what was posted and the
// service's answer to it.
func (s *Server) campaignFormPage(w http.ResponseWriter, r *http.Request, q *request, status int, posted url.Values, err error) error {
	ctx := r.Context()
	companies, more, cerr := s.companies(ctx, q.caller)
	if cerr != nil {
		return cerr
	}
	conns, _, _, cerr := s.connectionIndex(ctx, q.caller)
	if cerr != nil {
		return cerr
	}
	t, cerr := s.campaignTargets(ctx, q.caller)
	if cerr != nil {
		return cerr
	}
	names := companyNames(companies)
	suffix := func(companyID int64) string {
		if companies == nil {
			return ""
		}
		return " (" + names[companyID] + ")"
	}
	fe := newFormError(err, "")
	f := func(path, label, typ string) field {
		return field{Path: path, Label: label, Type: typ, Value: posted.Get(path), Error: fe.at(path), Autofocus: err == nil && path == "name"}
	}
	v := campaignForm{NoConn: len(conns) == 0}
	name := f("name", "Name", "text")
	name.Required = true
	v.Basic = append(v.Basic, name)
	if companies != nil {
		v.Basic = append(v.Basic, companyField(fe, companies, more, posted.Get("company_id"), "The company the campaign belongs to."))
	}
	typ := f("type", "Type", "select")
	typ.Options = choose([]option{{Value: "chatbot", Label: "Chatbot"}, {Value: "keyword", Label: "Keyword"}}, posted.Get("type"))
	typ.Hint = "Chatbot: an integration or a bot answers the contacts. Keyword: a fixed reply to a few keywords."
	v.Basic = append(v.Basic, typ)
	conn := f("connection", "Connection", "select")
	conn.Required = true
	conn.Hint = "The SMS or WhatsApp number it serves. A connection serves either an integration or a campaign, never both."
	conn.Options = []option{{Value: "", Label: "Choose a connection"}}
	for _, c := range conns {
		label := connectionLabel(c.Type, c.Code) + suffix(c.CompanyID)
		if c.HolderKind != "" {
			label += fmt.Sprintf(" — held by %s %d", c.HolderKind, c.HolderID)
		}
		conn.Options = append(conn.Options, option{Value: c.Code, Label: label, Selected: c.Code == posted.Get("connection")})
	}
	v.Basic = append(v.Basic, conn)

	integ := f("integration_id", "Integration", "select")
	integ.Hint = "An active integration without connections of its own: the campaign's chats go to it."
	integ.Options = []option{{Value: "", Label: "None"}}
	for _, i := range t.integrations {
		if len(i.Connections) > 0 {
			continue
		}
		id := strconv.FormatInt(i.ID, 10)
		integ.Options = append(integ.Options, option{Value: id, Label: fmt.Sprintf("%s (%s)%s", i.Alias, i.Status, suffix(i.CompanyID)), Selected: id == posted.Get("integration_id")})
	}
	bot := f("bot_id", "Bot", "select")
	bot.Hint = "Or a bot, which answers the contacts itself. Choose one of the two."
	bot.Options = []option{{Value: "", Label: "None"}}
	for _, b := range t.bots {
		id := strconv.FormatInt(b.ID, 10)
		bot.Options = append(bot.Options, option{Value: id, Label: b.Name + suffix(b.CompanyID), Selected: id == posted.Get("bot_id")})
	}
	keywords := f("keywords", "Keywords", "textarea")
	keywords.Rows, keywords.Hint = 4, "One per line. A message that is exactly one of them (any case) gets the reply."
	keywords.Error = fe.under("keywords")
	reply := f("reply", "Reply", "textarea")
	reply.Rows = 3
	v.Kinds = []connectionKind{
		{Type: "chatbot", Label: "Chatbot", Fields: []field{integ, bot}},
		{Type: "keyword", Label: "Keyword", Fields: []field{keywords, reply}},
	}
	for i := range v.Kinds {
		v.Kinds[i].Current = string(v.Kinds[i].Type) == posted.Get("type")
	}
	all := [][]field{v.Basic}
	for _, k := range v.Kinds {
		all = append(all, k.Fields)
	}
	v.Error = fe.summary(all...)
	return s.page(w, r, q, status, "campaign-form", "New campaign", v)
}

// createCampaign creates a draft campaign from the form: only the chosen
// type's fields are sent.
func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	in := hookline.CampaignInput{}
	name, conn := f.Get("name"), f.Get("connection")
	typ := hookline.CampaignType(f.Get("type"))
	in.Name, in.Type, in.Connection = &name, &typ, &conn
	fail := func(err error) error {
		return s.campaignFormPage(w, r, q, statusOf(err), f, err)
	}
	var err error
	if in.CompanyID, err = formCompanyID(f.Get("company_id")); err != nil {
		return fail(err)
	}
	switch typ {
	case hookline.CampaignChatbot:
		for _, ref := range []struct {
			name string
			to   **int64
		}{{"integration_id", &in.IntegrationID}, {"bot_id", &in.BotID}} {
			if v := strings.TrimSpace(f.Get(ref.name)); v != "" {
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil || id <= 0 {
					return fail(hookline.Invalid(ref.name, "choose one from the list"))
				}
				*ref.to = &id
			}
		}
	case hookline.CampaignKeyword:
		for _, k := range strings.Split(f.Get("keywords"), "\n") {
			if k = strings.TrimSpace(k); k != "" {
				in.Keywords = append(in.Keywords, k)
			}
		}
		reply := f.Get("reply")
		in.Reply = &reply
	}
	c, err := s.campaigns.CreateCampaign(r.Context(), q.caller, in)
	if err != nil {
		if newFormError(err, "") == nil {
			return err
		}
		return fail(err)
	}
	return redirect(w, r, fmt.Sprintf("%scampaigns?notice=campaign-created#campaign-%d", Prefix, c.ID))
}

func (s *Server) confirmDeleteCampaign(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.deleteCampaignPage(w, r, q, http.StatusOK, "")
}

func (s *Server) deleteCampaignPage(w http.ResponseWriter, r *http.Request, q *request, status int, msg string) error {
	id, err := pathID(r, "campaign")
	if err != nil {
		return err
	}
	c, err := s.campaigns.FindCampaign(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	return s.confirm(w, r, q, status, confirmPage{
		Heading: "Delete " + c.Name + "?",
		Message: fmt.Sprintf("The campaign is deleted for good and its connection %s is freed. A live campaign must be paused first.", c.Connection),
		Action:  fmt.Sprintf("%scampaigns/%d/delete", Prefix, id), Button: "Delete campaign", Back: Prefix + "campaigns", Error: msg,
	})
}

func (s *Server) deleteCampaign(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "campaign")
	if err != nil {
		return err
	}
	if err := s.campaigns.DeleteCampaign(r.Context(), q.caller, id); err != nil {
		if msg, ok := refusal(err); ok {
			return s.deleteCampaignPage(w, r, q, statusOf(err), msg)
		}
		return err
	}
	return redirect(w, r, Prefix+"campaigns?notice=campaign-deleted")
}
