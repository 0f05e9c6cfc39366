package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// pages reads a listing page by page with the given limit and returns the
// ids in the order served and the number of pages.
func pages(t *testing.T, e *testEnv, path, key, listKey string, limit string) (ids []int64, n int) {
	t.Helper()
	cursor := ""
	for n = 1; n < 100; n++ {
		q := url.Values{"limit": {limit}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		body := want(t, e.do("GET", path+"?"+q.Encode(), key, nil), http.StatusOK).json(t)
		for _, item := range body[listKey].([]any) {
			ids = append(ids, int64(item.(map[string]any)["id"].(float64)))
		}
		next, present := body["next_cursor"]
		if !present {
			t.Fatalf("%s: no next_cursor member", path)
		}
		if next == nil {
			return ids, n
		}
		cursor = next.(string)
	}
	t.Fatalf("%s: paging did not end", path)
	return nil, n
}

// TestPagination: every listing pages by id with cursors, nothing skipped
// or repeated; limit is 1 to 500 and a bad cursor is a 400.
func TestPagination(t *testing.T) {
	e := newTestEnv(t, 0)
	cid := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	key, _ := e.createKey(testAdminToken, cid)
	rc := newTicketReceiver(t)
	var made []int64
	for _, name := range []string{"a<1>", "b", "c", "d", "e"} {
		r := want(t, e.do("POST", "/api/v1/webhooks", key, with(seedWebhook(rc.URL), "name", name)), http.StatusCreated)
		made = append(made, int64(r.json(t)["id"].(float64)))
	}
	got, n := pages(t, e, "/api/v1/webhooks", key, "webhooks", "2")
	if len(got) != 5 || n != 3 {
		t.Fatalf("webhooks by 2: %v in %d pages", got, n)
	}
	for i := range got {
		if got[i] != made[i] {
			t.Fatalf("webhooks by 2: %v, want %v", got, made)
		}
	}
	// The default page holds them all and says it is the last; the items
	// come first, written as GET writes one webhook (no HTML escapes).
	page := want(t, e.do("GET", "/api/v1/webhooks", key, nil), http.StatusOK)
	if !strings.HasPrefix(string(page.raw), `{"webhooks":[`) || !strings.Contains(string(page.raw), `"next_cursor":null}`) || !strings.Contains(string(page.raw), `"a<1>"`) {
		t.Fatalf("page: %.200s", page.raw)
	}
	body := page.json(t)
	if len(body["webhooks"].([]any)) != 5 || body["next_cursor"] != nil {
		t.Fatalf("default page: %v", body)
	}
	// Built-in templates come first, then the stored ones, across pages.
	for _, name := range []string{"T1", "T2"} {
		want(t, e.do("POST", "/api/v1/webhook-templates", key, map[string]any{"name": name, "from_webhook_id": made[0]}), http.StatusCreated)
	}
	tpl, _ := pages(t, e, "/api/v1/webhook-templates", key, "templates", "4")
	if len(tpl) != 8 || tpl[0] != -1 || tpl[5] != -6 || tpl[6] <= 0 || tpl[7] <= tpl[6] {
		t.Fatalf("templates by 4: %v", tpl)
	}
	e.createKey(testAdminToken, cid)
	if ks, n := pages(t, e, "/api/v1/tenants/"+itoa(cid)+"/keys", key, "keys", "1"); len(ks) != 2 || n != 2 {
		t.Fatalf("keys by 1: %v in %d pages", ks, n)
	}
	e.createTenant(testAdminToken, "Other", hookline.KindCompany, 0)
	if ts, _ := pages(t, e, "/api/v1/tenants", testAdminToken, "tenants", "1"); len(ts) != 2 {
		t.Fatalf("tenants by 1: %v", ts)
	}

	for _, bad := range []string{"limit=0", "limit=501", "limit=x", "limit=-3"} {
		if f := want(t, e.do("GET", "/api/v1/webhooks?"+bad, key, nil), http.StatusBadRequest).apiError(t).Field; f != "limit" {
			t.Errorf("%s: field %q", bad, f)
		}
	}
	for _, bad := range []string{"cursor=nonsense", "cursor=" + hookline.EncodeCursor(1) + "x"} {
		if f := want(t, e.do("GET", "/api/v1/webhooks?"+bad, key, nil), http.StatusBadRequest).apiError(t).Field; f != "cursor" {
			t.Errorf("%s: field %q", bad, f)
		}
	}
	// A cursor among the built-ins that names none of them is refused.
	if f := want(t, e.do("GET", "/api/v1/webhook-templates?cursor="+hookline.EncodeCursor(-99), key, nil), http.StatusBadRequest).apiError(t).Field; f != "cursor" {
		t.Errorf("unknown built-in cursor: field %q", f)
	}
}
