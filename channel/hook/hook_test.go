package hook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/channel"
	"github.com/hookline/hookline/channel/channeltest"
	"github.com/hookline/hookline/channel/hook"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
	"github.com/hookline/hookline/webhook"
)

// env is the hooks served over loopback HTTP as cmd/hookline mounts them,
// on a real SQLite store, with the real delivery queue and worker for
// async answers and a fake bot runtime.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	svc     *channel.Service
	store   *sqlstore.ChannelStore
	runtime *channeltest.Runtime
	bots    *channeltest.Bots
	shop    *hookline.Tenant
	admin   *hookline.Caller
	company *hookline.Caller
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	sealer := storetest.Sealer(t)
	e := &env{t: t, runtime: &channeltest.Runtime{}, bots: &channeltest.Bots{}, admin: &hookline.Caller{}}
	e.store = sqlstore.NewChannelStore(db, sealer)
	webhooks := sqlstore.NewWebhookStore(db, sealer)
	queue := sqlstore.NewDeliveryStore(db, sealer)
	client := egress.New(egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	worker := delivery.NewWorker(delivery.Config{Store: queue, Webhooks: webhooks, Client: client, PollInterval: 20 * time.Millisecond,
		Targets: map[hookline.TargetKind]delivery.TargetResolver{hookline.TargetChannel: channel.NewTargets(e.store)}})
	deliveries := delivery.NewService(webhooks, queue, webhook.NewExecutor(client), worker.Wake)
	e.svc = channel.NewService(channel.Config{Tenants: tenant.NewService(db, db, ""), Store: e.store, Bots: e.bots,
		Runtime: e.runtime, Queue: deliveries, PublicURL: "http://hooks.test"})
	e.runtime.Sink = e.svc
	worker.Start()
	t.Cleanup(func() { worker.Stop(context.Background()) })

	h, err := hook.New(e.svc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	handler, err := edge.New(nil, h.Mount())
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(handler)
	t.Cleanup(e.srv.Close)
	e.shop = &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, e.shop); err != nil {
		t.Fatal(err)
	}
	e.company = &hookline.Caller{KeyID: 1, Tenant: e.shop}
	return e
}

func ptr[T any](v T) *T { return &v }

// channel creates an approved channel of a new bot with a new app.
func (e *env) channel(in hookline.ChannelInput) (*hookline.NewChannel, int64) {
	e.t.Helper()
	ctx := context.Background()
	bot := e.bots.Add(e.shop)
	in.Type = ptr("webhook")
	if in.Name == nil {
		in.Name = ptr("Web")
	}
	ch, err := e.svc.CreateChannel(ctx, e.company, bot, in)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.ApproveChannel(ctx, e.admin, ch.ID); err != nil {
		e.t.Fatal(err)
	}
	return ch, bot
}

func token(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) post(path, auth, body string, header ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, raw}
}

// hookError decodes this edge's error body, failing on any other shape.
func hookError(t *testing.T, r reply) (code, message, field string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Error.Code == "" || body.Error.Message == "" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d body %q is not the hook's error body: %v", r.status, r.body, err)
	}
	return body.Error.Code, body.Error.Message, body.Error.Field
}

const message = `{"message": {"text": "hi"}, "from": {"id": "user-1"}, "to": {"id": "st-bot"}, "customData": {"userToken": "u-7"}}`

// TestHookRefusals sends every call the hook must refuse, over HTTP, and
// checks the status, the error and that no secret comes back.
func TestHookRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch, bot := e.channel(hookline.ChannelInput{})
	path := "/chatbot/hooks/" + strconv.FormatInt(bot, 10) + "/hookInstance/" + strconv.FormatInt(ch.ID, 10)
	claims := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"appId": ch.ClientID, "sub": "9"}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	secret := []byte(ch.ClientSecret)
	good := "bearer " + token(t, jwt.SigningMethodHS256, secret, claims(nil))

	unapproved, unapprovedBot := func() (*hookline.NewChannel, int64) {
		b := e.bots.Add(e.shop)
		c, err := e.svc.CreateChannel(ctx, e.company, b, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("Pending")})
		if err != nil {
			t.Fatal(err)
		}
		return c, b
	}()
	disabled, disabledBot := e.channel(hookline.ChannelInput{Name: ptr("Off")})
	if _, err := e.svc.SetChannelEnabled(ctx, e.company, disabled.ID, false); err != nil {
		t.Fatal(err)
	}
	hookOf := func(ch *hookline.NewChannel, bot int64) (string, string) {
		return "/chatbot/hooks/" + strconv.FormatInt(bot, 10),
			"bearer " + token(t, jwt.SigningMethodHS256, []byte(ch.ClientSecret), jwt.MapClaims{"appId": ch.ClientID})
	}
	unapprovedPath, unapprovedAuth := hookOf(unapproved, unapprovedBot)
	disabledPath, disabledAuth := hookOf(disabled, disabledBot)

	for _, tc := range []struct {
		name, path, auth, body string
		status                 int
		code, field, says      string
	}{
		{"no Authorization header", path, "", message, 401, "unauthorized", "", "missing Authorization"},
		{"another scheme", path, "Basic " + ch.ClientSecret, message, 401, "unauthorized", "", "bearer <JWT>"},
		{"bearer without a token", path, "bearer ", message, 401, "unauthorized", "", "bearer <JWT>"},
		{"forged: signed with another secret", path, "bearer " + token(t, jwt.SigningMethodHS256, []byte("guess"), claims(nil)), message, 401, "unauthorized", "", "signature"},
		{"expired", path, "bearer " + token(t, jwt.SigningMethodHS256, secret, claims(jwt.MapClaims{"exp": time.Now().Add(-2 * time.Minute).Unix()})), message, 401, "unauthorized", "", "expired"},
		{"not valid yet", path, "bearer " + token(t, jwt.SigningMethodHS256, secret, claims(jwt.MapClaims{"nbf": time.Now().Add(5 * time.Minute).Unix()})), message, 401, "unauthorized", "", "not valid yet"},
		{"alg none", path, "bearer " + token(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)), message, 401, "unauthorized", "", "HS256"},
		{"alg HS384", path, "bearer " + token(t, jwt.SigningMethodHS384, secret, claims(nil)), message, 401, "unauthorized", "", "HS256"},
		{"wrong appId", path, "bearer " + token(t, jwt.SigningMethodHS256, secret, claims(jwt.MapClaims{"appId": "app-other"})), message, 401, "unauthorized", "", "appId"},
		{"a huge token", path, "bearer " + strings.Repeat("a", hookline.MaxHookTokenLen+1), message, 401, "unauthorized", "", "bytes long"},
		{"unapproved", unapprovedPath, unapprovedAuth, message, 403, "forbidden", "", "not approved"},
		{"disabled", disabledPath, disabledAuth, message, 403, "forbidden", "", "disabled"},
		{"another bot's id", "/chatbot/hooks/" + strconv.FormatInt(bot+1000, 10) + "/hookInstance/" + strconv.FormatInt(ch.ID, 10), good, message, 404, "not_found", "", "no webhook channel"},
		{"a bot without channels", "/chatbot/hooks/" + strconv.FormatInt(e.bots.Add(e.shop), 10), good, message, 404, "not_found", "", "no webhook channel"},
		{"a bot id that is not a number", "/chatbot/hooks/st-1234", good, message, 404, "not_found", "", "numbers"},
		{"no such path", "/chatbot/hooks/1/other/2", good, message, 404, "not_found", "", "no hook"},
		{"malformed JSON", path, good, `{"message": {"text": "hi"`, 400, "invalid", "", "malformed JSON"},
		{"no from.id", path, good, `{"message": {"text": "hi"}, "to": {"id": "b"}}`, 400, "invalid", "from.id", "from.id"},
		{"no to.id", path, good, `{"message": {"text": "hi"}, "from": {"id": "a"}}`, 400, "invalid", "to.id", "to.id"},
		{"text over 4 KiB", path, good, `{"message": {"text": "` + strings.Repeat("a", 4097) + `"}, "from": {"id": "a"}, "to": {"id": "b"}}`, 400, "invalid", "message.text", "4096"},
		{"a body over 256 KiB", path, good, `{"message": {"text": "` + strings.Repeat("a", hookline.MaxHookBodyBytes) + `"}}`, 413, "too_large", "", "limit"},
		{"a bad Idempotency-Key", path, good, message, 400, "invalid", "Idempotency-Key", "control"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			if tc.name == "a bad Idempotency-Key" {
				r = e.post(tc.path, tc.auth, tc.body, "Idempotency-Key", "a\tb")
			} else {
				r = e.post(tc.path, tc.auth, tc.body)
			}
			code, msg, field := hookError(t, r)
			if r.status != tc.status || code != tc.code || field != tc.field || !strings.Contains(msg, tc.says) {
				t.Fatalf("status %d code %q field %q message %q; want %d %q %q, saying %q", r.status, code, field, msg, tc.status, tc.code, tc.field, tc.says)
			}
			if r.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("a 401 without WWW-Authenticate: %v", r.header)
			}
			if strings.Contains(string(r.body), ch.ClientSecret) {
				t.Fatal("the answer holds the client secret")
			}
		})
	}
	if n := len(e.runtime.Messages()); n != 0 {
		t.Fatalf("the bot got %d messages from refused calls", n)
	}

	r, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: %d, Allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
}

// TestHookSync talks to a sync channel at both its URLs and checks the
// answer, the message the bot got and an Idempotency-Key's replay.
func TestHookSync(t *testing.T) {
	e := newEnv(t)
	ch, bot := e.channel(hookline.ChannelInput{})
	jwtOf := token(t, jwt.SigningMethodHS256, []byte(ch.ClientSecret), jwt.MapClaims{"appId": ch.ClientID, "sub": "1",
		"exp": time.Now().Add(time.Hour).Unix()})
	first := "/chatbot/hooks/" + strconv.FormatInt(bot, 10)
	instance := first + "/hookInstance/" + strconv.FormatInt(ch.ID, 10)
	want := `{"text":["You said: hi",{"payload":{"channel":"Web","customData":{"userToken":"u-7"}},"type":"template"}]}` + "\n"
	for i, tc := range []struct{ path, scheme string }{{first, "bearer"}, {instance, "Bearer"}, {instance, "BEARER"}} {
		r := e.post(tc.path, tc.scheme+" "+jwtOf, message)
		if r.status != http.StatusOK || string(r.body) != want || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %q", tc.path, r.status, r.body)
		}
		if n := len(e.runtime.Messages()); n != i+1 {
			t.Fatalf("the bot got %d messages, want %d", n, i+1)
		}
	}
	m := e.runtime.Messages()[0]
	if m.BotID != bot || m.ChannelID != ch.ID || m.From != "user-1" || m.To != "st-bot" || m.Text != "hi" || string(m.CustomData) != `{"userToken": "u-7"}` {
		t.Fatalf("the bot got %+v", m)
	}

	auth := "bearer " + jwtOf
	r := e.post(instance, auth, message, "Idempotency-Key", "order-42")
	again := e.post(instance, auth, strings.ReplaceAll(message, " ", ""), "Idempotency-Key", "order-42")
	if r.status != 200 || again.status != 200 || string(again.body) != string(r.body) || again.header.Get("Idempotent-Replayed") != "true" || r.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first %d %q, repeat %d %q %v", r.status, r.body, again.status, again.body, again.header)
	}
	if n := len(e.runtime.Messages()); n != 4 {
		t.Fatalf("the bot ran %d times; the repeat must not run it", n)
	}
	other := e.post(instance, auth, strings.Replace(message, `"hi"`, `"bye"`, 1), "Idempotency-Key", "order-42")
	if code, _, field := hookError(t, other); other.status != 409 || code != "conflict" || field != "Idempotency-Key" {
		t.Fatalf("another body under the key: %d %q", other.status, other.body)
	}
	// A failing bot is the bot's error, in this edge's format.
	failing := e.post(instance, auth, strings.Replace(message, `"hi"`, `"fail"`, 1))
	if code, _, _ := hookError(t, failing); failing.status != 503 || code != "unavailable" {
		t.Fatalf("failing bot: %d %q", failing.status, failing.body)
	}
}

// TestHookAsync talks to an async channel: the call answers 200 with an
// empty body, and the bot's answers reach the POST_URL through the real
// delivery worker, with the channel's access token as a bearer token, in
// the order the messages came.
func TestHookAsync(t *testing.T) {
	e := newEnv(t)
	type received struct {
		auth string
		body string
	}
	got := make(chan received, 10)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Get("Authorization"), string(body)}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	ch, bot := e.channel(hookline.ChannelInput{Mode: ptr(hookline.ChannelAsync), PostURL: ptr(rc.URL + "/answers"), AccessToken: ptr("at-crm-5150")})
	auth := "bearer " + token(t, jwt.SigningMethodHS256, []byte(ch.ClientSecret), jwt.MapClaims{"appId": ch.ClientID})
	path := "/chatbot/hooks/" + strconv.FormatInt(bot, 10) + "/hookInstance/" + strconv.FormatInt(ch.ID, 10)

	for _, text := range []string{"one", "two", "three"} {
		r := e.post(path, auth, strings.Replace(message, `"hi"`, `"`+text+`"`, 1))
		if r.status != http.StatusOK || len(r.body) != 0 {
			t.Fatalf("async call: %d %q, want 200 and an empty body", r.status, r.body)
		}
	}
	for _, text := range []string{"one", "two", "three"} {
		select {
		case rec := <-got:
			if rec.auth != "Bearer at-crm-5150" {
				t.Fatalf("POST_URL got Authorization %q", rec.auth)
			}
			var body struct {
				Text     []json.RawMessage `json:"text"`
				To, From string
			}
			if err := json.Unmarshal([]byte(rec.body), &body); err != nil || body.To != "user-1" || body.From != "st-bot" ||
				len(body.Text) != 2 || string(body.Text[0]) != `"You said: `+text+`"` {
				t.Fatalf("POST_URL got %s (%v), want the answer to %q", rec.body, err, text)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer to %q at the POST_URL in 10 s", text)
		}
	}
	// A repeated key answers the first empty 200 without queuing again.
	for range 2 {
		if r := e.post(path, auth, message, "Idempotency-Key", "k-1"); r.status != 200 || len(r.body) != 0 {
			t.Fatalf("keyed async call: %d %q", r.status, r.body)
		}
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer to the keyed call")
	}
	// The bot ran once for the key, so one answer was queued for it.
	if n := len(e.runtime.Messages()); n != 4 {
		t.Fatalf("the bot ran %d times for 3 calls and 2 with one key, want 4", n)
	}
}

// TestREADMEToken mints tokens with the README's python3 script
// (examples/hook-token.py, standard library only) and calls the hook
// with them: a fresh one is accepted, an expired one refused.
func TestREADMEToken(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	e := newEnv(t)
	ch, bot := e.channel(hookline.ChannelInput{RequireExp: ptr(true)})
	mint := func(ttl string) string {
		t.Helper()
		cmd := exec.Command(python, filepath.Join("..", "..", "examples", "hook-token.py"), ttl)
		cmd.Env = append(os.Environ(), "CLIENT_ID="+ch.ClientID, "CLIENT_SECRET="+ch.ClientSecret)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("examples/hook-token.py: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	path := "/chatbot/hooks/" + strconv.FormatInt(bot, 10)
	if r := e.post(path, "bearer "+mint("300"), message); r.status != http.StatusOK {
		t.Fatalf("a fresh token: %d %s", r.status, r.body)
	}
	r := e.post(path, "bearer "+mint("-120"), message)
	if _, msg, _ := hookError(t, r); r.status != http.StatusUnauthorized || !strings.Contains(msg, "expired") {
		t.Fatalf("an expired token: %d %s", r.status, r.body)
	}
}
