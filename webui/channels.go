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

// The webhook channels of seed 004: a bot's channels (created with a new
// app whose client secret is shown once, or an existing app; enabled and
// disabled; associated with an app after an import) and, for the
// operator, the channels waiting for approval.

// approvalSection is the operator's list of channels waiting for
// approval; other callers reach it by address, without Approve buttons.
func (s *Server) approvalSection() section {
	return section{label: "Approvals", path: Prefix + "approvals", admin: true, routes: []route{
		{pattern: "GET " + Prefix + "approvals", handle: s.listApprovals},
		{pattern: "POST " + Prefix + "channels/{id}/approve", handle: s.approveChannel},
		{pattern: "POST " + Prefix + "channels/{id}/enable", handle: s.enableChannel},
		{pattern: "POST " + Prefix + "channels/{id}/disable", handle: s.disableChannel},
		{pattern: "POST " + Prefix + "channels/{id}/app", handle: s.associateApp},
		{pattern: "GET " + Prefix + "channels/{id}/delete", handle: s.confirmDeleteChannel},
		{pattern: "POST " + Prefix + "channels/{id}/delete", handle: s.deleteChannel},
	}}
}

// channelsPage is a bot's webhook channels and the form of a new one.
type channelsPage struct {
	Head     botTabs
	Admin    bool
	Channels []channelRow
	Pager    pager
	// Error is a refused action whose channel is not on the page.
	Error string
	Form  channelForm
}

type channelRow struct {
	*hookline.Channel
	// App is the picker of an app for a channel without one.
	App   field
	Error string
}

// channelForm is the form of a new channel: name, app, mode and its
// settings.
type channelForm struct {
	Action string
	Error  *summary
	Basic  []field
	Kinds  []connectionKind
	Exp    field
}

// channelFormState is what the form was sent with and the service's
// answer.
type channelFormState struct {
	posted url.Values
	err    error
}

func (s *Server) botChannels(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "bot")
	if err != nil {
		return err
	}
	return s.channelList(w, r, q, http.StatusOK, id, 0, "", channelFormState{posted: url.Values{"mode": {"sync"}}})
}

// appOptions lists a company's apps for a picker, by name and client id.
func (s *Server) appOptions(ctx context.Context, c *hookline.Caller, companyID int64) ([]option, error) {
	p, err := s.apps.FindApps(ctx, c, companyID, hookline.PageRequest{Limit: hookline.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	var out []option
	for _, a := range p.Items {
		out = append(out, option{Value: strconv.FormatInt(a.ID, 10), Label: fmt.Sprintf("%s (%s)", a.Name, a.ClientID)})
	}
	return out, nil
}

// channelList renders a bot's channels; failed and msg are a refused
// action on one of them, form the new channel's form.
func (s *Server) channelList(w http.ResponseWriter, r *http.Request, q *request, status int, botID, failed int64, msg string, form channelFormState) error {
	ctx := r.Context()
	b, company, err := s.storedBot(ctx, q.caller, botID)
	if err != nil {
		return err
	}
	cursor := ""
	if r.Method == http.MethodGet {
		cursor = r.URL.Query().Get("cursor")
	}
	p, err := s.channels.FindChannels(ctx, q.caller, botID, hookline.PageRequest{Cursor: cursor})
	if err != nil {
		return err
	}
	apps, err := s.appOptions(ctx, q.caller, b.CompanyID)
	if err != nil {
		return err
	}
	v := channelsPage{Head: botTabs{Bot: b, Tab: "channels", CompanyName: company}, Admin: q.caller.IsAdmin(), Error: msg}
	for _, ch := range p.Items {
		row := channelRow{Channel: ch}
		if ch.AppID == nil {
			row.App = field{Path: "app_id", Label: fmt.Sprintf("App of the channel %s", ch.Name), Type: "select",
				Options: append([]option{{Value: "", Label: "Choose an app"}}, apps...)}
		}
		if ch.ID == failed {
			row.Error, v.Error = msg, ""
		}
		v.Channels = append(v.Channels, row)
	}
	v.Pager = pages(fmt.Sprintf("%sbots/%d/channels", Prefix, botID), cursor, p.NextCursor)

	// The form of a new channel.
	fe := newFormError(form.err, "")
	posted := form.posted
	f := func(path, label, typ string) field {
		return field{Path: path, Label: label, Type: typ, Value: posted.Get(path), Error: fe.at(path)}
	}
	name := f("name", "Name", "text")
	name.Required, name.Autofocus = true, form.err != nil && fe.field == "name"
	name.Hint = "Unique among the bot's channels; the dashboard's channel filter and per-channel overrides use it."
	app := f("app_id", "App", "select")
	app.Hint = "The client id and secret its callers sign their JWTs with. A new app is named after the channel; its secret is shown once."
	app.Options = choose(append([]option{{Value: "", Label: "Create a new app"}}, apps...), posted.Get("app_id"))
	mode := f("mode", "Integration mode", "select")
	mode.Options = choose([]option{{Value: "sync", Label: "Synchronous: the answer is the HTTP response"},
		{Value: "async", Label: "Asynchronous: 200 at once, the answer is posted to your POST_URL"}}, orDefault(posted.Get("mode"), "sync"))
	postURL := f("post_url", "POST_URL", "url")
	postURL.Mono, postURL.Placeholder = true, "https://your-system.example/bot-answers"
	postURL.Hint = "Where the bot's answers are posted: {\"text\": [...], \"to\": ..., \"from\": ...}."
	token := f("access_token", "Access token", "password")
	token.Value = ""
	token.Hint = "Sent as Authorization: Bearer with each answer; stored encrypted."
	exp := f("require_exp", "Refuse JWTs without an exp claim", "checkbox")
	v.Form = channelForm{Action: fmt.Sprintf("%sbots/%d/channels", Prefix, botID), Basic: []field{name, app, mode}, Exp: exp,
		Kinds: []connectionKind{{Type: "async", Label: "Asynchronous mode", Fields: []field{postURL, token}, Current: posted.Get("mode") == "async"}}}
	v.Form.Error = fe.summary(v.Form.Basic, v.Form.Kinds[0].Fields, []field{exp})
	return s.page(w, r, q, status, "bot-channels", b.Name+" · Channels", v)
}

// createChannel creates a webhook channel and shows its credentials once.
func (s *Server) createChannel(w http.ResponseWriter, r *http.Request, q *request) error {
	botID, err := pathID(r, "bot")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	posted := url.Values{}
	for k, vs := range f {
		if k != "access_token" && k != "csrf" {
			posted[k] = vs
		}
	}
	fail := func(err error) error {
		return s.channelList(w, r, q, statusOf(err), botID, 0, "", channelFormState{posted: posted, err: err})
	}
	typ, name := hookline.ChannelTypeWebhook, f.Get("name")
	mode := hookline.ChannelMode(f.Get("mode"))
	in := hookline.ChannelInput{Type: &typ, Name: &name, Mode: &mode, RequireExp: ptr(f.Get("require_exp") == "on")}
	if mode == hookline.ChannelAsync {
		postURL, token := strings.TrimSpace(f.Get("post_url")), f.Get("access_token")
		in.PostURL = &postURL
		if token != "" {
			in.AccessToken = &token
		}
	}
	if v := f.Get("app_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return fail(hookline.Invalid("app_id", "choose an app from the list"))
		}
		in.AppID = &id
	}
	ch, err := s.channels.CreateChannel(r.Context(), q.caller, botID, in)
	if err != nil {
		if newFormError(err, "") == nil || hookline.ErrorField(err) == "" && hookline.ErrorCode(err) == hookline.CodeNotFound {
			return err
		}
		return fail(err)
	}
	items := []secretItem{
		{ID: "webhook-url", Label: "Webhook URL", Value: ch.URL, Hint: "Outside systems post their messages here, with Authorization: bearer <JWT>."},
		{ID: "client-id", Label: "Client ID", Value: ch.ClientID, Hint: "The appId claim of the JWTs."},
	}
	lead := "The channel is enabled, but it answers 403 until the operator approves it."
	if ch.ClientSecret != "" {
		items = append(items, secretItem{ID: "client-secret", Label: "Client secret", Value: ch.ClientSecret, Secret: true,
			Hint: "Sign the JWTs with it (HS256), on your server, never in a browser. This page is the only one that shows it."})
		lead += " Its app's client secret is shown only on this page."
	}
	return s.secrets(w, r, q, http.StatusCreated, secretsPage{
		Heading: fmt.Sprintf("Channel %s created", ch.Name), Lead: lead, Items: items,
		// The page was posted to the channels' address: the notice makes
		// the link another one, so that following it loads the list.
		Next: fmt.Sprintf("%sbots/%d/channels?notice=channel-created#channel-%d", Prefix, botID, ch.ID), NextLabel: "I have kept them: back to the channels",
	})
}

// channelAction runs an action on a channel and goes back to the page
// its button was on: the bot's channels, or the approvals. A refusal
// shows next to the channel.
func (s *Server) channelAction(w http.ResponseWriter, r *http.Request, q *request, notice string, act func(ctx context.Context, id int64) (*hookline.Channel, error)) error {
	id, err := pathID(r, "channel")
	if err != nil {
		return err
	}
	ch, err := act(r.Context(), id)
	if err != nil {
		msg, ok := refusal(err)
		if !ok {
			return err
		}
		if r.PostFormValue("return") == "approvals" {
			return s.approvals(w, r, q, statusOf(err), id, msg)
		}
		found, ferr := s.channels.FindChannel(r.Context(), q.caller, id)
		if ferr != nil {
			return ferr
		}
		return s.channelList(w, r, q, statusOf(err), found.BotID, id, msg, channelFormState{posted: url.Values{"mode": {"sync"}}})
	}
	if r.PostFormValue("return") == "approvals" {
		return redirect(w, r, Prefix+"approvals?notice="+notice)
	}
	return redirect(w, r, fmt.Sprintf("%sbots/%d/channels?notice=%s#channel-%d", Prefix, ch.BotID, notice, ch.ID))
}

func (s *Server) approveChannel(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.channelAction(w, r, q, "channel-approved", func(ctx context.Context, id int64) (*hookline.Channel, error) {
		return s.channels.ApproveChannel(ctx, q.caller, id)
	})
}

func (s *Server) enableChannel(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.channelAction(w, r, q, "channel-enabled", func(ctx context.Context, id int64) (*hookline.Channel, error) {
		return s.channels.SetChannelEnabled(ctx, q.caller, id, true)
	})
}

func (s *Server) disableChannel(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.channelAction(w, r, q, "channel-disabled", func(ctx context.Context, id int64) (*hookline.Channel, error) {
		return s.channels.SetChannelEnabled(ctx, q.caller, id, false)
	})
}

// associateApp gives a channel without an app (an imported one) the app
// its callers sign with.
func (s *Server) associateApp(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.channelAction(w, r, q, "channel-app", func(ctx context.Context, id int64) (*hookline.Channel, error) {
		appID, err := strconv.ParseInt(r.PostFormValue("app_id"), 10, 64)
		if err != nil || appID <= 0 {
			return nil, hookline.Invalid("app_id", "choose an app")
		}
		return s.channels.UpdateChannel(ctx, q.caller, id, hookline.ChannelPatch{AppID: &appID})
	})
}

func (s *Server) confirmDeleteChannel(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "channel")
	if err != nil {
		return err
	}
	ch, err := s.channels.FindChannel(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	return s.confirm(w, r, q, http.StatusOK, confirmPage{
		Heading: "Delete the channel " + ch.Name + "?",
		Message: "Outside systems calling its URL get 404 from now on, and answers still waiting for its POST_URL are canceled. Its app stays.",
		Action:  fmt.Sprintf("%schannels/%d/delete", Prefix, id), Button: "Delete channel", Back: fmt.Sprintf("%sbots/%d/channels", Prefix, ch.BotID),
	})
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "channel")
	if err != nil {
		return err
	}
	ch, err := s.channels.FindChannel(r.Context(), q.caller, id)
	if err != nil {
		return err
	}
	if err := s.channels.DeleteChannel(r.Context(), q.caller, id); err != nil {
		return err
	}
	return redirect(w, r, fmt.Sprintf("%sbots/%d/channels?notice=channel-deleted", Prefix, ch.BotID))
}

// approvalList is the channels waiting for the operator's approval.
type approvalList struct {
	Admin bool
	Rows  []approvalRow
	Pager pager
	Error string
}

type approvalRow struct {
	*hookline.Channel
	BotName, CompanyName string
	Error                string
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.approvals(w, r, q, http.StatusOK, 0, "")
}

// approvals renders the channels waiting for approval; failed and msg
// are a refused approval, shown on its row.
func (s *Server) approvals(w http.ResponseWriter, r *http.Request, q *request, status int, failed int64, msg string) error {
	ctx := r.Context()
	cursor := ""
	if r.Method == http.MethodGet {
		cursor = r.URL.Query().Get("cursor")
	}
	p, err := s.channels.FindAllChannels(ctx, q.caller, 0, hookline.ChannelListFilter{Approved: ptr(false)}, hookline.PageRequest{Cursor: cursor})
	if err != nil {
		return err
	}
	companies, _, err := s.companies(ctx, q.caller)
	if err != nil {
		return err
	}
	names := companyNames(companies)
	bots := map[int64]string{}
	v := approvalList{Admin: q.caller.IsAdmin(), Error: msg}
	for _, ch := range p.Items {
		if _, ok := bots[ch.BotID]; !ok {
			bots[ch.BotID] = fmt.Sprintf("Bot %d", ch.BotID)
			if b, err := s.bots.FindBot(ctx, q.caller, ch.BotID); err == nil {
				bots[ch.BotID] = b.Name
			}
		}
		row := approvalRow{Channel: ch, BotName: bots[ch.BotID], CompanyName: names[ch.CompanyID]}
		if ch.ID == failed {
			row.Error, v.Error = msg, ""
		}
		v.Rows = append(v.Rows, row)
	}
	v.Pager = pages(Prefix+"approvals", cursor, p.NextCursor)
	return s.page(w, r, q, status, "approvals", "Channels waiting for approval", v)
}
