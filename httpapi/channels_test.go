package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// TestApps walks the apps' routes: the secret shown once and masked after,
// paging, scoping, rotation, and an app in use refused with its channels
// named.
func TestApps(t *testing.T) {
	e := newTestEnv(t, 0)
	agency := e.createTenant(testAdminToken, "Agency", hookline.KindAgency, 0)
	shop := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, agency)
	other := e.createTenant(testAdminToken, "Other", hookline.KindCompany, 0)
	agencyKey, _ := e.createKey(testAdminToken, agency)
	shopKey, _ := e.createKey(testAdminToken, shop)
	otherKey, _ := e.createKey(testAdminToken, other)

	if d := want(t, e.do("POST", "/api/v1/apps", agencyKey, `{"name": "Web"}`), http.StatusBadRequest).apiError(t); d.Field != "company_id" {
		t.Fatalf("agency without company_id: %+v", d)
	}
	if d := want(t, e.do("POST", "/api/v1/apps", shopKey, `{}`), http.StatusBadRequest).apiError(t); d.Field != "name" {
		t.Fatalf("no name: %+v", d)
	}
	if d := want(t, e.do("POST", "/api/v1/apps", shopKey, `{"name": "Web", "secret": "mine"}`), http.StatusBadRequest).apiError(t); d.Field != "secret" {
		t.Fatalf("unknown field: %+v", d)
	}
	r := want(t, e.do("POST", "/api/v1/apps", shopKey, `{"name": "Web"}`), http.StatusCreated)
	created := r.json(t)
	secret, _ := created["client_secret"].(string)
	id := int64(created["id"].(float64))
	if len(secret) < 40 || !strings.HasPrefix(created["client_id"].(string), "app-") || r.header.Get("Location") != fmt.Sprintf("/api/v1/apps/%d", id) {
		t.Fatalf("created %v, Location %q", created, r.header.Get("Location"))
	}
	for i := range 2 {
		want(t, e.do("POST", "/api/v1/apps", agencyKey, fmt.Sprintf(`{"name": "More %d", "company_id": %d}`, i, shop)), http.StatusCreated)
	}
	got := want(t, e.do("GET", fmt.Sprintf("/api/v1/apps/%d", id), shopKey, nil), http.StatusOK).json(t)
	if got["client_secret"] != hookline.SecretMask || got["client_id"] != created["client_id"] || got["company_id"] != float64(shop) {
		t.Fatalf("got %v", got)
	}
	want(t, e.do("GET", fmt.Sprintf("/api/v1/apps/%d", id), otherKey, nil), http.StatusNotFound)
	page := want(t, e.do("GET", "/api/v1/apps?limit=2", agencyKey, nil), http.StatusOK).json(t)
	if len(page["apps"].([]any)) != 2 || page["next_cursor"] == nil {
		t.Fatalf("first page %v", page)
	}
	page = want(t, e.do("GET", "/api/v1/apps?limit=2&cursor="+page["next_cursor"].(string), agencyKey, nil), http.StatusOK).json(t)
	if len(page["apps"].([]any)) != 1 || page["next_cursor"] != nil {
		t.Fatalf("second page %v", page)
	}
	if list := want(t, e.do("GET", "/api/v1/apps", otherKey, nil), http.StatusOK).json(t)["apps"].([]any); len(list) != 0 {
		t.Fatalf("another company sees %v", list)
	}
	want(t, e.do("GET", fmt.Sprintf("/api/v1/apps?company_id=%d", shop), otherKey, nil), http.StatusNotFound)

	rotated := want(t, e.do("POST", fmt.Sprintf("/api/v1/apps/%d/rotate-secret", id), shopKey, nil), http.StatusOK).json(t)
	if s, _ := rotated["client_secret"].(string); s == secret || len(s) < 40 || rotated["previous_secret_valid_until"] == nil {
		t.Fatalf("rotated %v", rotated)
	}
	want(t, e.do("POST", fmt.Sprintf("/api/v1/apps/%d/rotate-secret", id), otherKey, nil), http.StatusNotFound)

	bot := e.bots.Add(&hookline.Tenant{ID: shop, Kind: hookline.KindCompany, AgencyID: agency})
	want(t, e.do("POST", fmt.Sprintf("/api/v1/bots/%d/channels", bot), shopKey, fmt.Sprintf(`{"type": "webhook", "name": "Site", "app_id": %d}`, id)), http.StatusCreated)
	d := want(t, e.do("DELETE", fmt.Sprintf("/api/v1/apps/%d", id), shopKey, nil), http.StatusConflict).apiError(t)
	if !strings.Contains(d.Message, `"Site"`) {
		t.Fatalf("409 %q does not name the channel", d.Message)
	}
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/apps/%d", id+1), otherKey, nil), http.StatusNotFound)
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/apps/%d", id+1), shopKey, nil), http.StatusNoContent)

	for _, s := range []string{secret, rotated["client_secret"].(string)} {
		if strings.Contains(e.logs.String(), s) {
			t.Fatal("a client secret reached the logs")
		}
	}
}

// TestChannels walks the channels' routes: creation with and without an
// app, the fields of the answer, approval by admin keys only, enable and
// disable, PATCH, paging and deletion.
func TestChannels(t *testing.T) {
	e := newTestEnv(t, 0)
	shop := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	other := e.createTenant(testAdminToken, "Other", hookline.KindCompany, 0)
	shopKey, _ := e.createKey(testAdminToken, shop)
	otherKey, _ := e.createKey(testAdminToken, other)
	bot := e.bots.Add(&hookline.Tenant{ID: shop, Kind: hookline.KindCompany})
	path := fmt.Sprintf("/api/v1/bots/%d/channels", bot)

	for _, tc := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"async without post_url", `{"type": "webhook", "name": "CRM", "mode": "async"}`, 400, "post_url"},
		{"another type", `{"type": "sms", "name": "x"}`, 400, "type"},
		{"a mode of the wrong type", `{"type": "webhook", "name": "x", "mode": 1}`, 400, "mode"},
		{"an unknown field", `{"type": "webhook", "name": "x", "client_secret": "mine"}`, 400, "client_secret"},
		{"no name", `{"type": "webhook"}`, 400, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := want(t, e.do("POST", path, shopKey, tc.body), tc.status).apiError(t); d.Field != tc.field {
				t.Fatalf("error %+v, want field %q", d, tc.field)
			}
		})
	}
	want(t, e.do("POST", path, otherKey, `{"type": "webhook", "name": "x"}`), http.StatusNotFound)
	want(t, e.do("POST", "/api/v1/bots/99999/channels", shopKey, `{"type": "webhook", "name": "x"}`), http.StatusNotFound)

	r := want(t, e.do("POST", path, shopKey, `{"type": "webhook", "name": "CRM", "mode": "async", "post_url": "https://crm.example.com/answers", "access_token": "at-crm-777"}`), http.StatusCreated)
	ch := r.json(t)
	id := int64(ch["id"].(float64))
	for _, k := range []string{"id", "app_id", "client_id", "client_secret", "url", "approved", "enabled"} {
		if _, ok := ch[k]; !ok {
			t.Fatalf("the answer lacks %q: %v", k, ch)
		}
	}
	if ch["approved"] != false || ch["enabled"] != true || ch["access_token"] != hookline.SecretMask ||
		ch["url"] != fmt.Sprintf("https://hooks.example.com/chatbot/hooks/%d/hookInstance/%d", bot, id) || r.header.Get("Location") != fmt.Sprintf("/api/v1/channels/%d", id) {
		t.Fatalf("created %v", ch)
	}
	appID := int64(ch["app_id"].(float64))
	app := want(t, e.do("GET", fmt.Sprintf("/api/v1/apps/%d", appID), shopKey, nil), http.StatusOK).json(t)
	if app["name"] != "CRM" || app["client_id"] != ch["client_id"] {
		t.Fatalf("the channel's app %v", app)
	}
	second := want(t, e.do("POST", path, shopKey, fmt.Sprintf(`{"type": "webhook", "name": "Site", "app_id": %d}`, appID)), http.StatusCreated).json(t)
	if _, has := second["client_secret"]; has || second["client_id"] != ch["client_id"] || second["mode"] != "sync" {
		t.Fatalf("second channel %v", second)
	}
	foreignApp := want(t, e.do("POST", "/api/v1/apps", otherKey, `{"name": "Theirs"}`), http.StatusCreated).json(t)
	if d := want(t, e.do("POST", path, shopKey, fmt.Sprintf(`{"type": "webhook", "name": "X", "app_id": %v}`, foreignApp["id"])), http.StatusNotFound).apiError(t); d.Field != "app_id" {
		t.Fatalf("another company's app: %+v", d)
	}

	chPath := fmt.Sprintf("/api/v1/channels/%d", id)
	got := want(t, e.do("GET", chPath, shopKey, nil), http.StatusOK).json(t)
	if got["access_token"] != hookline.SecretMask || got["client_secret"] != nil {
		t.Fatalf("got %v", got)
	}
	want(t, e.do("GET", chPath, otherKey, nil), http.StatusNotFound)
	page := want(t, e.do("GET", path+"?limit=1", shopKey, nil), http.StatusOK).json(t)
	if items := page["channels"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != float64(id) || page["next_cursor"] == nil {
		t.Fatalf("first page %v", page)
	}
	page = want(t, e.do("GET", path+"?limit=1&cursor="+page["next_cursor"].(string), shopKey, nil), http.StatusOK).json(t)
	if items := page["channels"].([]any); len(items) != 1 || page["next_cursor"] != nil {
		t.Fatalf("second page %v", page)
	}
	want(t, e.do("GET", path, otherKey, nil), http.StatusNotFound)

	// The operator's list of channels waiting for approval holds both of
	// the shop's; the other company's key sees none of them.
	waiting := func(key string) []any {
		t.Helper()
		return want(t, e.do("GET", "/api/v1/channels?approved=false", key, nil), http.StatusOK).json(t)["channels"].([]any)
	}
	if w := waiting(testAdminToken); len(w) != 2 || w[0].(map[string]any)["id"] != float64(id) || w[0].(map[string]any)["access_token"] != hookline.SecretMask {
		t.Fatalf("waiting for approval: %v", w)
	}
	if w := waiting(otherKey); len(w) != 0 {
		t.Fatalf("another company sees the shop's channels waiting: %v", w)
	}
	if d := want(t, e.do("GET", "/api/v1/channels?approved=maybe", testAdminToken, nil), http.StatusBadRequest).apiError(t); d.Field != "approved" {
		t.Fatalf("approved=maybe: %+v", d)
	}

	// Approval is the operator's.
	for _, key := range []string{shopKey, otherKey} {
		if d := want(t, e.do("POST", chPath+"/approve", key, nil), http.StatusForbidden).apiError(t); d.Code != "forbidden" {
			t.Fatalf("approve with a tenant key: %+v", d)
		}
	}
	approved := want(t, e.do("POST", chPath+"/approve", testAdminToken, nil), http.StatusOK).json(t)
	if approved["approved"] != true || approved["approved_at"] == nil {
		t.Fatalf("approved %v", approved)
	}
	if w := waiting(testAdminToken); len(w) != 1 || w[0].(map[string]any)["id"] == float64(id) {
		t.Fatalf("waiting after the approval: %v", w)
	}
	if all := want(t, e.do("GET", "/api/v1/channels?approved=true", shopKey, nil), http.StatusOK).json(t)["channels"].([]any); len(all) != 1 || all[0].(map[string]any)["id"] != float64(id) {
		t.Fatalf("approved channels: %v", all)
	}
	if off := want(t, e.do("POST", chPath+"/disable", shopKey, `{}`), http.StatusOK).json(t); off["enabled"] != false {
		t.Fatalf("disabled %v", off)
	}
	want(t, e.do("POST", chPath+"/enable", otherKey, nil), http.StatusNotFound)
	if on := want(t, e.do("POST", chPath+"/enable", shopKey, nil), http.StatusOK).json(t); on["enabled"] != true {
		t.Fatalf("enabled %v", on)
	}

	if d := want(t, e.do("PATCH", chPath, shopKey, `{"post_url": ""}`), http.StatusBadRequest).apiError(t); d.Field != "post_url" {
		t.Fatalf("async without post_url: %+v", d)
	}
	if d := want(t, e.do("PATCH", chPath, shopKey, `{"approved": true}`), http.StatusBadRequest).apiError(t); d.Field != "approved" {
		t.Fatalf("PATCH approved: %+v", d)
	}
	patched := want(t, e.do("PATCH", chPath, shopKey, `{"mode": "sync", "post_url": "", "access_token": "", "require_exp": true}`), http.StatusOK).json(t)
	if patched["mode"] != "sync" || patched["require_exp"] != true || patched["approved"] != true {
		t.Fatalf("patched %v", patched)
	}
	if _, has := patched["access_token"]; has {
		t.Fatalf("a removed token still shows: %v", patched)
	}
	want(t, e.do("PATCH", chPath, otherKey, `{"name": "x"}`), http.StatusNotFound)
	want(t, e.do("DELETE", chPath, otherKey, nil), http.StatusNotFound)
	want(t, e.do("DELETE", chPath, shopKey, nil), http.StatusNoContent)
	want(t, e.do("GET", chPath, shopKey, nil), http.StatusNotFound)
	if strings.Contains(e.logs.String(), "at-crm-777") {
		t.Fatal("the access token reached the logs")
	}
	if !slices.Contains(e.api.Patterns(), "POST /api/v1/channels/{id}/approve") {
		t.Fatal("the approve route is not registered")
	}
}
