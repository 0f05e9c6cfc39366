package channel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/channel"
	"github.com/hookline/hookline/channel/channeltest"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
)

// queue records what is enqueued, as the delivery queue would store it.
type queue struct {
	mu sync.Mutex
	ds []*hookline.Delivery
}

func (q *queue) Enqueue(_ context.Context, d *hookline.Delivery, _ *hookline.IdempotencyKey) (*hookline.Delivery, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ds = append(q.ds, d)
	return d, true, nil
}

type env struct {
	t         *testing.T
	svc       *channel.Service
	store     *sqlstore.ChannelStore
	bots      *channeltest.Bots
	runtime   *channeltest.Runtime
	queue     *queue
	now       time.Time
	agency    *hookline.Tenant
	shop      *hookline.Tenant
	other     *hookline.Tenant
	admin     *hookline.Caller
	shopKey   *hookline.Caller
	agencyKey *hookline.Caller
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	e := &env{t: t, bots: &channeltest.Bots{}, runtime: &channeltest.Runtime{}, queue: &queue{},
		now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e.store = sqlstore.NewChannelStore(db, storetest.Sealer(t))
	e.agency = &hookline.Tenant{Name: "Agency", Kind: hookline.KindAgency}
	if err := db.CreateTenant(ctx, e.agency); err != nil {
		t.Fatal(err)
	}
	e.shop = &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany, AgencyID: e.agency.ID}
	e.other = &hookline.Tenant{Name: "Other", Kind: hookline.KindCompany}
	for _, c := range []*hookline.Tenant{e.shop, e.other} {
		if err := db.CreateTenant(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	e.svc = channel.NewService(channel.Config{
		Tenants: tenant.NewService(db, db, ""), Store: e.store, Bots: e.bots, Runtime: e.runtime, Queue: e.queue,
		PublicURL: "https://hooks.example.com/", Now: func() time.Time { return e.now },
	})
	e.runtime.Sink = e.svc
	e.admin = &hookline.Caller{}
	e.shopKey = &hookline.Caller{KeyID: 1, Tenant: e.shop}
	e.agencyKey = &hookline.Caller{KeyID: 2, Tenant: e.agency}
	return e
}

func ptr[T any](v T) *T { return &v }

func wantCode(t *testing.T, err error, code hookline.Code, field string) {
	t.Helper()
	if got := hookline.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if field != "" && hookline.ErrorField(err) != field {
		t.Fatalf("error %v: field %q, want %q", err, hookline.ErrorField(err), field)
	}
}

// token mints a hook token as an integrator does.
func token(t *testing.T, clientID, secret string, extra jwt.MapClaims) string {
	t.Helper()
	claims := jwt.MapClaims{"appId": clientID, "sub": "7"}
	for k, v := range extra {
		claims[k] = v
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// channel creates an approved sync channel of a new bot of the shop, with
// a new app.
func (e *env) channel(mode hookline.ChannelMode) (*hookline.NewChannel, int64) {
	e.t.Helper()
	bot := e.bots.Add(e.shop)
	in := hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("Web"), Mode: &mode}
	if mode == hookline.ChannelAsync {
		in.PostURL, in.AccessToken = ptr("https://crm.example.com/answers"), ptr("at-1")
	}
	ch, err := e.svc.CreateChannel(context.Background(), e.shopKey, bot, in)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.ApproveChannel(context.Background(), e.admin, ch.ID); err != nil {
		e.t.Fatal(err)
	}
	return ch, bot
}

func TestApps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.svc.CreateApp(ctx, e.shopKey, hookline.AppInput{})
	wantCode(t, err, hookline.CodeInvalid, "name")
	_, err = e.svc.CreateApp(ctx, e.shopKey, hookline.AppInput{Name: ptr(" ")})
	wantCode(t, err, hookline.CodeInvalid, "name")
	_, err = e.svc.CreateApp(ctx, e.agencyKey, hookline.AppInput{Name: ptr("Web")})
	wantCode(t, err, hookline.CodeInvalid, "company_id")
	_, err = e.svc.CreateApp(ctx, e.agencyKey, hookline.AppInput{Name: ptr("Web"), CompanyID: &e.other.ID})
	wantCode(t, err, hookline.CodeNotFound, "company_id")

	a, err := e.svc.CreateApp(ctx, e.agencyKey, hookline.AppInput{Name: ptr("Web"), CompanyID: &e.shop.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.ClientID, "app-") || len(a.ClientSecret) < 40 || a.CompanyID != e.shop.ID || a.PreviousUntil != nil {
		t.Fatalf("new app %+v", a)
	}
	shown, err := e.svc.FindApp(ctx, e.shopKey, a.ID)
	if err != nil || shown.ClientSecret != hookline.SecretMask || shown.ClientID != a.ClientID {
		t.Fatalf("shown %+v, %v", shown, err)
	}
	_, err = e.svc.FindApp(ctx, &hookline.Caller{KeyID: 3, Tenant: e.other}, a.ID)
	wantCode(t, err, hookline.CodeNotFound, "")

	rotated, err := e.svc.RotateAppSecret(ctx, e.shopKey, a.ID)
	if err != nil || rotated.ClientSecret == a.ClientSecret || rotated.PreviousUntil == nil || !rotated.PreviousUntil.Equal(e.now.Add(24*time.Hour)) {
		t.Fatalf("rotated %+v, %v", rotated, err)
	}
	page, err := e.svc.FindApps(ctx, e.agencyKey, e.shop.ID, hookline.PageRequest{})
	if err != nil || len(page.Items) != 1 || page.Items[0].PreviousUntil == nil || page.Items[0].ClientSecret != hookline.SecretMask {
		t.Fatalf("apps %+v, %v", page, err)
	}
	// Once the overlap is over, the app no longer shows it.
	e.now = e.now.Add(25 * time.Hour)
	if shown, _ := e.svc.FindApp(ctx, e.shopKey, a.ID); shown.PreviousUntil != nil {
		t.Fatalf("after the overlap: %+v", shown)
	}
	if err := e.svc.DeleteApp(ctx, e.shopKey, a.ID); err != nil {
		t.Fatal(err)
	}
}

func TestCreateChannel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bot := e.bots.Add(e.shop)
	otherBot := e.bots.Add(e.other)

	for _, tc := range []struct {
		name  string
		bot   int64
		in    hookline.ChannelInput
		code  hookline.Code
		field string
	}{
		{"no type", bot, hookline.ChannelInput{Name: ptr("x")}, hookline.CodeInvalid, "type"},
		{"no name", bot, hookline.ChannelInput{Type: ptr("webhook")}, hookline.CodeInvalid, "name"},
		{"another type", bot, hookline.ChannelInput{Type: ptr("sms"), Name: ptr("x")}, hookline.CodeInvalid, "type"},
		{"a bad mode", bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("x"), Mode: ptr(hookline.ChannelMode("later"))}, hookline.CodeInvalid, "mode"},
		{"async without post_url", bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("x"), Mode: ptr(hookline.ChannelAsync)}, hookline.CodeInvalid, "post_url"},
		{"a post_url without scheme", bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("x"), PostURL: ptr("crm.example.com/x")}, hookline.CodeInvalid, "post_url"},
		{"a masked token", bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("x"), AccessToken: ptr(hookline.SecretMask)}, hookline.CodeInvalid, "access_token"},
		{"another company's bot", otherBot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("x")}, hookline.CodeNotFound, ""},
		{"no such bot", 99999, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("x")}, hookline.CodeNotFound, ""},
		{"another company_id", bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("x"), CompanyID: &e.other.ID}, hookline.CodeNotFound, "company_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.CreateChannel(ctx, e.shopKey, tc.bot, tc.in)
			wantCode(t, err, tc.code, tc.field)
		})
	}

	ch, err := e.svc.CreateChannel(ctx, e.shopKey, bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("Web"),
		Mode: ptr(hookline.ChannelAsync), PostURL: ptr("https://crm.example.com/in"), AccessToken: ptr("at-secret")})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ClientSecret == "" || ch.AppID == nil || ch.ClientID == "" || ch.Approved || !ch.Enabled || ch.AccessToken != hookline.SecretMask ||
		ch.URL != "https://hooks.example.com/chatbot/hooks/"+itoa(bot)+"/hookInstance/"+itoa(ch.ID) {
		t.Fatalf("created %+v", ch)
	}
	app, err := e.svc.FindApp(ctx, e.shopKey, *ch.AppID)
	if err != nil || app.Name != "Web" || app.ClientID != ch.ClientID {
		t.Fatalf("its app %+v, %v", app, err)
	}
	// A second channel of the bot on that app: no secret shown.
	second, err := e.svc.CreateChannel(ctx, e.shopKey, bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("Kiosk"), AppID: ch.AppID})
	if err != nil || second.ClientSecret != "" || second.ClientID != ch.ClientID || second.Mode != hookline.ChannelSync {
		t.Fatalf("second %+v, %v", second, err)
	}
	foreign, err := e.svc.CreateApp(ctx, e.admin, hookline.AppInput{Name: ptr("Foreign"), CompanyID: &e.other.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CreateChannel(ctx, e.admin, bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("Third"), AppID: &foreign.ID})
	wantCode(t, err, hookline.CodeNotFound, "app_id")
	_, err = e.svc.CreateChannel(ctx, e.shopKey, bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("Web")})
	wantCode(t, err, hookline.CodeConflict, "name")

	err = e.svc.DeleteApp(ctx, e.shopKey, *ch.AppID)
	wantCode(t, err, hookline.CodeConflict, "")
	if !strings.Contains(hookline.ErrorMessage(err), `"Kiosk"`) {
		t.Fatalf("conflict %q does not name the channels", hookline.ErrorMessage(err))
	}

	page, err := e.svc.FindChannels(ctx, e.agencyKey, bot, hookline.PageRequest{Limit: 1})
	if err != nil || len(page.Items) != 1 || page.NextCursor == "" || page.Items[0].ID != ch.ID {
		t.Fatalf("first page %+v, %v", page, err)
	}
	page, err = e.svc.FindChannels(ctx, e.agencyKey, bot, hookline.PageRequest{Limit: 1, Cursor: page.NextCursor})
	if err != nil || len(page.Items) != 1 || page.NextCursor != "" || page.Items[0].ID != second.ID {
		t.Fatalf("second page %+v, %v", page, err)
	}
	_, err = e.svc.FindChannels(ctx, e.shopKey, otherBot, hookline.PageRequest{})
	wantCode(t, err, hookline.CodeNotFound, "")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUpdateApproveEnable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bot := e.bots.Add(e.shop)
	ch, err := e.svc.CreateChannel(ctx, e.shopKey, bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("Web")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.UpdateChannel(ctx, e.shopKey, ch.ID, hookline.ChannelPatch{Mode: ptr(hookline.ChannelAsync)})
	wantCode(t, err, hookline.CodeInvalid, "post_url")
	_, err = e.svc.UpdateChannel(ctx, e.shopKey, ch.ID, hookline.ChannelPatch{AccessToken: ptr(hookline.SecretMask)})
	wantCode(t, err, hookline.CodeInvalid, "access_token")
	got, err := e.svc.UpdateChannel(ctx, e.shopKey, ch.ID, hookline.ChannelPatch{Mode: ptr(hookline.ChannelAsync),
		PostURL: ptr("https://crm.example.com/in"), AccessToken: ptr("at-1"), RequireExp: ptr(true)})
	if err != nil || got.Mode != hookline.ChannelAsync || got.AccessToken != hookline.SecretMask || !got.RequireExp || got.URL == "" {
		t.Fatalf("patched %+v, %v", got, err)
	}
	// The mask keeps the token.
	if _, err := e.svc.UpdateChannel(ctx, e.shopKey, ch.ID, hookline.ChannelPatch{AccessToken: ptr(hookline.SecretMask), Name: ptr("Web 2")}); err != nil {
		t.Fatal(err)
	}
	if stored, _ := e.store.FindChannelToken(ctx, e.shop.ID, ch.ID); stored.AccessToken != "at-1" || stored.Name != "Web 2" {
		t.Fatalf("stored %+v", stored)
	}
	_, err = e.svc.UpdateChannel(ctx, &hookline.Caller{KeyID: 9, Tenant: e.other}, ch.ID, hookline.ChannelPatch{Name: ptr("x")})
	wantCode(t, err, hookline.CodeNotFound, "")

	for _, c := range []*hookline.Caller{e.shopKey, e.agencyKey, {KeyID: 9, Tenant: e.other}} {
		_, err := e.svc.ApproveChannel(ctx, c, ch.ID)
		wantCode(t, err, hookline.CodeForbidden, "")
	}
	approved, err := e.svc.ApproveChannel(ctx, e.admin, ch.ID)
	if err != nil || !approved.Approved || approved.ApprovedAt == nil || !approved.ApprovedAt.Equal(e.now) {
		t.Fatalf("approved %+v, %v", approved, err)
	}
	e.now = e.now.Add(time.Hour)
	again, _ := e.svc.ApproveChannel(ctx, e.admin, ch.ID)
	if !again.ApprovedAt.Equal(approved.ApprovedAt.UTC()) {
		t.Fatalf("a second approval moved the time to %v", again.ApprovedAt)
	}
	_, err = e.svc.ApproveChannel(ctx, e.admin, 99999)
	wantCode(t, err, hookline.CodeNotFound, "")

	off, err := e.svc.SetChannelEnabled(ctx, e.agencyKey, ch.ID, false)
	if err != nil || off.Enabled || !off.Approved {
		t.Fatalf("disabled %+v, %v", off, err)
	}
	on, err := e.svc.SetChannelEnabled(ctx, e.shopKey, ch.ID, true)
	if err != nil || !on.Enabled {
		t.Fatalf("enabled %+v, %v", on, err)
	}
	if err := e.svc.DeleteChannel(ctx, e.shopKey, ch.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FindChannel(ctx, e.shopKey, ch.ID)
	wantCode(t, err, hookline.CodeNotFound, "")
}

func TestAuthenticateHook(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bot := e.bots.Add(e.shop)
	ch, err := e.svc.CreateChannel(ctx, e.shopKey, bot, hookline.ChannelInput{Type: ptr("webhook"), Name: ptr("Web")})
	if err != nil {
		t.Fatal(err)
	}
	good := token(t, ch.ClientID, ch.ClientSecret, nil)

	// A bad token is refused before the channel's state is told.
	_, err = e.svc.AuthenticateHook(ctx, bot, ch.ID, token(t, ch.ClientID, "forged", nil))
	wantCode(t, err, hookline.CodeUnauthorized, "")
	_, err = e.svc.AuthenticateHook(ctx, bot, ch.ID, good)
	wantCode(t, err, hookline.CodeForbidden, "")
	if msg := hookline.ErrorMessage(err); !strings.Contains(msg, "not approved") || strings.Contains(msg, "disabled") {
		t.Fatalf("unapproved: %q", msg)
	}
	if _, err := e.svc.SetChannelEnabled(ctx, e.shopKey, ch.ID, false); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateHook(ctx, bot, ch.ID, good)
	if msg := hookline.ErrorMessage(err); !strings.Contains(msg, "not approved") || !strings.Contains(msg, "disabled") {
		t.Fatalf("unapproved and disabled: %q", msg)
	}
	if _, err := e.svc.ApproveChannel(ctx, e.admin, ch.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateHook(ctx, bot, ch.ID, good)
	if msg := hookline.ErrorMessage(err); strings.Contains(msg, "not approved") || !strings.Contains(msg, "disabled") {
		t.Fatalf("disabled: %q", msg)
	}
	if _, err := e.svc.SetChannelEnabled(ctx, e.shopKey, ch.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{ch.ID, 0} {
		got, err := e.svc.AuthenticateHook(ctx, bot, id, good)
		if err != nil || got.ID != ch.ID || got.Secret != "" || got.Previous != "" {
			t.Fatalf("channel %d: %+v, %v", id, got, err)
		}
	}
	_, err = e.svc.AuthenticateHook(ctx, bot+1, ch.ID, good)
	wantCode(t, err, hookline.CodeNotFound, "")

	// Rotation: the old secret signs for 24 hours more, then no more.
	rotated, err := e.svc.RotateAppSecret(ctx, e.shopKey, *ch.AppID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{good, token(t, ch.ClientID, rotated.ClientSecret, nil)} {
		if _, err := e.svc.AuthenticateHook(ctx, bot, ch.ID, tok); err != nil {
			t.Fatalf("during the overlap: %v", err)
		}
	}
	e.now = e.now.Add(24*time.Hour + time.Second)
	_, err = e.svc.AuthenticateHook(ctx, bot, ch.ID, good)
	wantCode(t, err, hookline.CodeUnauthorized, "")
	if _, err := e.svc.AuthenticateHook(ctx, bot, ch.ID, token(t, ch.ClientID, rotated.ClientSecret, nil)); err != nil {
		t.Fatal(err)
	}

	// require_exp is the channel's.
	if _, err := e.svc.UpdateChannel(ctx, e.shopKey, ch.ID, hookline.ChannelPatch{RequireExp: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateHook(ctx, bot, ch.ID, token(t, ch.ClientID, rotated.ClientSecret, nil))
	wantCode(t, err, hookline.CodeUnauthorized, "")
	if _, err := e.svc.AuthenticateHook(ctx, bot, ch.ID, token(t, ch.ClientID, rotated.ClientSecret, jwt.MapClaims{"exp": e.now.Add(time.Minute).Unix()})); err != nil {
		t.Fatal(err)
	}
}

// TestHookCacheAcrossProcesses: a channel changed beside this service (by
// another node, or the CLI) is seen by hook calls within a second; one
// changed through it, at once.
func TestHookCacheAcrossProcesses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch, bot := e.channel(hookline.ChannelSync)
	good := token(t, ch.ClientID, ch.ClientSecret, nil)
	if _, err := e.svc.AuthenticateHook(ctx, bot, ch.ID, good); err != nil {
		t.Fatal(err)
	}
	// Another process disables the channel.
	if _, err := e.store.UpdateChannel(ctx, hookline.AdminScope(), ch.ID, func(c *hookline.Channel) error { c.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateHook(ctx, bot, ch.ID, good); err != nil {
		t.Fatalf("within the second: %v", err)
	}
	e.now = e.now.Add(time.Second)
	_, err := e.svc.AuthenticateHook(ctx, bot, ch.ID, good)
	wantCode(t, err, hookline.CodeForbidden, "")
	// Enabled again through the service, it answers at once, and the
	// answer is cached again.
	if _, err := e.svc.SetChannelEnabled(ctx, e.shopKey, ch.ID, true); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.AuthenticateHook(ctx, bot, ch.ID, good)
	if err != nil || got.Secret != "" {
		t.Fatalf("enabled: %+v, %v", got, err)
	}
	// What one call was given, another does not see changed.
	got.Name = "changed by a caller"
	if again, err := e.svc.AuthenticateHook(ctx, bot, ch.ID, good); err != nil || again.Name != "Web" || again.Secret != "" {
		t.Fatalf("the cached channel: %+v, %v", again, err)
	}
	// A deleted channel is refused at once.
	if err := e.svc.DeleteChannel(ctx, e.shopKey, ch.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateHook(ctx, bot, ch.ID, good)
	wantCode(t, err, hookline.CodeNotFound, "")
}

func payload(text string) hookline.HookPayload {
	return hookline.HookPayload{Message: hookline.HookMessage{Text: text}, From: hookline.HookParty{ID: "user-1"}, To: hookline.HookParty{ID: "st-bot"},
		CustomData: json.RawMessage(`{"userToken":"u-1"}`)}
}

func TestReceiveMessageIdempotency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	created, bot := e.channel(hookline.ChannelSync)
	ch, err := e.svc.AuthenticateHook(ctx, bot, created.ID, token(t, created.ClientID, created.ClientSecret, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.ReceiveMessage(ctx, ch, hookline.HookPayload{Message: hookline.HookMessage{Text: "hi"}, To: hookline.HookParty{ID: "x"}}, "")
	wantCode(t, err, hookline.CodeInvalid, "from.id")

	first, replayed, err := e.svc.ReceiveMessage(ctx, ch, payload("hello"), "key-1")
	if err != nil || replayed || first.Async || len(first.Text) != 2 || string(first.Text[0]) != `"You said: hello"` {
		t.Fatalf("first = %+v, %v, %v", first, replayed, err)
	}
	m := e.runtime.Messages()[0]
	if m.BotID != bot || m.ChannelID != ch.ID || m.ChannelName != "Web" || m.From != "user-1" || m.To != "st-bot" || string(m.CustomData) != `{"userToken":"u-1"}` {
		t.Fatalf("the bot got %+v", m)
	}
	again, replayed, err := e.svc.ReceiveMessage(ctx, ch, payload("hello"), "key-1")
	if err != nil || !replayed || jsonString(again) != jsonString(first) {
		t.Fatalf("repeat = %+v, %v, %v", again, replayed, err)
	}
	if n := len(e.runtime.Messages()); n != 1 {
		t.Fatalf("the bot ran %d times for one key", n)
	}
	_, _, err = e.svc.ReceiveMessage(ctx, ch, payload("something else"), "key-1")
	wantCode(t, err, hookline.CodeConflict, "Idempotency-Key")
	_, _, err = e.svc.ReceiveMessage(ctx, ch, payload("x"), "bad\nkey")
	wantCode(t, err, hookline.CodeInvalid, "Idempotency-Key")
	_, _, err = e.svc.ReceiveMessage(ctx, ch, payload("x"), strings.Repeat("k", 256))
	wantCode(t, err, hookline.CodeInvalid, "Idempotency-Key")

	// A failing bot releases the key: the repeat runs it again.
	_, _, err = e.svc.ReceiveMessage(ctx, ch, payload("fail"), "key-2")
	wantCode(t, err, hookline.CodeUnavailable, "")
	_, _, err = e.svc.ReceiveMessage(ctx, ch, payload("fail"), "key-2")
	wantCode(t, err, hookline.CodeUnavailable, "")
	if n := len(e.runtime.Messages()); n != 3 {
		t.Fatalf("the bot ran %d times, want 3", n)
	}
	// Without a key, every call runs the bot.
	for range 2 {
		if _, replayed, err := e.svc.ReceiveMessage(ctx, ch, payload("hello"), ""); err != nil || replayed {
			t.Fatal(err)
		}
	}
	if n := len(e.runtime.Messages()); n != 5 {
		t.Fatalf("the bot ran %d times, want 5", n)
	}
}

func TestAsyncReply(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	created, bot := e.channel(hookline.ChannelAsync)
	ch, err := e.svc.AuthenticateHook(ctx, bot, created.ID, token(t, created.ClientID, created.ClientSecret, nil))
	if err != nil {
		t.Fatal(err)
	}
	answer, _, err := e.svc.ReceiveMessage(ctx, ch, payload("hello"), "k")
	if err != nil || !answer.Async || answer.Text != nil {
		t.Fatalf("async answer %+v, %v", answer, err)
	}
	if again, replayed, err := e.svc.ReceiveMessage(ctx, ch, payload("hello"), "k"); err != nil || !replayed || !again.Async {
		t.Fatalf("async repeat %+v, %v, %v", again, replayed, err)
	}
	if len(e.queue.ds) != 1 {
		t.Fatalf("%d deliveries queued, want 1", len(e.queue.ds))
	}
	d := e.queue.ds[0]
	if d.TargetKind != hookline.TargetChannel || d.TargetID != ch.ID || d.CompanyID != e.shop.ID || d.OrderingKey != "session:1" ||
		d.Request.Method != http.MethodPost || d.Request.URL != "https://crm.example.com/answers" || d.Request.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("delivery %+v", d)
	}
	var body struct {
		Text     []json.RawMessage `json:"text"`
		To, From string
	}
	if err := json.Unmarshal(d.Request.Body, &body); err != nil || body.To != "user-1" || body.From != "st-bot" || len(body.Text) != 2 {
		t.Fatalf("body %s: %v", d.Request.Body, err)
	}
	if strings.Contains(string(d.Request.Body), "at-1") || d.Request.Header.Get("Authorization") != "" {
		t.Fatal("the token is frozen into the request: it must be read at send time")
	}

	// The queue reads the token when it sends.
	target, err := channel.NewTargets(e.store).ResolveTarget(ctx, hookline.TargetChannel, e.shop.ID, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	req := &egress.Request{Header: http.Header{}}
	if err := target.Authorize(req); err != nil || req.Header.Get("Authorization") != "Bearer at-1" || len(target.Secrets) != 1 {
		t.Fatalf("authorized %v, %v", req.Header, err)
	}
	if _, err := e.svc.UpdateChannel(ctx, e.shopKey, ch.ID, hookline.ChannelPatch{AccessToken: ptr("at-2")}); err != nil {
		t.Fatal(err)
	}
	target, _ = channel.NewTargets(e.store).ResolveTarget(ctx, hookline.TargetChannel, e.shop.ID, ch.ID)
	if err := target.Authorize(req); err != nil || req.Header.Get("Authorization") != "Bearer at-2" {
		t.Fatalf("after a new token: %v", req.Header)
	}
	_, err = channel.NewTargets(e.store).ResolveTarget(ctx, hookline.TargetChannel, e.other.ID, ch.ID)
	wantCode(t, err, hookline.CodeNotFound, "")

	// An answer for a deleted channel is dropped, not retried for ever.
	if err := e.svc.DeleteChannel(ctx, e.shopKey, ch.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeliverReply(ctx, hookline.InboundMessage{BotID: bot, ChannelID: ch.ID}, &hookline.BotReply{}); err != nil {
		t.Fatalf("a deleted channel's answer: %v", err)
	}
	_, err = channel.NewTargets(e.store).ResolveTarget(ctx, hookline.TargetChannel, e.shop.ID, ch.ID)
	wantCode(t, err, hookline.CodeNotFound, "")
}

func TestExportImport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bot := e.bots.Add(e.shop)
	for _, in := range []hookline.ChannelInput{
		{Type: ptr("webhook"), Name: ptr("Web")},
		{Type: ptr("webhook"), Name: ptr("CRM"), Mode: ptr(hookline.ChannelAsync), PostURL: ptr("https://crm.example.com/in"), AccessToken: ptr("at-secret")},
	} {
		if _, err := e.svc.CreateChannel(ctx, e.shopKey, bot, in); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := e.svc.ExportChannels(ctx, bot)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"Web","type":"webhook","mode":"sync"},{"name":"CRM","type":"webhook","mode":"async","post_url":"https://crm.example.com/in"}]`
	if got := jsonString(docs); got != want {
		t.Fatalf("exported %s, want %s", got, want)
	}

	copyBot := e.bots.Add(e.other)
	if err := e.svc.ImportChannels(ctx, e.other.ID, copyBot, docs); err != nil {
		t.Fatal(err)
	}
	page, err := e.svc.FindChannels(ctx, e.admin, copyBot, hookline.PageRequest{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("imported %+v, %v", page, err)
	}
	for _, ch := range page.Items {
		if ch.Approved || ch.AppID != nil || ch.ClientID != "" || ch.AccessToken != "" || ch.CompanyID != e.other.ID || !ch.Enabled {
			t.Fatalf("imported channel %+v: want unapproved, without app or token", ch)
		}
	}
	// An imported channel answers 403 until it has an app and is approved.
	_, err = e.svc.AuthenticateHook(ctx, copyBot, 0, "x")
	wantCode(t, err, hookline.CodeForbidden, "")
	if !strings.Contains(hookline.ErrorMessage(err), "no app") {
		t.Fatalf("message %q", hookline.ErrorMessage(err))
	}

	bad := []hookline.BotChannelDoc{{Name: "A", Mode: "sync"}, {Name: "B", Mode: "async"}}
	wantCode(t, e.svc.ImportChannels(ctx, e.other.ID, e.bots.Add(e.other), bad), hookline.CodeInvalid, "channels[1].post_url")
	bad = []hookline.BotChannelDoc{{Name: "A", Type: "sms"}}
	wantCode(t, e.svc.ImportChannels(ctx, e.other.ID, e.bots.Add(e.other), bad), hookline.CodeInvalid, "channels[0].type")
	dup := e.bots.Add(e.other)
	wantCode(t, e.svc.ImportChannels(ctx, e.other.ID, dup, []hookline.BotChannelDoc{{Name: "A"}, {Name: "A"}}), hookline.CodeConflict, "channels[1].name")
	if docs, _ := e.svc.ExportChannels(ctx, dup); len(docs) != 0 {
		t.Fatalf("a refused import left %v", docs)
	}
}

// TestFindAllChannels lists the channels waiting for approval across bots:
// the operator sees every company's, a company its own, an agency its
// companies'; an approved channel leaves the list.
func TestFindAllChannels(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	waiting := ptr(false)
	create := func(c *hookline.Caller, company *hookline.Tenant, name string) *hookline.NewChannel {
		t.Helper()
		ch, err := e.svc.CreateChannel(ctx, c, e.bots.Add(company), hookline.ChannelInput{Type: ptr("webhook"), Name: ptr(name)})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	shop1 := create(e.shopKey, e.shop, "Site")
	shop2 := create(e.shopKey, e.shop, "App")
	other := create(e.admin, e.other, "Kiosk")
	ids := func(c *hookline.Caller, companyID int64, f hookline.ChannelListFilter) []int64 {
		t.Helper()
		var out []int64
		page := hookline.PageRequest{Limit: 1}
		for {
			p, err := e.svc.FindAllChannels(ctx, c, companyID, f, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range p.Items {
				if ch.URL == "" || ch.AccessToken != "" {
					t.Fatalf("listed %+v", ch)
				}
				out = append(out, ch.ID)
			}
			if p.NextCursor == "" {
				return out
			}
			page.Cursor = p.NextCursor
		}
	}
	eq := func(got []int64, want ...int64) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
	}
	eq(ids(e.admin, 0, hookline.ChannelListFilter{Approved: waiting}), shop1.ID, shop2.ID, other.ID)
	eq(ids(e.shopKey, 0, hookline.ChannelListFilter{Approved: waiting}), shop1.ID, shop2.ID)
	eq(ids(e.agencyKey, e.shop.ID, hookline.ChannelListFilter{}), shop1.ID, shop2.ID)
	eq(ids(e.admin, e.other.ID, hookline.ChannelListFilter{Approved: waiting}), other.ID)
	if _, err := e.svc.ApproveChannel(ctx, e.admin, shop2.ID); err != nil {
		t.Fatal(err)
	}
	eq(ids(e.admin, 0, hookline.ChannelListFilter{Approved: waiting}), shop1.ID, other.ID)
	eq(ids(e.admin, 0, hookline.ChannelListFilter{Approved: ptr(true)}), shop2.ID)
	// Another tenant's company is not found, as in every list.
	_, err := e.svc.FindAllChannels(ctx, e.shopKey, e.other.ID, hookline.ChannelListFilter{}, hookline.PageRequest{})
	wantCode(t, err, hookline.CodeNotFound, "")
}
