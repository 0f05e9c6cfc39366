package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// Secrets of the apps and channels the suite stores; the sealed-at-rest
// tests look for them in the database files.
const (
	SampleClientSecret = "cs-7d1e4b9a2f6c8053"
	SampleAccessToken  = "at-0b5f2e8c1d7a4963"
)

// channelStore opens a store with the channel services, sealing with a
// fresh random key.
func channelStore(t *testing.T, open Open) (*sqlstore.DB, *sqlstore.ChannelStore) {
	t.Helper()
	db := open(t)
	return db, sqlstore.NewChannelStore(db, Sealer(t))
}

// SampleApp is an app of company with the sample secret.
func SampleApp(companyID int64, name string) *hookline.App {
	return &hookline.App{CompanyID: companyID, Name: name, ClientID: "app-" + name + fmt.Sprint(companyID), ClientSecret: SampleClientSecret}
}

// SampleChannel is an async channel of bot botID with the sample token.
func SampleChannel(companyID, botID int64, name string) *hookline.Channel {
	return &hookline.Channel{CompanyID: companyID, BotID: botID, Type: hookline.ChannelTypeWebhook, Name: name,
		Mode: hookline.ChannelAsync, PostURL: "https://crm.example.com/answers", AccessToken: SampleAccessToken, Enabled: true}
}

func exerciseApps(t *testing.T, open Open) {
	ctx := context.Background()
	db, cs := channelStore(t, open)
	f := NewFixture(t, db)
	all := hookline.AdminScope()

	a := SampleApp(f.A1.ID, "Web")
	if err := cs.CreateApp(ctx, all, a); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.CreatedAt.IsZero() {
		t.Fatalf("created app = %+v", a)
	}
	wantCode(t, cs.CreateApp(ctx, all, SampleApp(9999, "x")), hookline.CodeNotFound, "company_id")
	wantCode(t, cs.CreateApp(ctx, all, SampleApp(f.A.ID, "x")), hookline.CodeNotFound, "company_id")
	wantCode(t, cs.CreateApp(ctx, hookline.TenantScope(f.B), SampleApp(f.A1.ID, "x")), hookline.CodeNotFound, "company_id")

	got, err := cs.FindApp(ctx, all, a.ID)
	if err != nil || got.ClientSecret != hookline.SecretMask || got.ClientID != a.ClientID || got.Name != "Web" || got.PreviousUntil != nil {
		t.Fatalf("found %+v, %v", got, err)
	}

	t.Run("Scopes", func(t *testing.T) {
		ids := map[int64]int64{}
		for _, c := range f.Companies() {
			x := SampleApp(c.ID, "Scoped")
			if err := cs.CreateApp(ctx, all, x); err != nil {
				t.Fatal(err)
			}
			ids[c.ID] = x.ID
		}
		for _, sc := range f.Scopes() {
			list, err := cs.FindApps(ctx, hookline.AppFilter{Scope: sc.Scope})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int64]bool{}
			for _, x := range list {
				seen[x.CompanyID] = true
				if x.ClientSecret != hookline.SecretMask {
					t.Fatalf("%s: listed secret %q", sc.Name, x.ClientSecret)
				}
			}
			for _, c := range f.Companies() {
				sees := false
				for _, v := range sc.Companies {
					sees = sees || v.ID == c.ID
				}
				if seen[c.ID] != sees {
					t.Fatalf("%s: lists company %s's apps = %v, want %v", sc.Name, c.Name, seen[c.ID], sees)
				}
				_, err := cs.FindApp(ctx, sc.Scope, ids[c.ID])
				if sees != (err == nil) {
					t.Fatalf("%s: find app of %s: %v", sc.Name, c.Name, err)
				}
				if !sees {
					wantCode(t, err, hookline.CodeNotFound, "")
					_, err = cs.RotateAppSecret(ctx, sc.Scope, ids[c.ID], "new", time.Now())
					wantCode(t, err, hookline.CodeNotFound, "")
					wantCode(t, cs.DeleteApp(ctx, sc.Scope, ids[c.ID]), hookline.CodeNotFound, "")
				}
			}
		}
		one, err := cs.FindApps(ctx, hookline.AppFilter{Scope: all, CompanyID: f.A2.ID})
		if err != nil || len(one) != 1 || one[0].ID != ids[f.A2.ID] {
			t.Fatalf("apps of A2 = %v, %v", one, err)
		}
		page, err := cs.FindApps(ctx, hookline.AppFilter{Scope: all, After: a.ID, Limit: 2})
		if err != nil || len(page) != 2 || page[0].ID <= a.ID || page[1].ID <= page[0].ID {
			t.Fatalf("page = %v, %v", page, err)
		}
	})

	t.Run("Rotate", func(t *testing.T) {
		until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Microsecond)
		rotated, err := cs.RotateAppSecret(ctx, hookline.TenantScope(f.A1), a.ID, "second-secret", until)
		if err != nil || rotated.PreviousUntil == nil || !rotated.PreviousUntil.Equal(until) || rotated.ClientSecret != hookline.SecretMask {
			t.Fatalf("rotated = %+v, %v", rotated, err)
		}
		ch := SampleChannel(f.A1.ID, 7, "Rotating")
		ch.AppID = &a.ID
		if err := cs.CreateChannel(ctx, all, ch, nil); err != nil {
			t.Fatal(err)
		}
		hook, err := cs.FindHookChannel(ctx, 7, ch.ID)
		if err != nil || hook.Secret != "second-secret" || hook.Previous != SampleClientSecret || !hook.PreviousUntil.Equal(until) {
			t.Fatalf("hook = %+v, %v", hook, err)
		}
		if _, err := cs.RotateAppSecret(ctx, all, a.ID, "third-secret", until); err != nil {
			t.Fatal(err)
		}
		hook, err = cs.FindHookChannel(ctx, 7, ch.ID)
		if err != nil || hook.Secret != "third-secret" || hook.Previous != "second-secret" {
			t.Fatalf("after a second rotation: %+v, %v", hook, err)
		}
	})

	t.Run("DeleteInUse", func(t *testing.T) {
		x := SampleApp(f.A1.ID, "Busy")
		if err := cs.CreateApp(ctx, all, x); err != nil {
			t.Fatal(err)
		}
		var chs []*hookline.Channel
		for _, name := range []string{"Site", "Kiosk"} {
			ch := SampleChannel(f.A1.ID, 8, name)
			ch.AppID = &x.ID
			if err := cs.CreateChannel(ctx, all, ch, nil); err != nil {
				t.Fatal(err)
			}
			chs = append(chs, ch)
		}
		err := cs.DeleteApp(ctx, all, x.ID)
		wantCode(t, err, hookline.CodeConflict, "")
		if msg := hookline.ErrorMessage(err); !strings.Contains(msg, `"Site"`) || !strings.Contains(msg, `"Kiosk"`) || !strings.Contains(msg, fmt.Sprint(chs[0].ID)) {
			t.Fatalf("conflict message %q does not name the channels", msg)
		}
		for _, ch := range chs {
			if err := cs.DeleteChannel(ctx, all, ch.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := cs.DeleteApp(ctx, hookline.TenantScope(f.A), x.ID); err != nil {
			t.Fatal(err)
		}
		_, err = cs.FindApp(ctx, all, x.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
		wantCode(t, cs.DeleteApp(ctx, all, x.ID), hookline.CodeNotFound, "")
	})
}

func exerciseChannels(t *testing.T, open Open) {
	ctx := context.Background()
	db, cs := channelStore(t, open)
	f := NewFixture(t, db)
	all := hookline.AdminScope()
	const bot = 41

	// A channel created with a new app gets it in the same transaction.
	app := SampleApp(0, "Web")
	ch := SampleChannel(f.A1.ID, bot, "Web")
	ch.RequireExp = true
	if err := cs.CreateChannel(ctx, hookline.TenantScope(f.A1), ch, app); err != nil {
		t.Fatal(err)
	}
	if ch.ID == 0 || app.ID == 0 || ch.AppID == nil || *ch.AppID != app.ID || app.CompanyID != f.A1.ID || ch.ClientID != app.ClientID {
		t.Fatalf("created channel %+v with app %+v", ch, app)
	}

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := cs.FindChannel(ctx, all, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := ch.Masked()
		if jsonOf(t, got) != jsonOf(t, &want) {
			t.Fatalf("found\n%s\nwant\n%s", jsonOf(t, got), jsonOf(t, &want))
		}
		if got.Approved || !got.Enabled || !got.RequireExp || got.AccessToken != hookline.SecretMask {
			t.Fatalf("found %+v", got)
		}
		withToken, err := cs.FindChannelToken(ctx, f.A1.ID, ch.ID)
		if err != nil || withToken.AccessToken != SampleAccessToken {
			t.Fatalf("with token: %+v, %v", withToken, err)
		}
		_, err = cs.FindChannelToken(ctx, f.A2.ID, ch.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
		hook, err := cs.FindHookChannel(ctx, bot, ch.ID)
		if err != nil || hook.Secret != SampleClientSecret || hook.Previous != "" || hook.ClientID != app.ClientID || hook.AccessToken != hookline.SecretMask {
			t.Fatalf("hook = %+v, %v", hook, err)
		}
		// The bot's first channel answers at id 0; another bot's id does
		// not reach it.
		first, err := cs.FindHookChannel(ctx, bot, 0)
		if err != nil || first.ID != ch.ID {
			t.Fatalf("first = %+v, %v", first, err)
		}
		_, err = cs.FindHookChannel(ctx, bot+1, ch.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
		_, err = cs.FindHookChannel(ctx, bot+1, 0)
		wantCode(t, err, hookline.CodeNotFound, "")
	})

	t.Run("Invalid", func(t *testing.T) {
		dup := SampleChannel(f.A1.ID, bot, "Web")
		wantCode(t, cs.CreateChannel(ctx, all, dup, nil), hookline.CodeConflict, "name")
		// The same name on another bot is fine.
		if err := cs.CreateChannel(ctx, all, SampleChannel(f.A1.ID, bot+1, "Web"), nil); err != nil {
			t.Fatal(err)
		}
		// An app of another company is not found; nothing is written.
		other := SampleApp(f.A2.ID, "Other")
		if err := cs.CreateApp(ctx, all, other); err != nil {
			t.Fatal(err)
		}
		foreign := SampleChannel(f.A1.ID, bot, "Foreign")
		foreign.AppID = &other.ID
		wantCode(t, cs.CreateChannel(ctx, all, foreign, nil), hookline.CodeNotFound, "app_id")
		wantCode(t, cs.CreateChannel(ctx, hookline.TenantScope(f.B), SampleChannel(f.A1.ID, bot, "Out"), nil), hookline.CodeNotFound, "company_id")
		// A failing channel leaves no app behind.
		before, _ := cs.FindApps(ctx, hookline.AppFilter{Scope: all})
		wantCode(t, cs.CreateChannel(ctx, all, SampleChannel(f.A1.ID, bot, "Web"), SampleApp(0, "Orphan")), hookline.CodeConflict, "name")
		after, _ := cs.FindApps(ctx, hookline.AppFilter{Scope: all})
		if len(after) != len(before) {
			t.Fatalf("a refused channel left an app: %d apps, were %d", len(after), len(before))
		}
	})

	t.Run("Update", func(t *testing.T) {
		other := SampleApp(f.A1.ID, "Second")
		if err := cs.CreateApp(ctx, all, other); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		var seen hookline.Channel
		got, err := cs.UpdateChannel(ctx, hookline.TenantScope(f.A), ch.ID, func(c *hookline.Channel) error {
			seen = *c
			c.Name, c.AppID, c.Mode, c.PostURL, c.ApprovedAt, c.Enabled = "Web 2", &other.ID, hookline.ChannelSync, "", &now, false
			c.CompanyID, c.BotID = f.B1.ID, 99 // ignored: a channel stays with its bot
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen.AccessToken != hookline.SecretMask {
			t.Fatalf("the update saw the token %q", seen.AccessToken)
		}
		if got.Name != "Web 2" || *got.AppID != other.ID || got.ClientID != other.ClientID || !got.Approved || got.Enabled || got.CompanyID != f.A1.ID || got.BotID != bot {
			t.Fatalf("updated = %+v", got)
		}
		found, err := cs.FindChannel(ctx, all, ch.ID)
		if err != nil || jsonOf(t, found) != jsonOf(t, got) {
			t.Fatalf("found\n%s\nreturned\n%s (%v)", jsonOf(t, found), jsonOf(t, got), err)
		}
		// The masked token was kept.
		if withToken, _ := cs.FindChannelToken(ctx, f.A1.ID, ch.ID); withToken.AccessToken != SampleAccessToken {
			t.Fatalf("token after update = %q", withToken.AccessToken)
		}
		_, err = cs.UpdateChannel(ctx, all, ch.ID, func(c *hookline.Channel) error {
			c.AccessToken, c.AppID = "fresh", nil
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		withToken, _ := cs.FindChannelToken(ctx, f.A1.ID, ch.ID)
		if withToken.AccessToken != "fresh" || withToken.AppID != nil || withToken.ClientID != "" {
			t.Fatalf("after a new token and no app: %+v", withToken)
		}
		foreign := SampleApp(f.B1.ID, "Foreign")
		if err := cs.CreateApp(ctx, all, foreign); err != nil {
			t.Fatal(err)
		}
		_, err = cs.UpdateChannel(ctx, all, ch.ID, func(c *hookline.Channel) error { c.AppID = &foreign.ID; return nil })
		wantCode(t, err, hookline.CodeNotFound, "app_id")
		_, err = cs.UpdateChannel(ctx, hookline.TenantScope(f.B), ch.ID, func(c *hookline.Channel) error { return nil })
		wantCode(t, err, hookline.CodeNotFound, "")
		// A refused change writes nothing.
		_, err = cs.UpdateChannel(ctx, all, ch.ID, func(c *hookline.Channel) error {
			c.Name = "changed"
			return hookline.Invalid("mode", "no")
		})
		wantCode(t, err, hookline.CodeInvalid, "mode")
		if found, _ := cs.FindChannel(ctx, all, ch.ID); found.Name != "Web 2" {
			t.Fatalf("a refused change renamed it to %q", found.Name)
		}
		dup := SampleChannel(f.A1.ID, bot, "Taken")
		if err := cs.CreateChannel(ctx, all, dup, nil); err != nil {
			t.Fatal(err)
		}
		_, err = cs.UpdateChannel(ctx, all, dup.ID, func(c *hookline.Channel) error { c.Name = "Web 2"; return nil })
		wantCode(t, err, hookline.CodeConflict, "name")
	})

	t.Run("ListAndScopes", func(t *testing.T) {
		ids := map[int64]int64{}
		for _, c := range f.Companies() {
			x := SampleChannel(c.ID, 500+c.ID, "Scoped")
			if err := cs.CreateChannel(ctx, all, x, nil); err != nil {
				t.Fatal(err)
			}
			ids[c.ID] = x.ID
		}
		for _, sc := range f.Scopes() {
			list, err := cs.FindChannels(ctx, hookline.ChannelFilter{Scope: sc.Scope})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int64]bool{}
			for _, x := range list {
				seen[x.CompanyID] = true
				if x.AccessToken != "" && x.AccessToken != hookline.SecretMask {
					t.Fatalf("listed token %q", x.AccessToken)
				}
			}
			for _, c := range f.Companies() {
				sees := false
				for _, v := range sc.Companies {
					sees = sees || v.ID == c.ID
				}
				if seen[c.ID] != sees {
					t.Fatalf("%s: lists %s's channels = %v, want %v", sc.Name, c.Name, seen[c.ID], sees)
				}
				if !sees {
					_, err := cs.FindChannel(ctx, sc.Scope, ids[c.ID])
					wantCode(t, err, hookline.CodeNotFound, "")
					wantCode(t, cs.DeleteChannel(ctx, sc.Scope, ids[c.ID]), hookline.CodeNotFound, "")
				}
			}
		}
		var paged []int64
		after := int64(0)
		for {
			page, err := cs.FindChannels(ctx, hookline.ChannelFilter{Scope: all, BotID: bot, After: after, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if page[0].BotID != bot {
				t.Fatalf("bot filter let through %+v", page[0])
			}
			paged = append(paged, page[0].ID)
			after = page[0].ID
		}
		if len(paged) != 2 || paged[0] != ch.ID {
			t.Fatalf("bot %d's channels paged: %v", bot, paged)
		}
	})

	t.Run("Import", func(t *testing.T) {
		chs := []*hookline.Channel{SampleChannel(f.S.ID, 77, "One"), SampleChannel(f.S.ID, 77, "Two")}
		chs[1].AccessToken = ""
		if err := cs.CreateChannels(ctx, chs); err != nil {
			t.Fatal(err)
		}
		if chs[0].ID == 0 || chs[1].ID <= chs[0].ID {
			t.Fatalf("imported %+v", chs)
		}
		// All or nothing: the duplicate of the second refuses the first.
		bad := []*hookline.Channel{SampleChannel(f.S.ID, 77, "Three"), SampleChannel(f.S.ID, 77, "One")}
		wantCode(t, cs.CreateChannels(ctx, bad), hookline.CodeConflict, "channels[1].name")
		list, _ := cs.FindChannels(ctx, hookline.ChannelFilter{Scope: all, BotID: 77})
		if len(list) != 2 {
			t.Fatalf("after a refused import bot 77 has %d channels", len(list))
		}
	})

	t.Run("Delete", func(t *testing.T) {
		x := SampleChannel(f.A2.ID, 61, "Gone")
		if err := cs.CreateChannel(ctx, all, x, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.ClaimHookKey(ctx, x.ID, "k", []byte("h"), hookline.HookKeyWindow, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := cs.DeleteChannel(ctx, hookline.TenantScope(f.A2), x.ID); err != nil {
			t.Fatal(err)
		}
		_, err := cs.FindChannel(ctx, all, x.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
		_, err = cs.FindHookChannel(ctx, 61, 0)
		wantCode(t, err, hookline.CodeNotFound, "")
	})

	// The operator's list of channels waiting for approval: across bots,
	// within the scope, by id, the approved ones left out (and the other
	// way round).
	t.Run("Approval", func(t *testing.T) {
		var mine []*hookline.Channel
		for i, c := range []*hookline.Tenant{f.A1, f.A1, f.A2, f.S} {
			x := SampleChannel(c.ID, 90+int64(i), "Waiting")
			if err := cs.CreateChannel(ctx, all, x, nil); err != nil {
				t.Fatal(err)
			}
			mine = append(mine, x)
		}
		now := time.Now().UTC()
		if _, err := cs.UpdateChannel(ctx, all, mine[1].ID, func(c *hookline.Channel) error { c.ApprovedAt = &now; return nil }); err != nil {
			t.Fatal(err)
		}
		ids := func(scope hookline.Scope, approved bool, limit int) []int64 {
			t.Helper()
			var out []int64
			after := int64(0)
			for {
				list, err := cs.FindChannels(ctx, hookline.ChannelFilter{Scope: scope, Approved: &approved, After: after, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range list {
					if x.Approved != approved || (x.ApprovedAt != nil) != approved {
						t.Fatalf("approved=%v listed %+v", approved, x)
					}
					if x.ID >= mine[0].ID {
						out = append(out, x.ID)
					}
				}
				if len(list) < limit {
					return out
				}
				after = list[len(list)-1].ID
			}
		}
		if got := ids(all, false, 1); !slices.Equal(got, []int64{mine[0].ID, mine[2].ID, mine[3].ID}) {
			t.Fatalf("waiting, paged one by one: %v, want %d, %d, %d", got, mine[0].ID, mine[2].ID, mine[3].ID)
		}
		if got := ids(all, true, 50); !slices.Equal(got, []int64{mine[1].ID}) {
			t.Fatalf("approved: %v, want %d", got, mine[1].ID)
		}
		if got := ids(hookline.TenantScope(f.A1), false, 50); !slices.Equal(got, []int64{mine[0].ID}) {
			t.Fatalf("waiting in %s: %v, want %d", f.A1.Name, got, mine[0].ID)
		}
		if got := ids(hookline.TenantScope(f.B), false, 50); len(got) != 0 {
			t.Fatalf("waiting in %s: %v, want none", f.B.Name, got)
		}
	})
}

func exerciseHookKeys(t *testing.T, open Open) {
	ctx := context.Background()
	const day = hookline.HookKeyWindow
	db, cs := channelStore(t, open)
	f := NewFixture(t, db)
	ch := SampleChannel(f.A1.ID, 3, "Keys")
	other := SampleChannel(f.A1.ID, 3, "Other")
	for _, c := range []*hookline.Channel{ch, other} {
		if err := cs.CreateChannel(ctx, hookline.AdminScope(), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	hash := []byte("hash-1")
	got, err := cs.ClaimHookKey(ctx, ch.ID, "key-1", hash, day, time.Minute)
	if err != nil || got != nil {
		t.Fatalf("first claim = %+v, %v", got, err)
	}
	// While the first call runs, a repeat is refused, whatever its body.
	_, err = cs.ClaimHookKey(ctx, ch.ID, "key-1", hash, day, time.Minute)
	wantCode(t, err, hookline.CodeConflict, "Idempotency-Key")
	// The same key on another channel is another key.
	if got, err := cs.ClaimHookKey(ctx, other.ID, "key-1", hash, day, time.Minute); err != nil || got != nil {
		t.Fatalf("other channel's claim = %+v, %v", got, err)
	}
	answer := &hookline.HookAnswer{Text: []json.RawMessage{json.RawMessage(`"Hello"`), json.RawMessage(`{"type":"template","payload":{"n":1}}`)}}
	if err := cs.SaveHookAnswer(ctx, ch.ID, "key-1", answer); err != nil {
		t.Fatal(err)
	}
	got, err = cs.ClaimHookKey(ctx, ch.ID, "key-1", hash, day, time.Minute)
	if err != nil || got == nil || got.Async || len(got.Text) != 2 || string(got.Text[1]) != `{"type":"template","payload":{"n":1}}` {
		t.Fatalf("repeat = %+v, %v", got, err)
	}
	_, err = cs.ClaimHookKey(ctx, ch.ID, "key-1", []byte("hash-2"), day, time.Minute)
	wantCode(t, err, hookline.CodeConflict, "Idempotency-Key")

	// An async answer is stored as such.
	if _, err := cs.ClaimHookKey(ctx, ch.ID, "key-async", hash, day, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := cs.SaveHookAnswer(ctx, ch.ID, "key-async", &hookline.HookAnswer{Async: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := cs.ClaimHookKey(ctx, ch.ID, "key-async", hash, day, time.Minute); err != nil || got == nil || !got.Async || got.Text != nil {
		t.Fatalf("async repeat = %+v, %v", got, err)
	}

	// A released claim (the call failed) can be claimed again; a
	// released answer stays.
	if _, err := cs.ClaimHookKey(ctx, ch.ID, "key-2", hash, day, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := cs.ReleaseHookKey(ctx, ch.ID, "key-2"); err != nil {
		t.Fatal(err)
	}
	if got, err := cs.ClaimHookKey(ctx, ch.ID, "key-2", hash, day, time.Minute); err != nil || got != nil {
		t.Fatalf("claim after release = %+v, %v", got, err)
	}
	if err := cs.ReleaseHookKey(ctx, ch.ID, "key-1"); err != nil {
		t.Fatal(err)
	}
	if got, err := cs.ClaimHookKey(ctx, ch.ID, "key-1", hash, day, time.Minute); err != nil || got == nil {
		t.Fatalf("an answered key was released: %+v, %v", got, err)
	}

	// A claim running for longer than stale is taken over: its call died.
	if got, err := cs.ClaimHookKey(ctx, ch.ID, "key-2", hash, day, -time.Second); err != nil || got != nil {
		t.Fatalf("stale claim = %+v, %v", got, err)
	}

	// Past the window every key of the channel is forgotten, answered or
	// not, and the key is claimed anew.
	if got, err := cs.ClaimHookKey(ctx, ch.ID, "key-1", hash, -time.Second, time.Minute); err != nil || got != nil {
		t.Fatalf("claim past the window = %+v, %v", got, err)
	}
	// Another channel's keys are its own: its claim of key-1 still runs.
	_, err = cs.ClaimHookKey(ctx, other.ID, "key-1", hash, day, time.Minute)
	wantCode(t, err, hookline.CodeConflict, "Idempotency-Key")

	// Concurrent claims of one key: exactly one wins.
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			got, err := cs.ClaimHookKey(ctx, ch.ID, "key-race", hash, day, time.Minute)
			if err == nil && got != nil {
				err = fmt.Errorf("a claim found an answer")
			}
			results <- err
		})
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch hookline.ErrorCode(err) {
		case "":
			won++
		case hookline.CodeConflict:
		default:
			t.Fatalf("concurrent claim: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent claims of one key won, want 1", won)
	}
}
