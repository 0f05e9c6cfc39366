package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// greeter is a bot document in YAML: it asks a name and greets; it has a
// webhook channel, recreated without an app on import.
const greeter = `name: Greeter
start: 1
modules:
  - id: 1
    type: collector
    key: name
    prompt: "What is your name?"
    connections:
      - to: 2
  - id: 2
    type: end
    text: "Hello {{certainly.extractedData.name}}!"
channels:
  - name: site
    type: webhook
    mode: sync
`

// postFile posts a multipart form with a file, as the import form does.
func (b *browser) postFile(path string, fields url.Values, fileName, content string) page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if fileName != "" {
		f, _ := w.CreateFormFile("file", fileName)
		f.Write([]byte(content))
	}
	w.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// importBot imports greeter into the shop and returns the bot's page.
func (e *env) importBot(t *testing.T, b *browser, csrf string) string {
	t.Helper()
	p := b.postFile("/ui/bots/import", url.Values{"csrf": {csrf}}, "greeter.yaml", greeter)
	if p.status != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", p.status, p.body)
	}
	return p.location[:strings.Index(p.location, "?")]
}

// TestBotImportExport: a document uploaded or pasted becomes a bot whose
// modules the page lists; an error inside the document is shown next to
// it, naming its path; the export downloads the document.
func TestBotImportExport(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	form := b.get("/ui/bots/import")
	if !strings.Contains(form.body, `enctype="multipart/form-data"`) || !strings.Contains(form.body, `<label for="f-file">Upload a file`) {
		t.Fatalf("the import form:\n%s", form.body)
	}
	unlabelled(t, form.body)
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"a missing module", strings.Replace(greeter, "- to: 2", "- to: 7", 1), "modules[0].connections[0].to: no module 7"},
		{"a bad template", strings.Replace(greeter, "{{certainly.extractedData.name}}", "{{ name", 1), "modules[1].text: "},
		{"malformed YAML", "name: [", "malformed YAML"},
		{"a webhook the company lacks", strings.Replace(greeter, "      - to: 2", "      - to: 2\n        webhooks: [\"Lookup\"]", 1), `no webhook named "Lookup"`},
	} {
		p := b.post("/ui/bots/import", url.Values{"csrf": {csrf}, "document": {tc.doc}})
		if msg := fieldError(p.body, "f-document"); p.status != http.StatusBadRequest || !strings.Contains(msg, tc.want) {
			t.Fatalf("%s: %d, next to the document %q, want %q", tc.name, p.status, msg, tc.want)
		}
		if !strings.Contains(p.body, "Greeter") && tc.name != "malformed YAML" {
			t.Fatalf("%s: the document typed is lost", tc.name)
		}
	}
	// An uploaded document with an error comes back in the text box.
	p := b.postFile("/ui/bots/import", url.Values{"csrf": {csrf}}, "bad.yaml", strings.Replace(greeter, "- to: 2", "- to: 7", 1))
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "- to: 7") {
		t.Fatalf("an uploaded document with an error: %d", p.status)
	}
	if p := b.post("/ui/bots/import", url.Values{"csrf": {csrf}, "format": {"toml"}, "document": {greeter}}); fieldError(p.body, "f-format") == "" {
		t.Fatalf("an unknown format: %d", p.status)
	}

	botPage := e.importBot(t, b, csrf)
	page := b.get(botPage + "?notice=bot-imported")
	modules := between(page.body, `<table class="modules">`, "</table>")
	for _, want := range []string{"Bot imported.", `id="module-1"`, "collector", "What is your name?", "name (text)", "→ 2", "Hello {{certainly.extractedData.name}}!", "ends the session"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the bot's page lacks %q:\n%s", want, modules)
		}
	}
	// JSON pasted is told from YAML.
	p = b.post("/ui/bots/import", url.Values{"csrf": {csrf}, "document": {`{"name": "Echo", "start": 1, "modules": [{"id": 1, "type": "end", "text": "bye"}]}`}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("JSON pasted: %d\n%s", p.status, p.body)
	}
	for format, ctype := range map[string]string{"json": "application/json", "yaml": "application/yaml"} {
		p := b.get(botPage + "/export?format=" + format)
		if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), ctype) ||
			p.header.Get("Content-Disposition") != `attachment; filename="greeter.`+format+`"` || !strings.Contains(p.body, "What is your name?") || !strings.Contains(p.body, "site") {
			t.Fatalf("export %s: %d %v\n%s", format, p.status, p.header, p.body)
		}
	}
	if p := b.get(botPage + "/export?format=xml"); p.status != http.StatusBadRequest {
		t.Fatalf("export as xml: %d", p.status)
	}
}

// TestBotChannels: the imported channel waits for an app and the
// operator's approval; a new channel shows its client secret once; the
// company cannot approve, the operator's approvals page can; enabling
// and disabling show on the channel.
func TestBotChannels(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	botPage := e.importBot(t, b, csrf)
	channels := b.get(botPage + "/channels")
	imported := regexp.MustCompile(`id="channel-(\d+)"`).FindStringSubmatch(channels.body)
	if imported == nil || !strings.Contains(channels.body, "waiting for approval") || !strings.Contains(channels.body, "no app yet") ||
		!strings.Contains(channels.body, "Associate app") || strings.Contains(channels.body, ">Approve<") {
		t.Fatalf("the imported channel:\n%s", channels.body)
	}
	unlabelled(t, channels.body)
	action := botPage + "/channels"
	p := b.post(action, url.Values{"csrf": {csrf}, "name": {"CRM"}, "mode": {"async"}, "post_url": {""}})
	if p.status != http.StatusBadRequest || !strings.Contains(fieldError(p.body, "f-post_url"), "post_url") {
		t.Fatalf("async without POST_URL: %d %q", p.status, fieldError(p.body, "f-post_url"))
	}
	p = b.post(action, url.Values{"csrf": {csrf}, "name": {"site"}, "mode": {"sync"}})
	if p.status != http.StatusConflict || fieldError(p.body, "f-name") == "" {
		t.Fatalf("a name taken: %d", p.status)
	}
	p = b.post(action, url.Values{"csrf": {csrf}, "name": {"CRM"}, "mode": {"async"}, "post_url": {"https://crm.example.com/answers"},
		"access_token": {"crm-token-123"}, "require_exp": {"on"}})
	secret := regexp.MustCompile(`id="client-secret" value="([^"]+)"`).FindStringSubmatch(p.body)
	clientID := regexp.MustCompile(`id="client-id" value="(app-[^"]+)"`).FindStringSubmatch(p.body)
	if p.status != http.StatusCreated || secret == nil || clientID == nil || !strings.Contains(p.body, "/chatbot/hooks/") {
		t.Fatalf("create a channel: %d\n%s", p.status, p.body)
	}
	channels = b.get(botPage + "/channels")
	if strings.Contains(channels.body, secret[1]) || strings.Contains(channels.body, "crm-token-123") || !strings.Contains(channels.body, clientID[1]) ||
		!strings.Contains(channels.body, "https://crm.example.com/answers") {
		t.Fatalf("the channels page shows a secret, or not the channel:\n%s", channels.body)
	}
	crm := regexp.MustCompile(`id="channel-(\d+)"[^<]*>\s*<div class="card-head">\s*<h3>CRM`).FindStringSubmatch(channels.body)
	if crm == nil {
		t.Fatalf("no CRM channel:\n%s", channels.body)
	}
	// The imported channel takes the new channel's app.
	appID := regexp.MustCompile(`<option value="(\d+)">CRM \(`).FindStringSubmatch(channels.body)
	p = b.post("/ui/channels/"+imported[1]+"/app", url.Values{"csrf": {csrf}, "app_id": {appID[1]}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "notice=channel-app") {
		t.Fatalf("associate an app: %d %s\n%s", p.status, p.location, p.body)
	}
	// The company cannot approve: refused on the channel.
	p = b.post("/ui/channels/"+crm[1]+"/approve", url.Values{"csrf": {csrf}})
	if card := between(p.body, `id="channel-`+crm[1]+`"`, "</li>"); p.status != http.StatusForbidden || !strings.Contains(card, "only the operator approves channels") {
		t.Fatalf("a company approves: %d\n%s", p.status, card)
	}
	if p := b.get("/ui/approvals"); !strings.Contains(p.body, "CRM") || strings.Contains(p.body, ">Approve<") || strings.Contains(p.body, `href="/ui/approvals"`) {
		t.Fatalf("the company's view of the approvals (its channels, no button, not in the navigation):\n%s", p.body)
	}
	p = b.post("/ui/channels/"+crm[1]+"/disable", url.Values{"csrf": {csrf}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", p.status)
	}
	if card := between(b.get(botPage+"/channels").body, `id="channel-`+crm[1]+`"`, "</li>"); !strings.Contains(card, "disabled</span>") || !strings.Contains(card, ">Enable<") {
		t.Fatalf("the disabled channel:\n%s", card)
	}

	// The operator sees both waiting, and approves one.
	op := e.browser()
	opCSRF := op.signIn(adminToken)
	list := op.get("/ui/approvals")
	if !strings.Contains(list.body, `aria-current="page">Approvals`) || !strings.Contains(list.body, `id="channel-`+crm[1]+`"`) ||
		!strings.Contains(list.body, `id="channel-`+imported[1]+`"`) || !strings.Contains(list.body, "Greeter") || !strings.Contains(list.body, "Acme Shop") {
		t.Fatalf("the operator's approvals:\n%s", list.body)
	}
	p = op.post("/ui/channels/"+crm[1]+"/approve", url.Values{"csrf": {opCSRF}, "return": {"approvals"}})
	if p.status != http.StatusSeeOther || p.location != "/ui/approvals?notice=channel-approved" {
		t.Fatalf("approve: %d %s", p.status, p.location)
	}
	if list := op.get(p.location); strings.Contains(list.body, `id="channel-`+crm[1]+`"`) || !strings.Contains(list.body, "Channel approved") {
		t.Fatalf("the approved channel is still waiting:\n%s", list.body)
	}
	if ch, err := e.channels.FindChannel(context.Background(), &hookline.Caller{}, mustInt(t, crm[1])); err != nil || !ch.Approved || ch.Enabled {
		t.Fatalf("the channel: %+v, %v", ch, err)
	}
}

// TestBotTryAndActivity: the console talks to the bot and shows the
// session's steps; the dashboard then charts the bot's messages and
// sessions, all channels or the console's alone.
func TestBotTryAndActivity(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	if p := b.get("/ui/dashboard"); strings.Contains(p.body, "bot-activity") {
		t.Fatal("the dashboard shows bot activity without a bot")
	}
	botPage := e.importBot(t, b, csrf)
	p := b.post(botPage+"/try", url.Values{"csrf": {csrf}, "text": {"hi"}, "from": {"ann"}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "session=") {
		t.Fatalf("try: %d %s\n%s", p.status, p.location, p.body)
	}
	session := regexp.MustCompile(`session=(\d+)`).FindStringSubmatch(p.location)[1]
	p = b.post(botPage+"/try", url.Values{"csrf": {csrf}, "text": {"Ann"}, "from": {"ann"}, "session": {session}})
	console := b.get(p.location)
	transcript := between(console.body, `<ol class="transcript">`, "</ol>")
	if !strings.Contains(transcript, "What is your name?") || !strings.Contains(transcript, "Hello Ann!") || !strings.Contains(console.body, `value="ann"`) {
		t.Fatalf("the console:\n%s", transcript)
	}
	if p := b.post(botPage+"/try", url.Values{"csrf": {csrf}, "text": {strings.Repeat("x", 5000)}}); p.status != http.StatusBadRequest || fieldError(p.body, "f-text") == "" {
		t.Fatalf("a message too long: %d %q", p.status, fieldError(p.body, "f-text"))
	}

	botID := strings.TrimPrefix(botPage, "/ui/bots/")
	dash := b.get("/ui/dashboard?bot_id=" + botID)
	activity := between(dash.body, `id="bot-activity"`, "</main>")
	for _, want := range []string{`<svg class="chart messages"`, `<svg class="chart sessions"`, "2 user messages", "2 bot messages", "1 sessions started",
		`<option value="try">Try console</option>`, `<label for="f-channel">Channel`, "<th scope=\"row\">Try console</th>"} {
		if !strings.Contains(activity, want) {
			t.Fatalf("the bot activity lacks %q:\n%s", want, activity)
		}
	}
	// The bot's own channel has had no traffic.
	chs, err := e.channels.FindChannels(context.Background(), &hookline.Caller{}, mustInt(t, botID), hookline.PageRequest{})
	if err != nil || len(chs.Items) != 1 {
		t.Fatalf("channels: %+v, %v", chs, err)
	}
	site := b.get(fmt.Sprintf("/ui/dashboard?bot_id=%s&channel=%d", botID, chs.Items[0].ID))
	if !strings.Contains(site.body, "through site") || strings.Contains(site.body, "user messages</title>") || !strings.Contains(site.body, "No traffic in these hours") {
		t.Fatalf("the site channel's activity:\n%s", between(site.body, `id="bot-activity"`, "</section>"))
	}
	if p := b.get("/ui/dashboard?bot_id=" + botID + "&channel=try"); !strings.Contains(p.body, "2 user messages") || !strings.Contains(p.body, "through the try console") {
		t.Fatal("the console's activity")
	}
	if p := b.get("/ui/dashboard?bot_id=" + botID + "&channel=12345"); !strings.Contains(p.body, "not one of this bot's") {
		t.Fatal("a channel of no bot is not said")
	}
}

// TestBotsOfOtherCompanies: another company's bot, its channels and its
// console are the 404 page; its lists show none of them.
func TestBotsOfOtherCompanies(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	owner := e.browser()
	csrf := owner.signIn(e.shopKey.Secret)
	botPage := e.importBot(t, owner, csrf)
	botID := strings.TrimPrefix(botPage, "/ui/bots/")
	chs, _ := e.channels.FindChannels(ctx, &hookline.Caller{}, mustInt(t, botID), hookline.PageRequest{})
	chID := fmt.Sprint(chs.Items[0].ID)

	other := e.otherCompany(t)
	key, err := e.tenants.CreateKey(ctx, &hookline.Caller{}, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	otherCSRF := b.signIn(key.Secret)
	for _, path := range []string{"/ui/bots", "/ui/approvals", "/ui/dashboard"} {
		if p := b.get(path); p.status != 200 || strings.Contains(p.body, "Greeter") {
			t.Fatalf("%s shows another company's bot: %d", path, p.status)
		}
	}
	for _, path := range []string{botPage, botPage + "/channels", botPage + "/try", botPage + "/export?format=json", botPage + "/delete",
		"/ui/channels/" + chID + "/delete", "/ui/dashboard?bot_id=" + botID} {
		if p := b.get(path); p.status != http.StatusNotFound {
			t.Fatalf("GET %s by another company: %d", path, p.status)
		}
	}
	for _, path := range []string{botPage + "/delete", botPage + "/try", botPage + "/channels", "/ui/channels/" + chID + "/enable",
		"/ui/channels/" + chID + "/disable", "/ui/channels/" + chID + "/approve", "/ui/channels/" + chID + "/app", "/ui/channels/" + chID + "/delete"} {
		if p := b.post(path, url.Values{"csrf": {otherCSRF}, "text": {"hi"}, "name": {"Mine"}, "mode": {"sync"}, "app_id": {"1"}}); p.status != http.StatusNotFound {
			t.Fatalf("POST %s by another company: %d\n%s", path, p.status, p.body)
		}
	}
	if _, err := e.bots.FindBot(ctx, &hookline.Caller{}, mustInt(t, botID)); err != nil {
		t.Fatalf("another company deleted the bot: %v", err)
	}
	if ch, err := e.channels.FindChannel(ctx, &hookline.Caller{}, mustInt(t, chID)); err != nil || !ch.Enabled || ch.AppID != nil {
		t.Fatalf("another company changed the channel: %+v, %v", ch, err)
	}
}

// TestPart2FormsNeedCSRF posts every form of the integrations,
// connections, campaigns, bots and channels pages without the session's
// CSRF token, and with another session's: each is refused, and nothing
// changes.
func TestPart2FormsNeedCSRF(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	other := e.browser()
	otherCSRF := other.signIn(e.shopKey.Secret)
	e.connection(t, e.shopKey.Secret, 0, "shop-sms")
	connID := e.connection(t, e.shopKey.Secret, 0, "spare-sms")
	p := b.post("/ui/integrations/new", integrationForm(csrf, "Helpdesk", "connections", "shop-sms"))
	id := strings.TrimPrefix(regexp.MustCompile(`href="(/ui/integrations/\d+)"`).FindStringSubmatch(p.body)[1], "/ui/integrations/")
	p = b.post("/ui/campaigns/new", url.Values{"csrf": {csrf}, "name": {"Sale"}, "type": {"keyword"}, "connection": {"spare-sms"},
		"keywords": {"PRICE"}, "reply": {"Cheap."}})
	campID := idIn(t, p.location, `#campaign-(\d+)$`)
	botPage := e.importBot(t, b, csrf)
	chs, _ := e.channels.FindChannels(ctx, &hookline.Caller{}, mustInt(t, strings.TrimPrefix(botPage, "/ui/bots/")), hookline.PageRequest{})
	ch := fmt.Sprint(chs.Items[0].ID)
	paths := []string{
		"/ui/integrations/new", "/ui/integrations/" + id + "/edit", "/ui/integrations/" + id + "/start", "/ui/integrations/" + id + "/stop",
		"/ui/integrations/" + id + "/delete", "/ui/integrations/" + id + "/reply-token", "/ui/integrations/" + id + "/try",
		"/ui/connections/new", "/ui/connections/" + connID + "/delete",
		"/ui/campaigns/new", "/ui/campaigns/" + campID + "/live", "/ui/campaigns/" + campID + "/pause", "/ui/campaigns/" + campID + "/delete",
		"/ui/bots/import", botPage + "/delete", botPage + "/try", botPage + "/channels",
		"/ui/channels/" + ch + "/enable", "/ui/channels/" + ch + "/disable", "/ui/channels/" + ch + "/approve", "/ui/channels/" + ch + "/app",
		"/ui/channels/" + ch + "/delete",
	}
	for _, path := range paths {
		for name, token := range map[string]string{"none": "", "another session's": otherCSRF} {
			form := integrationForm(token, "Forged")
			for k, v := range map[string]string{"code": "forged", "type": "sms", "provider.account_sid": "AC1", "provider.auth_token": "x",
				"provider.from": "+1555", "name": "Forged", "connection": "spare-sms", "keywords": "X", "reply": "Y", "document": greeter,
				"mode": "sync", "text": "hi", "chat_id": "1", "app_id": "1"} {
				form.Set(k, v)
			}
			if p := b.post(path, form); p.status != http.StatusForbidden {
				t.Fatalf("POST %s with %s token: %d", path, name, p.status)
			}
		}
		// The same forged form as multipart, as the import form sends.
		if p := b.postFile(path, url.Values{"csrf": {otherCSRF}, "name": {"Forged"}}, "forged.yaml", greeter); p.status != http.StatusForbidden {
			t.Fatalf("POST %s as multipart with another session's token: %d", path, p.status)
		}
	}
	for _, list := range []string{"/ui/integrations", "/ui/connections", "/ui/campaigns", "/ui/bots", botPage + "/channels"} {
		if p := b.get(list); strings.Contains(p.body, "Forged") || strings.Contains(p.body, "forged") {
			t.Fatalf("a forged form changed %s", list)
		}
	}
	if i, _ := e.chats.FindIntegration(ctx, &hookline.Caller{}, mustInt(t, id)); i.Status != hookline.IntegrationInactive || i.Alias != "Helpdesk" {
		t.Fatalf("a forged form changed the integration: %+v", i)
	}
	if c, _ := e.chats.FindCampaign(ctx, &hookline.Caller{}, mustInt(t, campID)); c.Status != hookline.CampaignDraft {
		t.Fatalf("a forged form made the campaign %s", c.Status)
	}
	if got, _ := e.channels.FindChannel(ctx, &hookline.Caller{}, chs.Items[0].ID); !got.Enabled || got.Approved || got.AppID != nil {
		t.Fatalf("a forged form changed the channel: %+v", got)
	}
	if _, err := e.chats.FindConnection(ctx, &hookline.Caller{}, mustInt(t, connID)); err != nil {
		t.Fatalf("a forged form deleted the connection: %v", err)
	}
}
