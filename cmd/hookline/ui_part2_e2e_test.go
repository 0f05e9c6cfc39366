package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// uiGreeter is the bot the browser test imports: it asks a name and
// greets, and has a webhook channel.
const uiGreeter = `name: Greeter
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

// signInUI signs in with key from the sign-in page.
func signInUI(t *testing.T, ctx context.Context, base, key string) {
	t.Helper()
	do(t, ctx, "open the sign-in page", chromedp.Navigate(base+"/ui/sign-in"), chromedp.WaitVisible(chromedp.CSS("#f-api_key")))
	do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS("#f-api_key"), key), chromedp.Submit(chromedp.CSS("#f-api_key")),
		chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)))
}

// pressEnter presses Enter on the focused element as a keyboard does,
// with the key's text on its keydown, which activates links and buttons.
func pressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
			p := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
			if typ == input.DispatchKeyEventTypeKeyDown {
				p.Text, p.UnmodifiedText = "\r", "\r"
			}
			if _, err := cdp.Call(ctx, tab, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// hrefOf returns the href attribute of the first element sel matches.
func hrefOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, "read the link "+sel, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).getAttribute("href")`, sel)))
}

// TestUIIntegrationsAndBots is the web UI's Done-when for the Custom
// Webhook integration and the bots, in Chromium against the real binary:
// a company signs in, creates two SMS connections and two integrations
// (one holding a connection, one for a chatbot campaign; each shows its
// signing secret once), starts them from their cards, sees a campaign on
// a held connection refused next to the connection, creates the campaign
// on the other and makes it live, sees Stop refused on the card while
// the campaign uses the integration, and opens the card's campaigns
// dialog by keyboard. Then it imports a bot (an error names the document
// path; the upload works), sees its modules, creates a webhook channel
// and sees its secret once, talks to the bot, sees its activity on the
// dashboard; the operator approves the channel. Every new page is shot at
// 1280 and 390 pixels wide.
func TestUIIntegrationsAndBots(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives a browser")
	}
	ctx := browser(t, 90*time.Second)
	n := &node{t: t, bin: buildBinary(t), data: t.TempDir(), env: []string{
		"HOOKLINE_ADMIN_TOKEN=" + uiAdmin,
		"HOOKLINE_DATABASE_URL=",
		"HOOKLINE_SECRET_KEY=",
		"HOOKLINE_PUBLIC_URL=",
	}}
	n.start()
	t.Cleanup(n.stop)
	base := n.url()
	api := client{t, base}
	company := api.call("POST", "/api/v1/tenants", uiAdmin, `{"name": "Acme Shop", "kind": "company"}`, 201)
	key := api.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), uiAdmin, "", 201)["key"].(string)
	signInUI(t, ctx, base, key)

	// Two SMS connections; the form shows the chosen type's fields only.
	for i, code := range []string{"shop-sms", "direct-sms"} {
		do(t, ctx, "open the connection form", chromedp.Navigate(base+"/ui/connections/new"), chromedp.WaitVisible(chromedp.CSS("#f-code")))
		if get(t, ctx, "are WhatsApp's fields shown", chromedp.Evaluate[bool](`document.getElementById("f-provider-phone_number_id").offsetParent !== null`)) {
			t.Fatal("an SMS connection's form shows WhatsApp's fields")
		}
		do(t, ctx, "fill in "+code,
			chromedp.SendKeys(chromedp.CSS("#f-code"), code),
			chromedp.SendKeys(chromedp.CSS("#f-provider-account_sid"), "AC0123456789"),
			chromedp.SendKeys(chromedp.CSS("#f-provider-auth_token"), "twilio-secret-token-77"),
			chromedp.SendKeys(chromedp.CSS("#f-provider-from"), fmt.Sprintf("+1555000111%d", i)))
		if i == 0 {
			keyboardReachesEveryControl(t, ctx, "form.switcher")
			screenshots(t, ctx, "connection-new")
		}
		do(t, ctx, "create "+code, chromedp.Click(chromedp.CSS(".actions.final button.primary")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	}
	if got := textOf(t, ctx, "main"); !strings.Contains(got, "********") || strings.Contains(got, "twilio-secret-token-77") {
		t.Fatalf("the connections must mask their secrets: %q", got)
	}
	inbound := get(t, ctx, "read an inbound URL", chromedp.Value(chromedp.CSS(`input[id^="inbound-"]`)))
	if !strings.HasPrefix(inbound, base+"/channels/sms/") {
		t.Fatalf("inbound URL %q", inbound)
	}
	screenshots(t, ctx, "connections")

	// Two integrations: one holds direct-sms, one serves a campaign.
	newIntegration := func(alias string, conn string, shoot bool) string {
		t.Helper()
		do(t, ctx, "open the integration form", chromedp.Navigate(base+"/ui/integrations/new"), chromedp.WaitVisible(chromedp.CSS("#f-alias")))
		do(t, ctx, "fill in "+alias,
			chromedp.SendKeys(chromedp.CSS("#f-alias"), alias),
			chromedp.SendKeys(chromedp.CSS("#f-url"), "https://crm.example.com/events"))
		if conn != "" {
			do(t, ctx, "take "+conn, chromedp.Click(chromedp.CSS("#f-connections-"+conn)))
		}
		if shoot {
			keyboardReachesEveryControl(t, ctx, "form.integration-form")
			screenshots(t, ctx, "integration-new")
		}
		do(t, ctx, "create "+alias, chromedp.Click(chromedp.CSS(`.actions.final button[value="save"]`)), chromedp.WaitVisible(chromedp.CSS("#signing-secret")))
		secret := get(t, ctx, "read the signing secret", chromedp.Value(chromedp.CSS("#signing-secret")))
		token := get(t, ctx, "read the reply token", chromedp.Value(chromedp.CSS("#reply-token")))
		if !strings.HasPrefix(secret, "whsec_") || !strings.HasPrefix(token, "hlr_") {
			t.Fatalf("the secrets shown once: %q, %q", secret, token)
		}
		if shoot {
			screenshots(t, ctx, "integration-created")
		}
		details := hrefOf(t, ctx, ".secrets a.primary")
		do(t, ctx, "continue to the integration", chromedp.Click(chromedp.CSS(".secrets a.primary")), chromedp.WaitVisible(chromedp.CSS("#api-details")))
		if got := textOf(t, ctx, "main"); strings.Contains(got, secret) || strings.Contains(got, token) {
			t.Fatal("the details page shows a secret")
		}
		return strings.TrimPrefix(details, "/ui/integrations/")
	}
	direct := newIntegration("Direct line", "direct-sms", false)
	reply := get(t, ctx, "read the reply URL", chromedp.Value(chromedp.CSS("#reply-url")))
	if reply != fmt.Sprintf("%s/api/v1/integrations/%s/chats/{chatId}/messages", base, direct) {
		t.Fatalf("reply URL %q", reply)
	}
	screenshots(t, ctx, "integration-details")
	helpdesk := newIntegration("Helpdesk", "", true)

	// Start both from their cards.
	for _, id := range []string{direct, helpdesk} {
		do(t, ctx, "open the cards", chromedp.Navigate(base+"/ui/integrations"), chromedp.WaitVisible(chromedp.CSS("#integration-"+id)))
		do(t, ctx, "start "+id, chromedp.Click(chromedp.CSS("#integration-"+id+" form.start button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
		if got := textOf(t, ctx, "#integration-"+id+" .badge"); got != "Active" {
			t.Fatalf("integration %s after Start: %q", id, got)
		}
	}
	if icon := get(t, ctx, "the SMS icon's name", chromedp.Evaluate[string](`document.querySelector("#integration-`+direct+` .conn svg").getAttribute("aria-label")`)); icon != "SMS" {
		t.Fatalf("the connection icon is named %q", icon)
	}

	// A campaign on the connection an integration holds is refused next
	// to the connection; on the free one it is created, then made live.
	do(t, ctx, "open the campaign form", chromedp.Navigate(base+"/ui/campaigns/new"), chromedp.WaitVisible(chromedp.CSS("#f-name")))
	if get(t, ctx, "are the keyword fields shown", chromedp.Evaluate[bool](`document.getElementById("f-keywords").offsetParent !== null`)) {
		t.Fatal("a chatbot campaign's form shows the keyword fields")
	}
	do(t, ctx, "fill in the campaign",
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Spring sale"),
		choose("#f-connection", "direct-sms"),
		choose("#f-integration_id", helpdesk),
		chromedp.Click(chromedp.CSS(".actions.final button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#f-connection-error")))
	if got := textOf(t, ctx, "#f-connection-error"); !strings.Contains(got, "never both") {
		t.Fatalf("the held connection's error: %q", got)
	}
	if got := textOf(t, ctx, ".alert a"); got != "Connection" {
		t.Fatalf("the error summary links to %q", got)
	}
	screenshots(t, ctx, "campaign-error")
	do(t, ctx, "choose the free connection", choose("#f-connection", "shop-sms"),
		chromedp.Click(chromedp.CSS(".actions.final button.primary")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	loc := get(t, ctx, "where the campaign is", chromedp.Location())
	campaign := loc[strings.LastIndex(loc, "-")+1:]
	// The page already shows a notice: the pause button tells the new one.
	do(t, ctx, "make it live", chromedp.Click(chromedp.CSS("#campaign-"+campaign+" form.live button")),
		chromedp.WaitVisible(chromedp.CSS("#campaign-"+campaign+" form.pause")))
	if got := textOf(t, ctx, "#campaign-"+campaign); !strings.Contains(got, "live") || !strings.Contains(got, "Helpdesk") {
		t.Fatalf("the live campaign's row: %q", got)
	}
	screenshots(t, ctx, "campaigns")

	// Stop is refused while the live campaign uses the integration: the
	// error is on its card, and it stays active.
	do(t, ctx, "open the cards", chromedp.Navigate(base+"/ui/integrations"), chromedp.WaitVisible(chromedp.CSS("#integration-"+helpdesk)))
	screenshots(t, ctx, "integrations")
	do(t, ctx, "stop Helpdesk", chromedp.Click(chromedp.CSS("#integration-"+helpdesk+" form.stop button")),
		chromedp.WaitVisible(chromedp.CSS("#integration-"+helpdesk+"-error")))
	if got := textOf(t, ctx, "#integration-"+helpdesk+"-error"); !strings.Contains(got, "cannot be stopped while live campaigns use it") || !strings.Contains(got, "Spring sale") {
		t.Fatalf("the refusal on the card: %q", got)
	}
	if i := api.call("GET", "/api/v1/integrations/"+helpdesk, key, "", 200); i["status"] != "active" {
		t.Fatalf("the refused stop left it %v", i["status"])
	}
	screenshots(t, ctx, "integrations-stop-refused")

	// The campaigns dialog, by keyboard: Enter opens it with the focus on
	// Close, Escape closes it and gives the focus back.
	link := `a[data-dialog="campaigns-` + helpdesk + `"]`
	do(t, ctx, "open the campaigns dialog", chromedp.Focus(chromedp.CSS(link)), pressEnter(),
		chromedp.WaitVisible(chromedp.CSS("#campaigns-"+helpdesk)))
	if got := textOf(t, ctx, "#campaigns-"+helpdesk); !strings.Contains(got, "Spring sale") || !strings.Contains(got, campaign) || !strings.Contains(got, "UTC") {
		t.Fatalf("the campaigns dialog: %q", got)
	}
	if got := get(t, ctx, "the focus in the dialog", chromedp.Evaluate[string](`document.activeElement.textContent.trim()`)); got != "Close" {
		t.Fatalf("the dialog opened with the focus on %q", got)
	}
	screenshots(t, ctx, "integration-campaigns")
	do(t, ctx, "close the dialog", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("#campaigns-"+helpdesk)))
	if !get(t, ctx, "the focus after the dialog", chromedp.Evaluate[bool](`document.activeElement.matches(`+fmt.Sprintf("%q", link)+`)`)) {
		t.Fatal("closing the dialog does not give the focus back to its link")
	}

	// Import a bot: an error names the document path; the upload works.
	do(t, ctx, "open the import form", chromedp.Navigate(base+"/ui/bots/import"), chromedp.WaitVisible(chromedp.CSS("#f-document")))
	do(t, ctx, "paste a broken document",
		chromedp.SetValue(chromedp.CSS("#f-document"), strings.Replace(uiGreeter, "- to: 2", "- to: 7", 1)),
		chromedp.Click(chromedp.CSS("form button.primary")), chromedp.WaitVisible(chromedp.CSS("#f-document-error")))
	if got := textOf(t, ctx, "#f-document-error"); !strings.Contains(got, "modules[0].connections[0].to: no module 7") {
		t.Fatalf("the document's error: %q", got)
	}
	screenshots(t, ctx, "bot-import-error")
	file := filepath.Join(t.TempDir(), "greeter.yaml")
	if err := os.WriteFile(file, []byte(uiGreeter), 0o644); err != nil {
		t.Fatal(err)
	}
	// The broken text stays in the box: the file takes its place.
	do(t, ctx, "upload the document",
		chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}),
		chromedp.Click(chromedp.CSS("form button.primary")), chromedp.WaitVisible(chromedp.CSS("table.modules")))
	if got := textOf(t, ctx, "table.modules"); !strings.Contains(got, "What is your name?") || !strings.Contains(got, "name (text)") || !strings.Contains(got, "→ 2") {
		t.Fatalf("the modules: %q", got)
	}
	botURL := get(t, ctx, "the bot's address", chromedp.Location())
	botPath := botURL[strings.Index(botURL, "/ui/bots/"):strings.Index(botURL, "?")]
	botID := strings.TrimPrefix(botPath, "/ui/bots/")
	screenshots(t, ctx, "bot")

	// A webhook channel: its client secret once.
	do(t, ctx, "open the channels", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/channels"]`)), chromedp.WaitVisible(chromedp.CSS("#f-name")))
	do(t, ctx, "add a channel", chromedp.SendKeys(chromedp.CSS("#f-name"), "CRM"),
		chromedp.Click(chromedp.CSS(`form.switcher button.primary`)), chromedp.WaitVisible(chromedp.CSS("#client-secret")))
	clientSecret := get(t, ctx, "read the client secret", chromedp.Value(chromedp.CSS("#client-secret")))
	hookURL := get(t, ctx, "read the webhook URL", chromedp.Value(chromedp.CSS("#webhook-url")))
	if len(clientSecret) < 32 || !strings.HasPrefix(hookURL, base+"/chatbot/hooks/"+botID+"/hookInstance/") {
		t.Fatalf("the new channel: secret %q, URL %q", clientSecret, hookURL)
	}
	screenshots(t, ctx, "channel-created")
	do(t, ctx, "back to the channels", chromedp.Click(chromedp.CSS(".secrets a.primary")), chromedp.WaitVisible(chromedp.CSS("ul.channels")))
	if got := textOf(t, ctx, "main"); strings.Contains(got, clientSecret) || !strings.Contains(got, "waiting for approval") {
		t.Fatalf("the channels page after the secret: %q", got)
	}
	screenshots(t, ctx, "bot-channels")

	// Talk to it.
	do(t, ctx, "open the console", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/try"]`)), chromedp.WaitVisible(chromedp.CSS("#f-text")))
	for i, text := range []string{"hi", "Ann"} {
		do(t, ctx, "say "+text, chromedp.SendKeys(chromedp.CSS("#f-text"), text), chromedp.Submit(chromedp.CSS("#f-text")),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("ol.transcript li:nth-of-type(%d)", 2*i+2))))
	}
	if got := textOf(t, ctx, "ol.transcript"); !strings.Contains(got, "What is your name?") || !strings.Contains(got, "Hello Ann!") {
		t.Fatalf("the conversation: %q", got)
	}
	screenshots(t, ctx, "bot-try")

	// Its activity on the dashboard.
	do(t, ctx, "open the dashboard", chromedp.Navigate(base+"/ui/dashboard?bot_id="+botID), chromedp.WaitVisible(chromedp.CSS("svg.chart.messages")))
	if bars := get(t, ctx, "count the message bars", chromedp.Evaluate[int](`document.querySelectorAll("svg.messages rect.bar").length`)); bars == 0 {
		t.Fatal("no message bars")
	}
	do(t, ctx, "filter by the console", choose("#f-channel", "try"), chromedp.Submit(chromedp.CSS("#f-channel")),
		chromedp.WaitVisible(chromedp.CSS("svg.chart.sessions")))
	if got := textOf(t, ctx, "#bot-activity .lead"); !strings.Contains(got, "through the try console") {
		t.Fatalf("the filtered activity: %q", got)
	}
	screenshots(t, ctx, "dashboard-bots")

	// The operator approves the channel.
	do(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.CSS("#f-api_key")))
	signInUI(t, ctx, base, uiAdmin)
	do(t, ctx, "open the approvals", chromedp.Click(chromedp.CSS(`nav[aria-label="Main"] a[href="/ui/approvals"]`)), chromedp.WaitVisible(chromedp.CSS("tbody")))
	chs := api.call("GET", "/api/v1/bots/"+botID+"/channels", key, "", 200)["channels"].([]any)
	crm := fmt.Sprint(chs[len(chs)-1].(map[string]any)["id"])
	if got := textOf(t, ctx, "tbody"); !strings.Contains(got, "CRM") || !strings.Contains(got, "site") || !strings.Contains(got, "Greeter") {
		t.Fatalf("the approvals: %q", got)
	}
	screenshots(t, ctx, "approvals")
	do(t, ctx, "approve CRM", chromedp.Click(chromedp.CSS("#channel-"+crm+" button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if ch := api.call("GET", "/api/v1/channels/"+crm, key, "", 200); ch["approved"] != true {
		t.Fatalf("the channel after Approve: %v", ch)
	}
}
