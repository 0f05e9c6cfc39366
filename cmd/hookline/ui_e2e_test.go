package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// uiAdmin is the admin key of the browser tests' process.
const uiAdmin = "ui-test-admin-token-0123456789"

// ticketReceiver is the helpdesk of seed 002: it answers every request
// with the ticket, except a body saying "fail", which it refuses with a
// 400, and records what it got.
type ticketReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func newTicketReceiver(t *testing.T) *ticketReceiver {
	rc := &ticketReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, r)
		rc.bodies = append(rc.bodies, string(body))
		rc.mu.Unlock()
		if strings.Contains(string(body), "fail") {
			http.Error(w, `{"error": "refused"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ticket": {"url": "https://aaaa.com/api/v2/tickets/388.json", "id": 388, "priority": "low", "status": "open", "external_id": null}}`)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *ticketReceiver) last(t *testing.T) (*http.Request, string) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.requests) == 0 {
		t.Fatal("the receiver got no request")
	}
	return rc.requests[len(rc.requests)-1], rc.bodies[len(rc.bodies)-1]
}

// choose picks a value of a select as a person does: the page's script
// hears the change.
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(chromedp.CSS(sel), value),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change", {bubbles: true}))`, sel)),
	)
}

// TestUIWebhookBuilder is the web UI's Done-when for the Webhook Builder,
// in Chromium against the real binary: an agency signs in with its API
// key, creates a webhook from scratch (Assign to, a URL with a context
// value, a bearer token, a variable header, a body, a custom variable),
// runs it against a local receiver and sees the extracted variable, saves
// it, sees a body error next to the body with its line, then reads the
// deliveries and the dashboard, retries a failed delivery, and signs out;
// a revoked key's session ends. Every page is reachable by keyboard, and
// each is shot at 1280 and 390 pixels wide.
func TestUIWebhookBuilder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives a browser")
	}
	ctx := browser(t, 3*time.Minute)
	n := &node{t: t, bin: buildBinary(t), data: t.TempDir(), env: []string{
		"HOOKLINE_ADMIN_TOKEN=" + uiAdmin,
		"HOOKLINE_EGRESS_ALLOW=127.0.0.1/32",
		"HOOKLINE_DATABASE_URL=",
		"HOOKLINE_SECRET_KEY=",
		"HOOKLINE_PUBLIC_URL=",
	}}
	n.start()
	t.Cleanup(n.stop)
	base := n.url()
	api := client{t, base}
	rc := newTicketReceiver(t)

	agency := api.call("POST", "/api/v1/tenants", uiAdmin, `{"name": "Acme Agency", "kind": "agency"}`, 201)
	company := api.call("POST", "/api/v1/tenants", uiAdmin, fmt.Sprintf(`{"name": "Acme Shop", "kind": "company", "agency_id": %v}`, agency["id"]), 201)
	api.call("POST", "/api/v1/tenants", uiAdmin, fmt.Sprintf(`{"name": "Acme Travel", "kind": "company", "agency_id": %v}`, agency["id"]), 201)
	key := api.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", agency["id"]), uiAdmin, "", 201)["key"].(string)
	companyID := fmt.Sprint(company["id"])

	// Signed out, a page leads to the sign-in form, and back after it.
	do(t, ctx, "open the UI", chromedp.Navigate(base+"/ui/webhooks"), chromedp.WaitVisible(chromedp.CSS("#f-api_key")))
	screenshots(t, ctx, "sign-in")
	do(t, ctx, "sign in with a wrong key",
		chromedp.SendKeys(chromedp.CSS("#f-api_key"), "hl_wrong"), chromedp.Submit(chromedp.CSS("#f-api_key")),
		chromedp.WaitVisible(chromedp.CSS("#f-api_key-error")))
	if got := textOf(t, ctx, "#f-api_key-error"); !strings.Contains(got, "not valid") {
		t.Fatalf("wrong key: %q", got)
	}
	do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS("#f-api_key"), key), chromedp.Submit(chromedp.CSS("#f-api_key")),
		chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)))
	loc := get(t, ctx, "where signing in led", chromedp.Location())
	if !strings.HasSuffix(loc, "/ui/webhooks") {
		t.Fatalf("signed in at %s, want back at /ui/webhooks", loc)
	}
	cookies := get(t, ctx, "read cookies", func(ctx context.Context, tab *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, tab, network.GetCookies, network.GetCookiesParams{})
		if err != nil {
			return nil, err
		}
		return r.Cookies, nil
	})
	var session *network.Cookie
	for _, c := range cookies {
		if c.Name == "hookline_session" {
			session = c
		}
	}
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict || session.Secure || session.Path != "/ui/" ||
		strings.Contains(session.Value, key) {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over http, path /ui/, no key in it", session)
	}
	screenshots(t, ctx, "webhooks-empty")

	// Create from scratch.
	do(t, ctx, "choose how to start", chromedp.Click(chromedp.CSS(`a[href="/ui/webhooks/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/webhooks/create"]`)))
	screenshots(t, ctx, "webhook-new")
	do(t, ctx, "create from scratch", chromedp.Click(chromedp.CSS(`a[href="/ui/webhooks/create"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-name")))
	keyboardReachesEveryControl(t, ctx, "form.builder")
	do(t, ctx, "basic data",
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Ticket status"),
		choose("#f-company_id", companyID),
		choose("#f-method", "POST"),
		chromedp.SendKeys(chromedp.CSS("#f-url"), rc.URL+"/{{area}}/tickets"),
		// The script asks the server which context values the URL needs.
		chromedp.WaitVisible(chromedp.CSS("#f-context_values-area")),
		chromedp.SendKeys(chromedp.CSS("#f-context_values-area"), "support"),
	)
	do(t, ctx, "bearer authentication",
		choose("#f-auth-type", "bearer"),
		chromedp.WaitVisible(chromedp.CSS("#f-auth-token")),
		chromedp.SendKeys(chromedp.CSS("#f-auth-token"), "my-helpdesk-token"),
	)
	if get(t, ctx, "is the username shown", chromedp.Evaluate[bool](`document.getElementById("f-auth-username").offsetParent !== null`)) {
		t.Fatal("with bearer authentication chosen, the basic username shows too")
	}
	do(t, ctx, "a header",
		chromedp.Click(chromedp.CSS(`button[value="add:headers"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-headers-0-key")),
		chromedp.SendKeys(chromedp.CSS("#f-headers-0-key"), "X-Session"),
		choose("#f-headers-0-type", "variable"),
		chromedp.SendKeys(chromedp.CSS("#f-headers-0-value"), "certainly.sessionId"),
	)
	do(t, ctx, "body and custom variable",
		chromedp.SendKeys(chromedp.CSS("#f-body"), `{"reply": "{{certainly.reply}}", "session": {{certainly.sessionId}}}`),
		chromedp.Click(chromedp.CSS(`button[value="add:custom_variables"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-custom_variables-0-name")),
		chromedp.SendKeys(chromedp.CSS("#f-custom_variables-0-name"), "ticket_status"),
		chromedp.SendKeys(chromedp.CSS("#f-custom_variables-0-mapper"), "{{ticket.status}}"),
		chromedp.SendKeys(chromedp.CSS("#f-run_context"), `{"certainly": {"sessionId": 42, "reply": "my order is late"}}`),
	)
	do(t, ctx, "run the webhook", chromedp.Click(chromedp.CSS(`button[value="run"]`)), chromedp.WaitVisible(chromedp.CSS("#result")))
	vars := textOf(t, ctx, "#result .vars-out")
	if !strings.Contains(vars, "ticket_status") || !strings.Contains(vars, `"open"`) {
		t.Fatalf("extracted variables shown: %q, want ticket_status = \"open\"", vars)
	}
	if got := textOf(t, ctx, "#result"); strings.Contains(got, "my-helpdesk-token") || !strings.Contains(got, "Bearer ********") {
		t.Fatalf("the request shown must mask the token: %q", got)
	}
	req, body := rc.last(t)
	if req.URL.Path != "/support/tickets" || req.Header.Get("Authorization") != "Bearer my-helpdesk-token" ||
		req.Header.Get("X-Session") != "42" || body != `{"reply": "my order is late", "session": 42}` {
		t.Fatalf("the receiver got %s %v %q", req.URL.Path, req.Header, body)
	}
	screenshots(t, ctx, "webhook-run")

	do(t, ctx, "create it", chromedp.Click(chromedp.CSS(`.actions.final button[value="save"]`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := textOf(t, ctx, ".notice"); got != "Webhook created." {
		t.Fatalf("notice %q", got)
	}
	token := get(t, ctx, "read the stored token", chromedp.Value(chromedp.CSS("#f-auth-token")))
	editURL := get(t, ctx, "read the webhook's address", chromedp.Location())
	if token != "********" {
		t.Fatalf("the stored token shows as %q, want ********", token)
	}
	webhookID := editURL[strings.LastIndex(editURL, "/")+1:]
	webhookID, _, _ = strings.Cut(webhookID, "?")

	// A body that does not compile: the error is next to the body, with
	// its line, and the definition stays as typed.
	do(t, ctx, "break the body",
		chromedp.SetValue(chromedp.CSS("#f-body"), "{\n  \"reply\": {{ certainly.reply }\n}"),
		chromedp.Click(chromedp.CSS(`.actions.final button[value="save"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-body-error")))
	if got := textOf(t, ctx, "#f-body-error"); !strings.Contains(got, "line 2") {
		t.Fatalf("body error %q, want its line", got)
	}
	if got := textOf(t, ctx, ".pointer"); !strings.Contains(got, `"reply": {{ certainly.reply }`) {
		t.Fatalf("the pointer under the body shows %q", got)
	}
	if got := textOf(t, ctx, ".alert a"); got == "" {
		t.Fatal("the error summary does not link to the body")
	}
	screenshots(t, ctx, "webhook-body-error")
	do(t, ctx, "open the list", chromedp.Navigate(base+"/ui/webhooks"), chromedp.WaitVisible(chromedp.CSS("table")))
	if got := textOf(t, ctx, "tbody"); !strings.Contains(got, "Ticket status") || !strings.Contains(got, "Acme Shop") {
		t.Fatalf("the list shows %q", got)
	}
	screenshots(t, ctx, "webhooks")

	// Deliveries: one accepted, one refused; the refused one is retried.
	var ids []string
	for _, reply := range []string{"hello", "fail"} {
		d := api.call("POST", "/api/v1/webhooks/"+webhookID+"/deliveries", key,
			fmt.Sprintf(`{"context": {"certainly": {"sessionId": 7, "reply": %q}}, "ordering_key": "chat-7"}`, reply), 202)
		ids = append(ids, fmt.Sprint(d["id"]))
	}
	for _, id := range ids {
		deadline := time.Now().Add(30 * time.Second)
		for {
			d := api.call("GET", "/api/v1/deliveries/"+id, key, "", 200)
			if d["status"] == "succeeded" || d["status"] == "failed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %s still %v", id, d["status"])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	do(t, ctx, "open the deliveries", chromedp.Navigate(base+"/ui/deliveries"), chromedp.WaitVisible(chromedp.CSS("tbody")))
	if got := textOf(t, ctx, "tbody"); !strings.Contains(got, "succeeded") || !strings.Contains(got, "failed") || !strings.Contains(got, "chat-7") {
		t.Fatalf("the deliveries show %q", got)
	}
	do(t, ctx, "filter by status", choose("#f-status", "failed"), chromedp.Submit(chromedp.CSS("#f-status")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/deliveries"]`)))
	if got := textOf(t, ctx, "tbody"); strings.Contains(got, "succeeded") || !strings.Contains(got, "#"+ids[1]) {
		t.Fatalf("failed deliveries show %q", got)
	}
	screenshots(t, ctx, "deliveries")
	do(t, ctx, "open the failed delivery", chromedp.Click(chromedp.CSS(`a[href="/ui/deliveries/`+ids[1]+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("h2")))
	if got := textOf(t, ctx, "tbody"); !strings.Contains(got, "400") || !strings.Contains(got, "http_status") {
		t.Fatalf("the attempts show %q", got)
	}
	screenshots(t, ctx, "delivery")
	do(t, ctx, "retry it", chromedp.Click(chromedp.CSS(`.page-head button.primary`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := textOf(t, ctx, ".notice"); !strings.Contains(got, "queued again") {
		t.Fatalf("retry notice %q", got)
	}
	api.call("GET", "/api/v1/deliveries/"+ids[1], key, "", 200)

	do(t, ctx, "open the dashboard", chromedp.Navigate(base+"/ui/dashboard"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	bars := get(t, ctx, "count the bars", chromedp.Evaluate[int](`document.querySelectorAll("svg.success rect.bar").length`))
	if got := textOf(t, ctx, "ul.tiles"); bars == 0 || !strings.Contains(got, "Attempts") {
		t.Fatalf("dashboard: %d bars, tiles %q", bars, got)
	}
	screenshots(t, ctx, "dashboard")

	// Sign out: the session ends.
	do(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.CSS("#f-api_key")))
	if got := textOf(t, ctx, ".notice"); got != "You are signed out." {
		t.Fatalf("after signing out: %q", got)
	}
	do(t, ctx, "a page after signing out", chromedp.Navigate(base+"/ui/webhooks"), chromedp.WaitVisible(chromedp.CSS("#f-api_key")))

	// A revoked key's session ends at its next request.
	second := api.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", agency["id"]), uiAdmin, "", 201)
	do(t, ctx, "sign in with another key",
		chromedp.SendKeys(chromedp.CSS("#f-api_key"), second["key"].(string)), chromedp.Submit(chromedp.CSS("#f-api_key")),
		chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)))
	api.call("DELETE", fmt.Sprintf("/api/v1/tenants/%v/keys/%v", agency["id"], second["id"]), uiAdmin, "", 204)
	do(t, ctx, "a page after the key is revoked", chromedp.Navigate(base+"/ui/dashboard"), chromedp.WaitVisible(chromedp.CSS("#f-api_key")))
}

// focusName names a focusable element in the keyboard test's lists.
const focusName = `e => (e.id || (e.name ? e.name + "=" + e.value : e.tagName + ":" + e.textContent.trim().slice(0, 24))) +
	"@" + Array.prototype.indexOf.call(document.getElementsByTagName("*"), e)`

// keyboardReachesEveryControl tabs through the page from its skip link and
// checks that every input, select, textarea and button of the form gets
// the focus, in the order of the page (disabled ones cannot).
func keyboardReachesEveryControl(t *testing.T, ctx context.Context, form string) {
	t.Helper()
	want := get(t, ctx, "list the controls", chromedp.Evaluate[[]string](fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).flatMap(f =>
		Array.from(f.querySelectorAll("input:not([type=hidden]), select, textarea, button"))).filter(e =>
		e.tabIndex >= 0 && !e.disabled && e.offsetParent !== null).map(`+focusName+`)`, form)))
	var reached []string
	do(t, ctx, "focus the page's start", chromedp.Evaluate[chromedp.Void](`document.querySelector(".skip").focus()`))
	seen := map[string]bool{}
	for range 200 {
		do(t, ctx, "tab", chromedp.KeyEvent(kb.Tab))
		id := get(t, ctx, "read the focus", chromedp.Evaluate[string](`(`+focusName+`)(document.activeElement)`))
		if seen[id] {
			break
		}
		seen[id] = true
		reached = append(reached, id)
	}
	for _, id := range want {
		if !seen[id] {
			t.Fatalf("the keyboard never reaches %s; it reaches %v", id, reached)
		}
	}
	raw, _ := json.Marshal(reached)
	t.Logf("tab order: %s", raw)
}
