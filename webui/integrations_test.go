package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// integrationForm is the form of a new integration as the page sends it,
// with the default body fields.
func integrationForm(csrf, alias string, kv ...string) url.Values {
	f := url.Values{"csrf": {csrf}, "op": {"save"}, "alias": {alias}, "method": {"POST"}, "url": {"https://crm.example.com/events"},
		"auth.type": {"none"}, "events": {"MESSAGE", "END"}}
	for i, k := range []string{"chatId", "contact", "event", "text"} {
		f.Set(fmt.Sprintf("body_fields[%d].key", i), k)
		f.Set(fmt.Sprintf("body_fields[%d].type", i), "variable")
		f.Set(fmt.Sprintf("body_fields[%d].value", i), k)
	}
	return with(f, kv...)
}

// smsForm is the new connection form for an SMS connection.
func smsForm(csrf, code string, kv ...string) url.Values {
	return with(url.Values{"csrf": {csrf}, "type": {"sms"}, "code": {code}, "provider.account_sid": {"AC0123"},
		"provider.auth_token": {"twilio-secret-token-77"}, "provider.from": {"+15550001111"}}, kv...)
}

// idIn reads the id at the end of a redirect's path (/ui/x/12?notice=...)
// or the id a fragment names (#integration-12).
func idIn(t *testing.T, location, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(location)
	if m == nil {
		t.Fatalf("no id in %q (%s)", location, pattern)
	}
	return m[1]
}

// TestIntegrationForm: the form starts with the default body fields and
// both events, every input labelled; errors of the services show next to
// their input, the form keeping what was typed; rows are added.
func TestIntegrationForm(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	p := b.get("/ui/integrations/new")
	for _, want := range []string{`<label for="f-alias">Alias`, `<label for="f-url">URL`, `value="multimedia.caption"`,
		`id="f-events-MESSAGE" name="events" value="MESSAGE" checked`, `<label for="f-body_fields-5-value" class="sr-only">Body field 6 value</label>`,
		"No connection yet"} {
		if !strings.Contains(p.body, want) {
			t.Fatalf("the new integration form lacks %q:\n%s", want, p.body)
		}
	}
	if strings.Contains(p.body, "Assign to") {
		t.Fatal("a company key is asked to assign the integration")
	}
	unlabelled(t, p.body)

	for _, tc := range []struct {
		name string
		form url.Values
		id   string
		want string
	}{
		{"no alias", integrationForm(csrf, " "), "f-alias", "must not be empty"},
		{"a template in the URL", integrationForm(csrf, "CRM", "url", "https://crm.example.com/{{chatId}}"), "f-url", "template tags"},
		{"a bad body key", integrationForm(csrf, "CRM", "body_fields[1].key", "a..b"), "f-body_fields-1-key", ""},
		{"a header name", integrationForm(csrf, "CRM", "headers[0].key", "Bad Header", "headers[0].value", "x"), "f-headers-0-key", "header name"},
		{"a bearer token missing", integrationForm(csrf, "CRM", "auth.type", "bearer"), "f-auth-token", ""},
	} {
		p := b.post("/ui/integrations/new", tc.form)
		if msg := fieldError(p.body, tc.id); p.status != http.StatusBadRequest || msg == "" || !strings.Contains(msg, tc.want) {
			t.Fatalf("%s: %d, error next to %s %q, want %q\n%s", tc.name, p.status, tc.id, msg, tc.want, p.body)
		}
		if !strings.Contains(p.body, `<a href="#`+tc.id+`">`) {
			t.Fatalf("%s: the summary does not link to %s", tc.name, tc.id)
		}
		if tc.name != "no alias" && !strings.Contains(p.body, `value="CRM"`) {
			t.Fatalf("%s: the form lost the alias", tc.name)
		}
	}
	// A connection of another company is not found, next to the group.
	e.connection(t, adminToken, e.otherCompany(t).ID, "theirs")
	p = b.post("/ui/integrations/new", integrationForm(csrf, "CRM", "connections", "theirs"))
	if p.status != http.StatusNotFound || !strings.Contains(fieldError(p.body, "f-connections"), "theirs") {
		t.Fatalf("another company's connection: %d %q\n%s", p.status, fieldError(p.body, "f-connections"), p.body)
	}
	p = b.post("/ui/integrations/new", integrationForm(csrf, "CRM", "op", "add:body_fields"))
	if p.status != 200 || !regexp.MustCompile(`id="f-body_fields-4-key"[^>]*autofocus`).MatchString(p.body) {
		t.Fatalf("add a body field: %d\n%s", p.status, p.body)
	}
}

// unlabelled fails when an input, select or textarea of the page has no
// label naming it.
func unlabelled(t *testing.T, body string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`<(input|select|textarea)\b([^>]*)>`).FindAllStringSubmatch(body, -1) {
		attrs := m[2]
		if strings.Contains(attrs, `type="hidden"`) || strings.Contains(attrs, "aria-label=") || strings.Contains(attrs, `aria-hidden="true"`) {
			continue
		}
		id := regexp.MustCompile(`\bid="([^"]+)"`).FindStringSubmatch(attrs)
		if id == nil || !strings.Contains(body, `<label for="`+id[1]+`"`) {
			t.Fatalf("an unlabelled %s: <%s%s>", m[1], m[1], attrs)
		}
	}
}

// connection creates an SMS connection through the UI, signed in with
// key (for company, when the key needs it to say), and returns its id.
func (e *env) connection(t *testing.T, key string, company int64, code string) string {
	t.Helper()
	b := e.browser()
	csrf := b.signIn(key)
	form := smsForm(csrf, code)
	if company != 0 {
		form.Set("company_id", fmt.Sprint(company))
	}
	p := b.post("/ui/connections/new", form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("create connection %s: %d\n%s", code, p.status, p.body)
	}
	return idIn(t, p.location, `#connection-(\d+)$`)
}

// otherCompany is a standalone company and a key of it.
func (e *env) otherCompany(t *testing.T) *hookline.Tenant {
	t.Helper()
	name, kind := "Other", hookline.KindCompany
	c, err := e.tenants.CreateTenant(context.Background(), &hookline.Caller{}, hookline.TenantInput{Name: &name, Kind: &kind})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIntegrationCards is seed 003 in the UI: an integration is created
// (its secrets shown once), started from its card, shown with its
// connection's icon; a chatbot campaign uses another integration, and
// stopping that one while the campaign is live is refused on its card;
// the card's campaigns dialog lists the campaign.
func TestIntegrationCards(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	e.connection(t, e.shopKey.Secret, 0, "shop-sms")
	e.connection(t, e.shopKey.Secret, 0, "shop-campaign")

	p := b.post("/ui/integrations/new", integrationForm(csrf, "Helpdesk", "connections", "shop-sms"))
	if p.status != http.StatusCreated {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	secret := regexp.MustCompile(`id="signing-secret" value="(whsec_[^"]+)"`).FindStringSubmatch(p.body)
	token := regexp.MustCompile(`id="reply-token" value="(hlr_[^"]+)"`).FindStringSubmatch(p.body)
	if secret == nil || token == nil || !strings.Contains(p.body, "<label for=\"signing-secret\">") {
		t.Fatalf("the secrets are not shown once:\n%s", p.body)
	}
	next := regexp.MustCompile(`href="(/ui/integrations/\d+)"`).FindStringSubmatch(p.body)
	id := strings.TrimPrefix(next[1], "/ui/integrations/")
	details := b.get(next[1])
	if details.status != 200 || strings.Contains(details.body, secret[1]) || strings.Contains(details.body, token[1]) ||
		!strings.Contains(details.body, "https://hooks.example.com/api/v1/integrations/"+id+"/chats/{chatId}/messages") ||
		!strings.Contains(details.body, "&#43;15550001111") {
		t.Fatalf("the details page (secrets must not show, the reply URL and the connection's sender must):\n%s", details.body)
	}

	cards := b.get("/ui/integrations")
	card := between(cards.body, `id="integration-`+id+`"`, "</li>")
	for _, want := range []string{"Helpdesk", "https://crm.example.com/events", `<dd class="mono">` + id + `</dd>`, "Inactive",
		`aria-label="SMS"`, "shop-sms", `action="/ui/integrations/` + id + `/start"`} {
		if !strings.Contains(card, want) {
			t.Fatalf("the card lacks %q:\n%s", want, card)
		}
	}
	p = b.post("/ui/integrations/"+id+"/start", url.Values{"csrf": {csrf}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "notice=integration-started") {
		t.Fatalf("start: %d %s", p.status, p.location)
	}
	started := b.get("/ui/integrations").body
	if card := between(started, `id="integration-`+id+`"`, "</li>"); !strings.Contains(started, `integration is-active" id="integration-`+id+`"`) ||
		!strings.Contains(card, `/stop"`) {
		t.Fatalf("the started card:\n%s", card)
	}

	// An integration for a chatbot campaign: no connections.
	p = b.post("/ui/integrations/new", integrationForm(csrf, "Campaign sink"))
	sink := strings.TrimPrefix(regexp.MustCompile(`href="(/ui/integrations/\d+)"`).FindStringSubmatch(p.body)[1], "/ui/integrations/")
	b.post("/ui/integrations/"+sink+"/start", url.Values{"csrf": {csrf}})
	// The campaign form: a connection an integration holds is refused
	// next to the connection.
	camp := url.Values{"csrf": {csrf}, "name": {"Spring sale"}, "type": {"chatbot"}, "connection": {"shop-sms"}, "integration_id": {sink}}
	p = b.post("/ui/campaigns/new", camp)
	if msg := fieldError(p.body, "f-connection"); p.status != http.StatusConflict || !strings.Contains(msg, "never both") {
		t.Fatalf("a held connection: %d %q\n%s", p.status, msg, p.body)
	}
	p = b.post("/ui/campaigns/new", with(camp, "connection", "shop-campaign", "bot_id", "1"))
	if msg := fieldError(p.body, "f-bot_id"); p.status != http.StatusBadRequest || !strings.Contains(msg, "not both") {
		t.Fatalf("both an integration and a bot: %d %q", p.status, msg)
	}
	p = b.post("/ui/campaigns/new", with(camp, "connection", "shop-campaign"))
	if p.status != http.StatusSeeOther {
		t.Fatalf("create the campaign: %d\n%s", p.status, p.body)
	}
	campID := idIn(t, p.location, `#campaign-(\d+)$`)
	// A draft campaign does not hold the integration; live needs it
	// started: refused on the row.
	if p := b.post("/ui/integrations/"+sink+"/stop", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("stop while the campaign is a draft: %d", p.status)
	}
	p = b.post("/ui/campaigns/"+campID+"/live", url.Values{"csrf": {csrf}})
	if row := between(p.body, `id="campaign-`+campID+`"`, "</tr>"); p.status != http.StatusConflict || !strings.Contains(row, "start it first") {
		t.Fatalf("live with an inactive integration: %d\n%s", p.status, row)
	}
	b.post("/ui/integrations/"+sink+"/start", url.Values{"csrf": {csrf}})
	if p := b.post("/ui/campaigns/"+campID+"/live", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("live: %d\n%s", p.status, p.body)
	}
	// Stop is refused while the live campaign uses it, on its card.
	p = b.post("/ui/integrations/"+sink+"/stop", url.Values{"csrf": {csrf}})
	card = between(p.body, `id="integration-`+sink+`"`, "</li>")
	if p.status != http.StatusConflict || !strings.Contains(card, `<p class="error" role="alert" id="integration-`+sink+`-error">`) ||
		!strings.Contains(card, "cannot be stopped while live campaigns use it: ") || !strings.Contains(card, `aria-describedby="integration-`+sink+`-error"`) {
		t.Fatalf("stop while a live campaign uses it: %d\n%s", p.status, card)
	}
	if i, _ := e.chats.FindIntegration(context.Background(), &hookline.Caller{}, mustInt(t, sink)); i.Status != hookline.IntegrationActive {
		t.Fatalf("the refused stop stopped it: %s", i.Status)
	}
	// The campaigns dialog of the card: id, name, integration date.
	dialog := between(card, `<dialog id="campaigns-`+sink+`"`, "</dialog>")
	if !strings.Contains(dialog, "Spring sale") || !strings.Contains(dialog, `<td class="mono">`+campID+`</td>`) ||
		!strings.Contains(dialog, " UTC</td>") || !strings.Contains(dialog, "Custom Webhook") || !strings.Contains(dialog, `<form method="dialog">`) {
		t.Fatalf("the campaigns dialog:\n%s", dialog)
	}
	// The campaigns page: the campaign, live, and what answers it.
	list := b.get("/ui/campaigns")
	if row := between(list.body, `id="campaign-`+campID+`"`, "</tr>"); !strings.Contains(row, "Campaign sink") || !strings.Contains(row, "s-live") ||
		!strings.Contains(row, `/pause"`) || strings.Contains(row, "/delete") {
		t.Fatalf("the campaign's row:\n%s", row)
	}
	// Deleting a live campaign is not offered; the connection it holds
	// cannot be deleted, and the refusal is on the confirmation page.
	conns := b.get("/ui/connections")
	held := regexp.MustCompile(`id="connection-(\d+)"[\s\S]*?shop-campaign`).FindStringSubmatch(conns.body)
	if held == nil || !strings.Contains(conns.body, "Campaign "+campID) || strings.Contains(conns.body, "twilio-secret-token-77") ||
		!strings.Contains(conns.body, "********") || !strings.Contains(conns.body, "https://hooks.example.com/channels/sms/shop-campaign") {
		t.Fatalf("the connections (held by, masked secrets, inbound URLs):\n%s", conns.body)
	}
	p = b.post("/ui/connections/"+held[1]+"/delete", url.Values{"csrf": {csrf}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, `id="confirm-error"`) {
		t.Fatalf("delete a held connection: %d\n%s", p.status, p.body)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// between returns the text of s from the first from to the next to after
// it, "" when from is absent.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// TestTryOut: a contact's message opens a chat; the Try Out form lists it,
// refuses an empty reply next to the message, and queues a reply, which
// the chat then shows; a new reply token is shown once.
func TestTryOut(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	e.connection(t, e.shopKey.Secret, 0, "shop-sms")
	p := b.post("/ui/integrations/new", integrationForm(csrf, "Helpdesk", "connections", "shop-sms"))
	id := strings.TrimPrefix(regexp.MustCompile(`href="(/ui/integrations/\d+)"`).FindStringSubmatch(p.body)[1], "/ui/integrations/")
	details := b.get("/ui/integrations/" + id)
	if !strings.Contains(details.body, "No open chat yet") {
		t.Fatalf("Try Out without a chat:\n%s", details.body)
	}
	b.post("/ui/integrations/"+id+"/start", url.Values{"csrf": {csrf}})
	conn, err := e.chats.InboundConnection(ctx, hookline.ConnectionSMS, "shop-sms")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.chats.Receive(ctx, conn, []hookline.ProviderMessage{{ProviderID: "SM1", From: "+15557654321", To: "+15550001111", Text: "Where is my order?"}}); err != nil {
		t.Fatal(err)
	}
	details = b.get("/ui/integrations/" + id)
	chat := regexp.MustCompile(`<option value="(\d+)">Chat \d+ · &#43;15557654321 · SMS · shop-sms`).FindStringSubmatch(details.body)
	if chat == nil {
		t.Fatalf("the open chat is not offered:\n%s", between(details.body, `id="try-out"`, "</section>"))
	}
	unlabelled(t, details.body)
	action := "/ui/integrations/" + id + "/try"
	p = b.post(action, url.Values{"csrf": {csrf}, "chat_id": {chat[1]}, "text": {" "}})
	if p.status != http.StatusBadRequest || !strings.Contains(fieldError(p.body, "f-text"), "text") {
		t.Fatalf("an empty reply: %d %q", p.status, fieldError(p.body, "f-text"))
	}
	p = b.post(action, url.Values{"csrf": {csrf}, "chat_id": {"99999"}, "text": {"hi"}})
	if p.status != http.StatusNotFound || !strings.Contains(fieldError(p.body, "f-chat_id"), "not found") {
		t.Fatalf("a chat that is not there: %d %q", p.status, fieldError(p.body, "f-chat_id"))
	}
	p = b.post(action, url.Values{"csrf": {csrf}, "chat_id": {chat[1]}, "text": {"It ships today."}, "multimedia.url": {"not a url"}})
	if p.status != http.StatusBadRequest || fieldError(p.body, "f-multimedia-url") == "" {
		t.Fatalf("a bad medium: %d", p.status)
	}
	p = b.post(action, url.Values{"csrf": {csrf}, "chat_id": {chat[1]}, "text": {"It ships today."}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "chat="+chat[1]) {
		t.Fatalf("reply: %d %s\n%s", p.status, p.location, p.body)
	}
	after := b.get(p.location)
	transcript := between(after.body, `<ol class="transcript">`, "</ol>")
	if !strings.Contains(after.body, "The reply is queued") || !strings.Contains(transcript, "Where is my order?") || !strings.Contains(transcript, "It ships today.") {
		t.Fatalf("after the reply:\n%s", transcript)
	}
	// A new reply token, shown once.
	p = b.post("/ui/integrations/"+id+"/reply-token", url.Values{"csrf": {csrf}})
	token := regexp.MustCompile(`id="reply-token" value="(hlr_[^"]+)"`).FindStringSubmatch(p.body)
	if p.status != 200 || token == nil || strings.Contains(b.get("/ui/integrations/"+id).body, token[1]) {
		t.Fatalf("rotate: %d\n%s", p.status, p.body)
	}
}

// TestIntegrationsOfOtherCompanies: a company sees none of another's
// integrations, connections and campaigns, and its requests for them are
// the 404 page; nothing changes.
func TestIntegrationsOfOtherCompanies(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	owner := e.browser()
	csrf := owner.signIn(e.shopKey.Secret)
	connID := e.connection(t, e.shopKey.Secret, 0, "shop-sms")
	p := owner.post("/ui/integrations/new", integrationForm(csrf, "Helpdesk"))
	id := strings.TrimPrefix(regexp.MustCompile(`href="(/ui/integrations/\d+)"`).FindStringSubmatch(p.body)[1], "/ui/integrations/")
	p = owner.post("/ui/campaigns/new", url.Values{"csrf": {csrf}, "name": {"Sale"}, "type": {"keyword"}, "connection": {"shop-sms"},
		"keywords": {"PRICE\nHOURS"}, "reply": {"Open 9 to 5."}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("keyword campaign: %d\n%s", p.status, p.body)
	}
	campID := idIn(t, p.location, `#campaign-(\d+)$`)

	other := e.otherCompany(t)
	key, err := e.tenants.CreateKey(ctx, &hookline.Caller{}, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	otherCSRF := b.signIn(key.Secret)
	for _, list := range []string{"/ui/integrations", "/ui/connections", "/ui/campaigns"} {
		if p := b.get(list); p.status != 200 || strings.Contains(p.body, "Helpdesk") || strings.Contains(p.body, "shop-sms") || strings.Contains(p.body, "Sale") {
			t.Fatalf("%s shows another company's:\n%s", list, p.body)
		}
	}
	for _, path := range []string{"/ui/integrations/" + id, "/ui/integrations/" + id + "/edit", "/ui/integrations/" + id + "/delete",
		"/ui/connections/" + connID + "/delete", "/ui/campaigns/" + campID + "/delete"} {
		if p := b.get(path); p.status != http.StatusNotFound {
			t.Fatalf("GET %s by another company: %d", path, p.status)
		}
	}
	for _, path := range []string{"/ui/integrations/" + id + "/edit", "/ui/integrations/" + id + "/start", "/ui/integrations/" + id + "/delete",
		"/ui/integrations/" + id + "/reply-token", "/ui/integrations/" + id + "/try", "/ui/connections/" + connID + "/delete",
		"/ui/campaigns/" + campID + "/live", "/ui/campaigns/" + campID + "/delete"} {
		form := integrationForm(otherCSRF, "Taken")
		form.Set("chat_id", "1")
		form.Set("text", "hi")
		if p := b.post(path, form); p.status != http.StatusNotFound {
			t.Fatalf("POST %s by another company: %d\n%s", path, p.status, p.body)
		}
	}
	if i, err := e.chats.FindIntegration(ctx, &hookline.Caller{}, mustInt(t, id)); err != nil || i.Alias != "Helpdesk" || i.Status != hookline.IntegrationInactive {
		t.Fatalf("another company changed the integration: %+v, %v", i, err)
	}
	if c, err := e.chats.FindCampaign(ctx, &hookline.Caller{}, mustInt(t, campID)); err != nil || c.Status != hookline.CampaignDraft {
		t.Fatalf("another company changed the campaign: %+v, %v", c, err)
	}
	if _, err := e.chats.FindConnection(ctx, &hookline.Caller{}, mustInt(t, connID)); err != nil {
		t.Fatalf("another company deleted the connection: %v", err)
	}
}

// TestAgencyAssignsTo: an agency picks the company of what it creates;
// without one, the error is next to Assign to.
func TestAgencyAssignsTo(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.agencyKey.Secret)
	for _, path := range []string{"/ui/integrations/new", "/ui/connections/new", "/ui/campaigns/new", "/ui/bots/import"} {
		p := b.get(path)
		if !strings.Contains(p.body, `<label for="f-company_id">Assign to`) || !strings.Contains(p.body, fmt.Sprintf(`<option value="%d">Acme Shop</option>`, e.shop.ID)) {
			t.Fatalf("%s has no Assign to:\n%s", path, p.body)
		}
	}
	p := b.post("/ui/connections/new", smsForm(csrf, "agency-sms"))
	if p.status != http.StatusBadRequest || !strings.Contains(fieldError(p.body, "f-company_id"), "company_id") || strings.Contains(p.body, "twilio-secret-token-77") {
		t.Fatalf("no company: %d %q (the typed secret must not come back)", p.status, fieldError(p.body, "f-company_id"))
	}
	e.connection(t, e.agencyKey.Secret, e.shop.ID, "agency-sms")
	p = b.post("/ui/integrations/new", integrationForm(csrf, "Agency CRM", "connections", "agency-sms", "company_id", fmt.Sprint(e.shop.ID)))
	if p.status != http.StatusCreated {
		t.Fatalf("with the company: %d\n%s", p.status, p.body)
	}
	if cards := b.get("/ui/integrations"); !strings.Contains(cards.body, "<dd>Acme Shop</dd>") {
		t.Fatalf("the card does not name the company:\n%s", cards.body)
	}
}

// TestIntegrationEdit: the edit form shows the stored integration, its
// token masked; saving keeps the masked token and changes what was
// changed; the integration is deleted after a confirmation, and a
// campaign linking it makes the confirmation page show the refusal.
func TestIntegrationEdit(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	e.connection(t, e.shopKey.Secret, 0, "shop-sms")
	p := b.post("/ui/integrations/new", integrationForm(csrf, "Helpdesk", "connections", "shop-sms", "auth.type", "bearer", "auth.token", "crm-token-9"))
	id := strings.TrimPrefix(regexp.MustCompile(`href="(/ui/integrations/\d+)"`).FindStringSubmatch(p.body)[1], "/ui/integrations/")
	edit := b.get("/ui/integrations/" + id + "/edit")
	if edit.status != 200 || !strings.Contains(edit.body, `value="Helpdesk"`) || strings.Contains(edit.body, "crm-token-9") ||
		!strings.Contains(edit.body, `value="********"`) || !strings.Contains(edit.body, `id="f-connections-shop-sms" name="connections" value="shop-sms" checked`) {
		t.Fatalf("the edit form:\n%s", edit.body)
	}
	unlabelled(t, edit.body)
	form := integrationForm(csrf, "Helpdesk 2", "auth.type", "bearer", "auth.token", "********")
	form.Del("events")
	form.Add("events", "END")
	p = b.post("/ui/integrations/"+id+"/edit", form)
	if p.status != http.StatusSeeOther || p.location != "/ui/integrations/"+id+"?notice=integration-saved" {
		t.Fatalf("save: %d %s\n%s", p.status, p.location, p.body)
	}
	stored, err := e.store.FindIntegration(ctx, hookline.AdminScope(), mustInt(t, id))
	if err != nil || stored.Alias != "Helpdesk 2" || stored.Auth.Token != "crm-token-9" || len(stored.Connections) != 0 ||
		len(stored.Events) != 1 || stored.Events[0] != "END" {
		t.Fatalf("stored after the edit: %+v, %v", stored, err)
	}
	// Linked by a campaign: the deletion is refused on its page.
	b.post("/ui/integrations/"+id+"/start", url.Values{"csrf": {csrf}})
	if p := b.post("/ui/campaigns/new", url.Values{"csrf": {csrf}, "name": {"Sale"}, "type": {"chatbot"}, "connection": {"shop-sms"}, "integration_id": {id}}); p.status != http.StatusSeeOther {
		t.Fatalf("campaign: %d\n%s", p.status, p.body)
	}
	if confirm := b.get("/ui/integrations/" + id + "/delete"); !strings.Contains(confirm.body, "Delete Helpdesk 2?") {
		t.Fatalf("the confirmation:\n%s", confirm.body)
	}
	p = b.post("/ui/integrations/"+id+"/delete", url.Values{"csrf": {csrf}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, `id="confirm-error"`) || !strings.Contains(p.body, "campaigns link it") {
		t.Fatalf("delete while a campaign links it: %d\n%s", p.status, p.body)
	}
	camps, _ := e.chats.FindCampaigns(ctx, &hookline.Caller{}, 0, hookline.PageRequest{})
	if p := b.post(fmt.Sprintf("/ui/campaigns/%d/delete", camps.Items[0].ID), url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("delete the campaign: %d", p.status)
	}
	p = b.post("/ui/integrations/"+id+"/delete", url.Values{"csrf": {csrf}})
	if p.status != http.StatusSeeOther || p.location != "/ui/integrations?notice=integration-deleted" {
		t.Fatalf("delete: %d %s", p.status, p.location)
	}
	if list := b.get(p.location); strings.Contains(list.body, "Helpdesk 2") || !strings.Contains(list.body, "Integration deleted.") {
		t.Fatalf("the deleted integration is still listed:\n%s", list.body)
	}
}

// TestEveryInputLabelled opens every page of part 2, as an agency with
// something on each, and checks that each input has a label.
func TestEveryInputLabelled(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.agencyKey.Secret)
	shop := fmt.Sprint(e.shop.ID)
	e.connection(t, e.agencyKey.Secret, e.shop.ID, "shop-sms")
	p := b.post("/ui/integrations/new", integrationForm(csrf, "Helpdesk", "company_id", shop))
	id := strings.TrimPrefix(regexp.MustCompile(`href="(/ui/integrations/\d+)"`).FindStringSubmatch(p.body)[1], "/ui/integrations/")
	p = b.postFile("/ui/bots/import", url.Values{"csrf": {csrf}, "company_id": {shop}}, "greeter.yaml", greeter)
	if p.status != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", p.status, p.body)
	}
	bot := p.location[:strings.Index(p.location, "?")]
	for _, path := range []string{"/ui/integrations", "/ui/integrations/new", "/ui/integrations/" + id, "/ui/integrations/" + id + "/edit",
		"/ui/connections", "/ui/connections/new", "/ui/campaigns", "/ui/campaigns/new", "/ui/bots", "/ui/bots/import", bot,
		bot + "/channels", bot + "/try", "/ui/approvals", "/ui/dashboard"} {
		p := b.get(path)
		if p.status != 200 {
			t.Fatalf("%s: %d", path, p.status)
		}
		unlabelled(t, p.body)
	}
}
