package webui_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/bot"
	"github.com/hookline/hookline/channel"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/integration"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
	"github.com/hookline/hookline/webhook"
	"github.com/hookline/hookline/webui"
)

const adminToken = "webui-test-admin-token-0123456789"

// env is the UI wired as serve wires it, on a real SQLite store, served
// over loopback through the edge.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	db      *sqlstore.DB
	tenants *tenant.Service
	// The services of integrations, bots and channels, for tests that
	// set the scene without the UI.
	chats    *integration.Service
	bots     *bot.Service
	channels *channel.Service
	store    *sqlstore.IntegrationStore
	agency   *hookline.Tenant
	shop     *hookline.Tenant
	// agencyKey and shopKey are API keys of the agency and its company.
	agencyKey, shopKey *hookline.NewKey
}

func newEnv(t *testing.T, publicURL string) *env {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	sealer := storetest.Sealer(t)
	store := sqlstore.NewWebhookStore(db, sealer)
	queue := sqlstore.NewDeliveryStore(db, sealer)
	tenants := tenant.NewService(db, db, adminToken)
	exec := webhook.NewExecutor(egress.New(egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}))
	webhooks, err := webhook.NewService(tenants, store, store, exec)
	if err != nil {
		t.Fatal(err)
	}
	deliveries := delivery.NewService(store, queue, exec, nil)
	// Bots, channels and integrations wired as serve wires them.
	botStore := sqlstore.NewBotStore(db)
	runtime := bot.NewRuntime(bot.Config{Bots: botStore, Sessions: botStore, Webhooks: store, Runner: webhooks, Queue: deliveries, Lock: db.WithLock})
	bots := bot.NewService(tenants, botStore, botStore, store, runtime)
	channels := channel.NewService(channel.Config{Tenants: tenants, Store: sqlstore.NewChannelStore(db, sealer), Bots: bots,
		Runtime: runtime, Queue: deliveries, PublicURL: "https://hooks.example.com"})
	runtime.UseReplySink(channels)
	bots.UseChannels(channels)
	integrations := sqlstore.NewIntegrationStore(db, sealer)
	chats := integration.NewService(integration.Config{
		Tenants: tenants, Connections: integrations, Integrations: integrations, Campaigns: integrations, Chats: integrations,
		Queue: deliveries, Secrets: queue, NewSecret: delivery.NewSecret, Exec: exec,
		Bots: bots, Runtime: runtime, PublicURL: "https://hooks.example.com",
	})
	ui, err := webui.New(webui.Config{Tenants: tenants, Webhooks: webhooks, Templates: webhooks,
		Deliveries: deliveries, Sessions: tenant.NewSessions(tenants, db, 0), PublicURL: publicURL,
		Integrations: chats, Connections: chats, Campaigns: chats, Bots: bots, Apps: channels, Channels: channels})
	if err != nil {
		t.Fatal(err)
	}
	h, err := edge.New(nil, ui.Mount())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: httptest.NewServer(h), db: db, tenants: tenants, chats: chats, bots: bots, channels: channels, store: integrations}
	t.Cleanup(e.srv.Close)
	admin := &hookline.Caller{}
	name, kind := "Acme Agency", hookline.KindAgency
	if e.agency, err = tenants.CreateTenant(ctx, admin, hookline.TenantInput{Name: &name, Kind: &kind}); err != nil {
		t.Fatal(err)
	}
	name, kind = "Acme Shop", hookline.KindCompany
	if e.shop, err = tenants.CreateTenant(ctx, admin, hookline.TenantInput{Name: &name, Kind: &kind, AgencyID: &e.agency.ID}); err != nil {
		t.Fatal(err)
	}
	if e.agencyKey, err = tenants.CreateKey(ctx, admin, e.agency.ID); err != nil {
		t.Fatal(err)
	}
	if e.shopKey, err = tenants.CreateKey(ctx, admin, e.shop.ID); err != nil {
		t.Fatal(err)
	}
	return e
}

// browser is a client with a cookie jar that does not follow redirects,
// so that the tests see them.
type browser struct {
	t      *testing.T
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is an answer: status, redirect target and body.
type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(raw), header: res.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.e.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of a page's forms.
func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfPattern.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", p.body)
	}
	return m[1]
}

// signIn signs in with key and returns the session's CSRF token.
func (b *browser) signIn(key string) string {
	b.t.Helper()
	form := b.get("/ui/sign-in")
	p := b.post("/ui/sign-in", url.Values{"csrf": {form.csrf(b.t)}, "api_key": {key}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("sign in: %d\n%s", p.status, p.body)
	}
	return b.get("/ui/webhooks").csrf(b.t)
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL + "/ui/")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSignIn(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()

	p := b.get("/ui/webhooks?company_id=2")
	if p.status != http.StatusSeeOther || p.location != "/ui/sign-in?next="+url.QueryEscape("/ui/webhooks?company_id=2") {
		t.Fatalf("signed out: %d to %q", p.status, p.location)
	}
	form := b.get("/ui/sign-in")
	if form.status != 200 || !strings.Contains(form.body, `<label for="f-api_key">API key</label>`) ||
		!strings.Contains(form.header.Get("Content-Security-Policy"), "script-src 'self'") || form.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("sign-in page: %d %v", form.status, form.header)
	}
	token := form.csrf(t)

	// Without the sign-in form's own cookie, or with another token, the
	// form is refused.
	other := e.browser()
	if p := other.post("/ui/sign-in", url.Values{"csrf": {token}, "api_key": {e.agencyKey.Secret}}); p.status != http.StatusForbidden || other.cookie("hookline_session") != nil {
		t.Fatalf("sign in without the form's cookie: %d", p.status)
	}
	if p := b.post("/ui/sign-in", url.Values{"csrf": {"forged"}, "api_key": {e.agencyKey.Secret}}); p.status != http.StatusForbidden {
		t.Fatalf("sign in with a forged token: %d", p.status)
	}
	token = b.get("/ui/sign-in").csrf(t)
	p = b.post("/ui/sign-in", url.Values{"csrf": {token}, "api_key": {"hl_not-a-key"}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, `id="f-api_key-error"`) || strings.Contains(p.body, "hl_not-a-key") {
		t.Fatalf("a wrong key: %d\n%s", p.status, p.body)
	}

	// A next page outside the UI is ignored.
	token = b.get("/ui/sign-in").csrf(t)
	p = b.post("/ui/sign-in", url.Values{"csrf": {token}, "api_key": {e.agencyKey.Secret}, "next": {"//evil.example/ui/"}})
	if p.status != http.StatusSeeOther || p.location != "/ui/" {
		t.Fatalf("sign in: %d to %q", p.status, p.location)
	}
	var setCookie string
	for _, c := range strings.Split(strings.Join(p.header.Values("Set-Cookie"), "\n"), "\n") {
		if strings.HasPrefix(c, "hookline_session=") {
			setCookie = c
		}
	}
	if !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(setCookie, "SameSite=Strict") || strings.Contains(setCookie, "Secure") ||
		!strings.Contains(setCookie, "Path=/ui/") || strings.Contains(setCookie, e.agencyKey.Secret) {
		t.Fatalf("session cookie %q", setCookie)
	}
	// The database knows the session by its token's hash.
	session := b.cookie("hookline_session").Value
	stored, err := e.db.FindSession(context.Background(), hookline.HashSessionToken(session))
	if err != nil || stored.KeyID != e.agencyKey.ID {
		t.Fatalf("stored session %+v, %v", stored, err)
	}
	home := b.get("/ui/")
	if home.status != http.StatusSeeOther || home.location != "/ui/dashboard" {
		t.Fatalf("home: %d to %q", home.status, home.location)
	}
	list := b.get("/ui/webhooks")
	if list.status != 200 || !strings.Contains(list.body, "Acme Agency (agency)") || !strings.Contains(list.body, `aria-current="page">Webhooks`) {
		t.Fatalf("signed in: %d\n%s", list.status, list.body)
	}

	// Signing out needs the session's CSRF token, and ends the session.
	csrf := list.csrf(t)
	if p := b.post("/ui/sign-out", url.Values{"csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Fatalf("sign out with a forged token: %d", p.status)
	}
	if p := b.post("/ui/sign-out", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther || p.location != "/ui/sign-in?notice=signedout" {
		t.Fatalf("sign out: %d to %q", p.status, p.location)
	}
	if _, err := e.db.FindSession(context.Background(), hookline.HashSessionToken(session)); hookline.ErrorCode(err) != hookline.CodeNotFound {
		t.Fatalf("the session outlived its sign out: %v", err)
	}
	replay := e.browser()
	u, _ := url.Parse(e.srv.URL + "/ui/")
	replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: "hookline_session", Value: session, Path: "/ui/"}})
	if p := replay.get("/ui/webhooks"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/ui/sign-in") {
		t.Fatalf("the signed-out session's cookie: %d to %q", p.status, p.location)
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	e := newEnv(t, "https://hooks.example.com")
	b := e.browser()
	form := b.get("/ui/sign-in")
	if !strings.Contains(strings.Join(form.header.Values("Set-Cookie"), ";"), "Secure") {
		t.Fatalf("the sign-in form's cookie is not Secure behind https: %v", form.header.Values("Set-Cookie"))
	}
	p := b.post("/ui/sign-in", url.Values{"csrf": {form.csrf(t)}, "api_key": {e.shopKey.Secret}})
	if p.status != http.StatusSeeOther || !strings.Contains(strings.Join(p.header.Values("Set-Cookie"), "\n"), "Secure") {
		t.Fatalf("sign in behind https: %d %v", p.status, p.header.Values("Set-Cookie"))
	}
}

func TestRevokedKeyEndsSession(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	b.signIn(e.shopKey.Secret)
	if err := e.tenants.RevokeKey(context.Background(), &hookline.Caller{}, e.shop.ID, e.shopKey.ID); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/ui/webhooks"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/ui/sign-in") {
		t.Fatalf("after the key was revoked: %d to %q", p.status, p.location)
	}
}

// TestFormsNeedCSRF posts every form of the UI without the session's CSRF
// token, and with another session's: each is refused, and nothing changes.
func TestFormsNeedCSRF(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	other := e.browser()
	otherCSRF := other.signIn(e.shopKey.Secret)
	if otherCSRF == csrf {
		t.Fatal("two sessions share a CSRF token")
	}
	def := url.Values{"op": {"save"}, "name": {"Hook"}, "method": {"GET"}, "url": {"https://example.com/"}, "auth.type": {"none"}}
	created := b.post("/ui/webhooks/create", with(def, "csrf", csrf))
	if created.status != http.StatusSeeOther {
		t.Fatalf("create with the token: %d\n%s", created.status, created.body)
	}
	edit := created.location[:strings.Index(created.location, "?")]
	for _, path := range []string{"/ui/webhooks/create", edit, edit + "/delete", "/ui/templates/-6", "/ui/deliveries/1/retry", "/ui/webhooks/context-values", "/ui/sign-out"} {
		for name, token := range map[string]string{"none": "", "another session's": otherCSRF} {
			form := with(def, "csrf", token)
			form.Set("name", "Forged")
			if p := b.post(path, form); p.status != http.StatusForbidden {
				t.Fatalf("POST %s with %s token: %d", path, name, p.status)
			}
		}
	}
	if p := b.get("/ui/webhooks"); strings.Contains(p.body, "Forged") || !strings.Contains(p.body, "Hook") {
		t.Fatalf("a forged form changed something:\n%s", p.body)
	}
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// fieldError returns the error shown next to the input of path, "" if
// none.
func fieldError(body, id string) string {
	m := regexp.MustCompile(`<p class="error" id="` + id + `-error"><span class="sr-only">Error: </span>([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// TestBuilderErrorsNextToFields sends the builder definitions the services
// refuse and checks that each error shows next to the input it concerns,
// marked invalid, with the form as it was typed.
func TestBuilderErrorsNextToFields(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	base := url.Values{"csrf": {csrf}, "op": {"save"}, "name": {"Tickets"}, "method": {"POST"}, "url": {"https://example.com/t"}, "auth.type": {"none"}}
	for _, tc := range []struct {
		name  string
		form  url.Values
		id    string
		shows string
	}{
		{"timeout not a number", with(base, "timeout_ms", "soon"), "f-timeout_ms", "whole number"},
		{"timeout out of range", with(base, "timeout_ms", "50"), "f-timeout_ms", "between 100 and 30000"},
		{"no name", with(base, "name", " "), "f-name", "must not be empty"},
		{"bad URL", with(base, "url", "ftp://example.com/"), "f-url", ""},
		{"header name", with(base, "headers[0].key", "Bad Header", "headers[0].value", "x"), "f-headers-0-key", "not a valid header name"},
		{"variable path", with(base, "headers[0].key", "X-S", "headers[0].type", "variable", "headers[0].value", "certainly..x"), "f-headers-0-value", ""},
		{"mapper", with(base, "custom_variables[0].name", "status", "custom_variables[0].mapper", "{{ ticket.status"), "f-custom_variables-0-mapper", "line 1"},
		{"variable name", with(base, "custom_variables[0].name", "9lives", "custom_variables[0].mapper", "{{ x }}"), "f-custom_variables-0-name", "not a valid name"},
		{"bearer token missing", with(base, "auth.type", "bearer"), "f-auth-token", ""},
		{"context value missing", with(base, "url", "https://{{sub}}.example.com/"), "f-context_values-sub", "set a value"},
		{"body", with(base, "body", "{\n  \"a\": {{ certainly.reply }\n}"), "f-body", "line 2"},
	} {
		p := b.post("/ui/webhooks/create", tc.form)
		msg := fieldError(p.body, tc.id)
		if p.status != http.StatusBadRequest || msg == "" || !strings.Contains(msg, tc.shows) {
			t.Fatalf("%s: %d, error next to %s: %q (want %q)\n%s", tc.name, p.status, tc.id, msg, tc.shows, p.body)
		}
		if !regexp.MustCompile(`id="`+tc.id+`"[^>]*aria-invalid="true"`).MatchString(p.body) ||
			!strings.Contains(p.body, `<a href="#`+tc.id+`">`) {
			t.Fatalf("%s: the input is not marked invalid or the summary does not link to it", tc.name)
		}
		if !strings.Contains(p.body, `value="Tickets"`) && tc.name != "no name" {
			t.Fatalf("%s: the form lost what was typed", tc.name)
		}
	}
	// A body error points at its line and column.
	p := b.post("/ui/webhooks/create", with(base, "body", "{\n  \"a\": {{ certainly.reply }\n}"))
	if !strings.Contains(p.body, `<pre class="pointer" aria-hidden="true"><span class="line-no">line 2</span>`) {
		t.Fatalf("no pointer under the body:\n%s", p.body)
	}
}

// TestBuilderRows adds and removes rows without saving, and keeps what
// was typed; blank rows are left out when the webhook is saved.
func TestBuilderRows(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	form := url.Values{"csrf": {csrf}, "name": {"Rows"}, "method": {"GET"}, "url": {"https://example.com/"}, "auth.type": {"none"},
		"headers[0].key": {"X-A"}, "headers[0].value": {"1"}, "headers[1].key": {"X-B"}, "headers[1].value": {"2"}}
	p := b.post("/ui/webhooks/create", with(form, "op", "add:headers"))
	if p.status != 200 || !strings.Contains(p.body, `id="f-headers-2-key"`) || !regexp.MustCompile(`id="f-headers-2-key"[^>]*autofocus`).MatchString(p.body) {
		t.Fatalf("add a header: %d\n%s", p.status, p.body)
	}
	p = b.post("/ui/webhooks/create", with(form, "op", "remove:headers:0"))
	if strings.Contains(p.body, `value="X-A"`) || !regexp.MustCompile(`id="f-headers-0-key"[^>]*value="X-B"`).MatchString(p.body) {
		t.Fatalf("remove the first header:\n%s", p.body)
	}
	saved := b.post("/ui/webhooks/create", with(form, "op", "save", "headers[2].key", "", "headers[2].value", ""))
	if saved.status != http.StatusSeeOther {
		t.Fatalf("save with a blank row: %d\n%s", saved.status, saved.body)
	}
	edit := b.get(saved.location)
	if !strings.Contains(edit.body, "Webhook created.") || !strings.Contains(edit.body, `value="X-B"`) || strings.Contains(edit.body, `id="f-headers-2-key"`) {
		t.Fatalf("the saved webhook:\n%s", edit.body)
	}
}

// TestAssignTo shows the company picker to agencies only, and an agency
// must pick one.
func TestAssignTo(t *testing.T) {
	e := newEnv(t, "")
	shop := e.browser()
	shop.signIn(e.shopKey.Secret)
	if p := shop.get("/ui/webhooks/create"); strings.Contains(p.body, "Assign to") {
		t.Fatal("a company key sees Assign to")
	}
	agency := e.browser()
	csrf := agency.signIn(e.agencyKey.Secret)
	p := agency.get("/ui/webhooks/create")
	if !strings.Contains(p.body, `<label for="f-company_id">Assign to`) || !strings.Contains(p.body, fmt.Sprintf(`<option value="%d">Acme Shop</option>`, e.shop.ID)) {
		t.Fatalf("an agency's builder:\n%s", p.body)
	}
	form := url.Values{"csrf": {csrf}, "op": {"save"}, "name": {"A"}, "method": {"GET"}, "url": {"https://example.com/"}, "auth.type": {"none"}}
	p = agency.post("/ui/webhooks/create", form)
	if p.status != http.StatusBadRequest || !strings.Contains(fieldError(p.body, "f-company_id"), "company_id") {
		t.Fatalf("no company: %d %q", p.status, fieldError(p.body, "f-company_id"))
	}
	p = agency.post("/ui/webhooks/create", with(form, "company_id", fmt.Sprint(e.shop.ID)))
	if p.status != http.StatusSeeOther {
		t.Fatalf("with the company: %d\n%s", p.status, p.body)
	}
	if list := agency.get("/ui/webhooks"); !strings.Contains(list.body, "<td>Acme Shop</td>") {
		t.Fatalf("the list does not name the company:\n%s", list.body)
	}
}

// TestFromTemplate makes a webhook from a built-in template: a missing
// value is shown next to its blank; then it opens in the builder.
func TestFromTemplate(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	csrf := b.signIn(e.shopKey.Secret)
	choose := b.get("/ui/webhooks/new")
	if !strings.Contains(choose.body, `href="/ui/templates/-6"`) || !strings.Contains(choose.body, "Generic REST GET") {
		t.Fatalf("the templates:\n%s", choose.body)
	}
	p := b.post("/ui/templates/-6", url.Values{"csrf": {csrf}, "name": {"Status"}})
	if p.status != http.StatusBadRequest || fieldError(p.body, "f-values-url") == "" {
		t.Fatalf("without its URL: %d\n%s", p.status, p.body)
	}
	p = b.post("/ui/templates/-6", url.Values{"csrf": {csrf}, "name": {"Status"}, "values.url": {"https://api.example.com/status"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("with its URL: %d\n%s", p.status, p.body)
	}
	edit := b.get(p.location)
	if !strings.Contains(edit.body, "Made from the template <strong>Generic REST GET</strong>") || !strings.Contains(edit.body, "https://api.example.com/status") {
		t.Fatalf("the webhook made:\n%s", edit.body)
	}
}

// TestOtherCompanyNotFound: a company's session cannot open, change or
// delete another company's webhook; the answer is the UI's 404 page.
func TestOtherCompanyNotFound(t *testing.T) {
	e := newEnv(t, "")
	agency := e.browser()
	csrf := agency.signIn(e.agencyKey.Secret)
	ctx := context.Background()
	name, kind := "Other", hookline.KindCompany
	other, err := e.tenants.CreateTenant(ctx, &hookline.Caller{}, hookline.TenantInput{Name: &name, Kind: &kind})
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.tenants.CreateKey(ctx, &hookline.Caller{}, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := agency.post("/ui/webhooks/create", url.Values{"csrf": {csrf}, "op": {"save"}, "company_id": {fmt.Sprint(e.shop.ID)},
		"name": {"Mine"}, "method": {"GET"}, "url": {"https://example.com/"}, "auth.type": {"none"}})
	edit := p.location[:strings.Index(p.location, "?")]
	b := e.browser()
	otherCSRF := b.signIn(key.Secret)
	for _, tc := range []struct{ method, path string }{{"GET", edit}, {"POST", edit}, {"GET", edit + "/delete"}, {"POST", edit + "/delete"}} {
		var p page
		if tc.method == "GET" {
			p = b.get(tc.path)
		} else {
			p = b.post(tc.path, url.Values{"csrf": {otherCSRF}, "op": {"save"}, "name": {"Taken"}, "method": {"GET"}, "url": {"https://example.com/"}})
		}
		if p.status != http.StatusNotFound || !strings.Contains(p.body, "not found") {
			t.Fatalf("%s %s by another company: %d", tc.method, tc.path, p.status)
		}
	}
	if p := agency.get(edit); !strings.Contains(p.body, `value="Mine"`) {
		t.Fatal("another company changed the webhook")
	}
}

func TestDeliveryFilterErrors(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	b.signIn(e.shopKey.Secret)
	p := b.get("/ui/deliveries?status=lost")
	if p.status != http.StatusBadRequest || !strings.Contains(fieldError(p.body, "f-status"), `"lost" is not a status`) {
		t.Fatalf("a bad status: %d\n%s", p.status, p.body)
	}
	if p := b.get("/ui/deliveries?cursor=nope"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "cursor") {
		t.Fatalf("a bad cursor: %d", p.status)
	}
	if p := b.get("/ui/dashboard"); p.status != 200 || !strings.Contains(p.body, `<svg class="chart success"`) {
		t.Fatalf("the dashboard: %d", p.status)
	}
	if p := b.get("/ui/deliveries/999"); p.status != http.StatusNotFound {
		t.Fatalf("a missing delivery: %d", p.status)
	}
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	for _, f := range []string{"/ui/static/ui.css", "/ui/static/ui.js"} {
		if p := b.get(f); p.status != 200 || len(p.body) < 100 {
			t.Fatalf("%s: %d", f, p.status)
		}
	}
	if p := b.get("/ui/static/nope.js"); p.status != 404 {
		t.Fatalf("a missing file: %d", p.status)
	}
}
