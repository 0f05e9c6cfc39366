package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/channel"
	"github.com/hookline/hookline/channel/channeltest"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
	"github.com/hookline/hookline/webhook"
)

const testAdminToken = "test-admin-token-0123456789"

// testEnv is a real API on a real SQLite store in a temp dir, served over
// loopback HTTP.
type testEnv struct {
	t    *testing.T
	db   *sqlstore.DB
	api  *Server
	srv  *httptest.Server
	logs *syncBuffer
	// bots are the bots channels may be added to (the bot service's own
	// come with the bot runtime).
	bots *channeltest.Bots
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestEnv(t *testing.T, maxBody int64) *testEnv {
	t.Helper()
	return newTestEnvAllowing(t, maxBody, loopback)
}

// newTestEnvAllowing is newTestEnv whose egress guard opens allow only.
func newTestEnvAllowing(t *testing.T, maxBody int64, allow []netip.Prefix) *testEnv {
	t.Helper()
	db := storetest.SQLite(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tenants := tenant.NewService(db, db, testAdminToken)
	store, exec := webhookServices(t, db, allow)
	webhooks, err := webhook.NewService(tenants, store, store, exec)
	if err != nil {
		t.Fatal(err)
	}
	// The webhook channels, for bots the test makes (see testEnv.bot).
	bots := &channeltest.Bots{}
	channels := channel.NewService(channel.Config{Tenants: tenants, Store: sqlstore.NewChannelStore(db, storetest.Sealer(t)),
		Bots: bots, Runtime: &channeltest.Runtime{}, PublicURL: "https://hooks.example.com"})
	chats := integrationService(t, db, tenants, exec)
	api, err := New(Config{
		Tenants: tenants, Keys: tenants, Ready: db.Ping,
		Webhooks: webhooks, Templates: webhooks,
		Apps: channels, Channels: channels,
		Integrations: chats, Connections: chats, Campaigns: chats,
		MaxBodyBytes: maxBody,
		Logger:       log,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The API as cmd/hookline mounts it: request ids, logs and recovery
	// come from the edge.
	handler, err := edge.New(log, api.Mount())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &testEnv{t: t, db: db, api: api, srv: srv, logs: logs, bots: bots}
}

type response struct {
	status int
	header http.Header
	raw    []byte
}

// json decodes the body into a generic value.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.raw, &v); err != nil {
		t.Fatalf("response body %q is not a JSON object: %v", r.raw, err)
	}
	return v
}

// apiError decodes the standard error body, failing the test on any other
// shape.
func (r response) apiError(t *testing.T) errorDetail {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.raw))
	dec.DisallowUnknownFields()
	var body errorBody
	if err := dec.Decode(&body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("status %d body %q is not the standard error body: %v", r.status, r.raw, err)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type = %q", ct)
	}
	return body.Error
}

// do sends a request; body is sent as is when it is a string or []byte,
// else as JSON; nil sends no body.
func (e *testEnv) do(method, path, key string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.Header.Get("X-Request-Id") == "" {
		e.t.Fatalf("%s %s: response without X-Request-Id", method, path)
	}
	return response{status: res.StatusCode, header: res.Header, raw: raw}
}

// want fails unless the response has the status; it returns the response.
func want(t *testing.T, r response, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

// createTenant creates a tenant through the API and returns its id.
func (e *testEnv) createTenant(key, name string, kind hookline.TenantKind, agency int64) int64 {
	e.t.Helper()
	body := map[string]any{"name": name, "kind": kind}
	if agency != 0 {
		body["agency_id"] = agency
	}
	r := want(e.t, e.do("POST", "/api/v1/tenants", key, body), http.StatusCreated)
	return int64(r.json(e.t)["id"].(float64))
}

// createKey creates a key through the API and returns its secret and id.
func (e *testEnv) createKey(key string, tenant int64) (string, int64) {
	e.t.Helper()
	r := want(e.t, e.do("POST", fmt.Sprintf("/api/v1/tenants/%d/keys", tenant), key, nil), http.StatusCreated)
	v := r.json(e.t)
	return v["key"].(string), int64(v["id"].(float64))
}

func TestTenantLifecycle(t *testing.T) {
	e := newTestEnv(t, 0)
	r := want(t, e.do("POST", "/api/v1/tenants", testAdminToken, `{"name":"Acme","kind":"agency"}`), http.StatusCreated)
	agency := r.json(t)
	if agency["name"] != "Acme" || agency["kind"] != "agency" || agency["id"] == nil || agency["created_at"] == nil {
		t.Fatalf("created agency = %v", agency)
	}
	if _, has := agency["agency_id"]; has {
		t.Fatalf("an agency has agency_id: %v", agency)
	}
	aid := int64(agency["id"].(float64))
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/tenants/%d", aid) {
		t.Fatalf("Location = %q", loc)
	}

	agencyKey, _ := e.createKey(testAdminToken, aid)
	if !strings.HasPrefix(agencyKey, "hl_") || len(agencyKey) != 46 {
		t.Fatalf("key %q: want hl_ and 43 base64url characters", agencyKey)
	}
	// The agency creates its own company; agency_id is implied.
	r = want(t, e.do("POST", "/api/v1/tenants", agencyKey, `{"name":"Shop","kind":"company"}`), http.StatusCreated)
	company := r.json(t)
	if company["agency_id"] != float64(aid) || company["kind"] != "company" {
		t.Fatalf("company created by the agency = %v", company)
	}
	cid := int64(company["id"].(float64))
	companyKey, _ := e.createKey(agencyKey, cid)

	// What each caller sees.
	list := want(t, e.do("GET", "/api/v1/tenants", agencyKey, nil), http.StatusOK).json(t)["tenants"].([]any)
	if len(list) != 2 {
		t.Fatalf("agency sees %v", list)
	}
	list = want(t, e.do("GET", "/api/v1/tenants", companyKey, nil), http.StatusOK).json(t)["tenants"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != float64(cid) {
		t.Fatalf("company sees %v", list)
	}
	list = want(t, e.do("GET", "/api/v1/tenants?kind=company", testAdminToken, nil), http.StatusOK).json(t)["tenants"].([]any)
	if len(list) != 1 {
		t.Fatalf("admin companies = %v", list)
	}
	if d := want(t, e.do("GET", "/api/v1/tenants?kind=person", testAdminToken, nil), http.StatusBadRequest).apiError(t); d.Field != "kind" {
		t.Fatalf("bad kind filter: %+v", d)
	}

	// Rules of creation.
	d := want(t, e.do("POST", "/api/v1/tenants", agencyKey, `{"name":"Sub","kind":"agency"}`), http.StatusForbidden).apiError(t)
	if d.Code != "forbidden" {
		t.Fatalf("agency creating an agency: %+v", d)
	}
	want(t, e.do("POST", "/api/v1/tenants", companyKey, `{"name":"X","kind":"company"}`), http.StatusForbidden)
	other := e.createTenant(testAdminToken, "Other", hookline.KindAgency, 0)
	d = want(t, e.do("POST", "/api/v1/tenants", agencyKey, fmt.Sprintf(`{"name":"X","kind":"company","agency_id":%d}`, other)), http.StatusNotFound).apiError(t)
	if d.Field != "agency_id" || d.Message != fmt.Sprintf("agency %d not found", other) {
		t.Fatalf("agency naming another agency: %+v", d)
	}
	d = want(t, e.do("POST", "/api/v1/tenants", testAdminToken, `{"name":"Shop","kind":"company","agency_id":`+fmt.Sprint(aid)+`}`), http.StatusConflict).apiError(t)
	if d.Code != "conflict" || d.Field != "name" {
		t.Fatalf("duplicate name: %+v", d)
	}
	d = want(t, e.do("POST", "/api/v1/tenants", testAdminToken, `{"name":"X","kind":"company","agency_id":99999}`), http.StatusNotFound).apiError(t)
	if d.Field != "agency_id" {
		t.Fatalf("missing agency: %+v", d)
	}
	// The operator may create a standalone company.
	solo := want(t, e.do("POST", "/api/v1/tenants", testAdminToken, `{"name":"Solo","kind":"company"}`), http.StatusCreated).json(t)
	if _, has := solo["agency_id"]; has {
		t.Fatalf("standalone company = %v", solo)
	}

	// Rename, then delete.
	r = want(t, e.do("PATCH", fmt.Sprintf("/api/v1/tenants/%d", cid), companyKey, `{"name":"Shop 2"}`), http.StatusOK)
	if r.json(t)["name"] != "Shop 2" {
		t.Fatalf("renamed = %s", r.raw)
	}
	if got := want(t, e.do("GET", fmt.Sprintf("/api/v1/tenants/%d", cid), agencyKey, nil), http.StatusOK).json(t); got["name"] != "Shop 2" {
		t.Fatalf("after rename: %v", got)
	}
	d = want(t, e.do("DELETE", fmt.Sprintf("/api/v1/tenants/%d", aid), testAdminToken, nil), http.StatusConflict).apiError(t)
	if !strings.Contains(d.Message, "still has 1 company;") {
		t.Fatalf("deleting an agency with companies: %+v", d)
	}
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/tenants/%d", cid), companyKey, nil), http.StatusForbidden)
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/tenants/%d", cid), agencyKey, nil), http.StatusNoContent)
	// The company's keys went with it.
	want(t, e.do("GET", "/api/v1/tenants", companyKey, nil), http.StatusUnauthorized)
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/tenants/%d", aid), testAdminToken, nil), http.StatusNoContent)
}

func TestKeys(t *testing.T) {
	e := newTestEnv(t, 0)
	a := e.createTenant(testAdminToken, "A", hookline.KindAgency, 0)
	key1, id1 := e.createKey(testAdminToken, a)
	r := want(t, e.do("POST", fmt.Sprintf("/api/v1/tenants/%d/keys", a), key1, "{}"), http.StatusCreated)
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("a new key's response may be cached: %v", r.header)
	}
	created := r.json(t)
	key2 := created["key"].(string)

	list := want(t, e.do("GET", fmt.Sprintf("/api/v1/tenants/%d/keys", a), key2, nil), http.StatusOK)
	if bytes.Contains(list.raw, []byte(key1)) || bytes.Contains(list.raw, []byte(key2)) {
		t.Fatalf("key listing shows secrets: %s", list.raw)
	}
	keys := list.json(t)["keys"].([]any)
	if len(keys) != 2 {
		t.Fatalf("keys = %v", keys)
	}
	first := keys[0].(map[string]any)
	if first["id"] != float64(id1) || !strings.HasPrefix(key1, first["prefix"].(string)) || first["tenant_id"] != float64(a) {
		t.Fatalf("listed key = %v", first)
	}
	if _, has := first["key"]; has {
		t.Fatalf("listed key has its secret: %v", first)
	}

	want(t, e.do("POST", fmt.Sprintf("/api/v1/tenants/%d/keys", a), key1, `{"label":"x"}`), http.StatusBadRequest)
	// Revoke key 1 with key 2: key 1 stops working at once.
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/tenants/%d/keys/%d", a, id1), key2, nil), http.StatusNoContent)
	d := want(t, e.do("GET", "/api/v1/tenants", key1, nil), http.StatusUnauthorized).apiError(t)
	if d.Code != "unauthorized" || d.Message != "invalid or revoked API key" {
		t.Fatalf("revoked key: %+v", d)
	}
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/tenants/%d/keys/%d", a, id1), key2, nil), http.StatusNotFound)
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/tenants/%d/keys/abc", a), key2, nil), http.StatusNotFound)
}

func TestAdminKeys(t *testing.T) {
	e := newTestEnv(t, 0)
	r := want(t, e.do("POST", "/api/v1/admin/keys", testAdminToken, nil), http.StatusCreated)
	created := r.json(t)
	secret, id := created["key"].(string), int64(created["id"].(float64))
	if created["tenant_id"] != float64(0) {
		t.Fatalf("admin key = %v", created)
	}
	// The new key is an admin key: it creates tenants and lists admin keys.
	a := e.createTenant(secret, "A", hookline.KindAgency, 0)
	list := want(t, e.do("GET", "/api/v1/admin/keys", secret, nil), http.StatusOK).json(t)["keys"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != float64(id) {
		t.Fatalf("admin keys = %v", list)
	}
	// Tenant keys may not touch admin keys.
	agencyKey, _ := e.createKey(secret, a)
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/admin/keys"}, {"GET", "/api/v1/admin/keys"}, {"DELETE", fmt.Sprintf("/api/v1/admin/keys/%d", id)},
	} {
		if d := want(t, e.do(c.method, c.path, agencyKey, nil), http.StatusForbidden).apiError(t); d.Code != "forbidden" {
			t.Fatalf("%s %s with an agency key: %+v", c.method, c.path, d)
		}
	}
	// A tenant's key id is no admin key id.
	_, agencyKeyID := e.createKey(secret, a)
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/admin/keys/%d", agencyKeyID), testAdminToken, nil), http.StatusNotFound)
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/admin/keys/%d", id), testAdminToken, nil), http.StatusNoContent)
	want(t, e.do("GET", "/api/v1/tenants", secret, nil), http.StatusUnauthorized)
	want(t, e.do("GET", "/api/v1/tenants", agencyKey, nil), http.StatusOK)
}

func TestAuthentication(t *testing.T) {
	e := newTestEnv(t, 0)
	secret, k := hookline.NewAPIKey(0)
	if err := e.db.CreateKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	// A stored admin key (the generated one) and the configured token both work.
	want(t, e.do("GET", "/api/v1/tenants", secret, nil), http.StatusOK)
	want(t, e.do("GET", "/api/v1/tenants", testAdminToken, nil), http.StatusOK)

	for _, c := range []struct {
		name, header, message string
	}{
		{"none", "", "missing Authorization header"},
		{"basic", "Basic dXNlcjpwYXNz", "must be Bearer"},
		{"empty bearer", "Bearer ", "must be Bearer"},
		{"unknown key", "Bearer hl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "invalid or revoked API key"},
		{"token prefix", "Bearer " + testAdminToken[:10], "invalid or revoked API key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/tenants", nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r := want(t, response{status: res.StatusCode, header: res.Header, raw: raw}, http.StatusUnauthorized)
			d := r.apiError(t)
			if d.Code != "unauthorized" || !strings.Contains(d.Message, c.message) {
				t.Fatalf("error = %+v, want a message with %q", d, c.message)
			}
			if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// Messages are JSON as is, not HTML-escaped.
	if r := e.do("GET", "/api/v1/tenants", "", nil); !bytes.Contains(r.raw, []byte("Bearer <API key>")) {
		t.Fatalf("401 body = %s", r.raw)
	}
	// Every API route needs a key, whatever its method.
	for _, p := range e.api.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		if !strings.HasPrefix(path, "/api/") || path == "/api/v1/openapi.json" {
			continue
		}
		path = strings.NewReplacer("{id}", "1", "{keyId}", "1").Replace(path)
		if r := e.do(method, path, "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("%s without a key: status %d", p, r.status)
		}
	}
	// No secret reaches the log.
	logs := e.logs.String()
	for _, s := range []string{secret, testAdminToken, "Bearer", "Authorization"} {
		if strings.Contains(logs, s) {
			t.Fatalf("the log contains %q:\n%s", s, logs)
		}
	}
}

func TestBadInput(t *testing.T) {
	e := newTestEnv(t, 256)
	post := func(body string) errorDetail {
		t.Helper()
		r := want(t, e.do("POST", "/api/v1/tenants", testAdminToken, body), http.StatusBadRequest)
		d := r.apiError(t)
		if d.Code != "invalid" {
			t.Fatalf("code = %q", d.Code)
		}
		return d
	}
	for _, c := range []struct {
		name, body, field string
		message           string
	}{
		{"malformed", `{"name": "x",}`, "", "malformed JSON at line 1, column 14 (byte offset 13): invalid character '}' looking for beginning of object key string"},
		{"malformed later", "{\"name\": \"x\",\n \"kind\": agency}", "", "malformed JSON at line 2, column 10 (byte offset 23): invalid character 'a' looking for beginning of value"},
		{"truncated", `{"name": "x"`, "", "malformed JSON at line 1, column 13 (byte offset 12): unexpected end of input"},
		{"empty", ``, "", "request body is empty; expected a JSON object"},
		{"unknown field", `{"name": "x", "kind": "agency", "color": "red"}`, "color", `unknown field "color"`},
		{"wrong type", `{"name": 5, "kind": "agency"}`, "name", "name must be a string, not number"},
		{"wrong type object", `{"name": "x", "kind": "agency", "agency_id": "7"}`, "agency_id", "agency_id must be an integer, not string"},
		{"fraction", `{"name": "x", "kind": "company", "agency_id": 1.5}`, "agency_id", "agency_id must be an integer, not number 1.5"},
		{"not an object", `["x"]`, "", "request body must be a JSON object, not array"},
		{"trailing data", `{"name": "x", "kind": "agency"} {"name": "y"}`, "", "unexpected data after the JSON value at line 1, column 33 (byte offset 32)"},
		{"trailing garbage", "{\"name\": \"x\", \"kind\": \"agency\"}\n\tx", "", "unexpected data after the JSON value at line 2, column 2 (byte offset 33)"},
		{"missing both", `{}`, "name", "missing required fields: name, kind"},
		{"missing kind", `{"name": "x"}`, "kind", `missing required field "kind"`},
		{"bad kind", `{"name": "x", "kind": "person"}`, "kind", `kind must be "agency" or "company", not "person"`},
		{"empty name", `{"name": "", "kind": "agency"}`, "name", "must not be empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := post(c.body)
			if d.Field != c.field || d.Message != c.message {
				t.Fatalf("error = %+v, want field %q message %q", d, c.field, c.message)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		body := `{"name": "` + strings.Repeat("x", 300) + `", "kind": "agency"}`
		d := want(t, e.do("POST", "/api/v1/tenants", testAdminToken, body), http.StatusRequestEntityTooLarge).apiError(t)
		if d.Code != "too_large" || d.Message != "request body exceeds the limit of 256 bytes" {
			t.Fatalf("error = %+v", d)
		}
	})
	t.Run("too large chunked", func(t *testing.T) {
		// Without Content-Length the limit is enforced while reading.
		body := `{"name": "` + strings.Repeat("x", 300) + `", "kind": "agency"}`
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/tenants", io.MultiReader(strings.NewReader(body)))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		d := want(t, response{res.StatusCode, res.Header, raw}, http.StatusRequestEntityTooLarge).apiError(t)
		if d.Code != "too_large" {
			t.Fatalf("error = %+v", d)
		}
	})
	t.Run("too large after the value", func(t *testing.T) {
		body := `{"name": "x", "kind": "agency"}` + strings.Repeat(" ", 300)
		want(t, e.do("POST", "/api/v1/tenants", testAdminToken, body), http.StatusRequestEntityTooLarge)
	})
	t.Run("rename", func(t *testing.T) {
		id := e.createTenant(testAdminToken, "R", hookline.KindAgency, 0)
		r := want(t, e.do("PATCH", fmt.Sprintf("/api/v1/tenants/%d", id), testAdminToken, `{"name": true}`), http.StatusBadRequest)
		if d := r.apiError(t); d.Field != "name" {
			t.Fatalf("error = %+v", d)
		}
		r = want(t, e.do("PATCH", fmt.Sprintf("/api/v1/tenants/%d", id), testAdminToken, `{}`), http.StatusBadRequest)
		if d := r.apiError(t); d.Field != "name" || d.Message != `missing required field "name"` {
			t.Fatalf("error = %+v", d)
		}
	})
	// A well-formed body still works with whitespace around it.
	want(t, e.do("POST", "/api/v1/tenants", testAdminToken, "\n {\"name\": \"ok\", \"kind\": \"agency\"} \n"), http.StatusCreated)
}

func TestRoutingErrors(t *testing.T) {
	e := newTestEnv(t, 0)
	d := want(t, e.do("GET", "/nope", "", nil), http.StatusNotFound).apiError(t)
	if d.Code != "not_found" || d.Message != "no route for GET /nope" {
		t.Fatalf("unknown route: %+v", d)
	}
	r := want(t, e.do("PUT", "/api/v1/tenants", testAdminToken, nil), http.StatusMethodNotAllowed)
	if d := r.apiError(t); d.Code != "method_not_allowed" {
		t.Fatalf("wrong method: %+v", d)
	}
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Fatalf("Allow = %q", allow)
	}
	want(t, e.do("GET", "/api/v1/tenants/abc", testAdminToken, nil), http.StatusNotFound)
	want(t, e.do("GET", "/api/v1/tenants/-1", testAdminToken, nil), http.StatusNotFound)
}

func TestHealth(t *testing.T) {
	e := newTestEnv(t, 0)
	if got := want(t, e.do("GET", "/healthz", "", nil), http.StatusOK).json(t); got["status"] != "ok" {
		t.Fatalf("healthz = %v", got)
	}
	if got := want(t, e.do("GET", "/readyz", "", nil), http.StatusOK).json(t); got["status"] != "ready" {
		t.Fatalf("readyz = %v", got)
	}
	e.db.Close()
	d := want(t, e.do("GET", "/readyz", "", nil), http.StatusServiceUnavailable).apiError(t)
	if d.Code != "unavailable" {
		t.Fatalf("readyz with the store closed: %+v", d)
	}
	want(t, e.do("GET", "/healthz", "", nil), http.StatusOK)
}

// TestInternalError checks that a store failure reaches the client only as
// the request id, and the log with the details under the same id.
func TestInternalError(t *testing.T) {
	e := newTestEnv(t, 0)
	e.db.Close()
	r := want(t, e.do("GET", "/api/v1/tenants", testAdminToken, nil), http.StatusInternalServerError)
	id := r.header.Get("X-Request-Id")
	d := r.apiError(t)
	if d.Code != "internal" || d.Message != "internal error (request id "+id+")" || d.Field != "" {
		t.Fatalf("internal error body = %+v", d)
	}
	var logged map[string]any
	for line := range strings.SplitSeq(e.logs.String(), "\n") {
		if strings.Contains(line, `"internal error"`) {
			if err := json.Unmarshal([]byte(line), &logged); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
		}
	}
	if logged["request_id"] != id || logged["method"] != "GET" || logged["path"] != "/api/v1/tenants" ||
		!strings.Contains(fmt.Sprint(logged["error"]), "database is closed") {
		t.Fatalf("logged %v, want the request id %s, method, path and the cause", logged, id)
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	e := newTestEnv(t, 0)
	r1 := e.do("GET", "/healthz", "", nil)
	r2 := e.do("GET", "/healthz", "", nil)
	if r1.header.Get("X-Request-Id") == r2.header.Get("X-Request-Id") {
		t.Fatal("two requests share a request id")
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "edge-42")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("X-Request-Id"); got != "edge-42" {
		t.Fatalf("a proxy's request id was replaced by %q", got)
	}
	req.Header.Set("X-Request-Id", "bad id\twith spaces")
	res, err = e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("X-Request-Id"); got == "bad id\twith spaces" || got == "" {
		t.Fatalf("request id = %q", got)
	}

	want(t, e.do("GET", "/api/v1/tenants?secret=1", testAdminToken, nil), http.StatusOK)
	var found bool
	for line := range strings.SplitSeq(e.logs.String(), "\n") {
		var v map[string]any
		if json.Unmarshal([]byte(line), &v) != nil || v["msg"] != "request" || v["path"] != "/api/v1/tenants" {
			continue
		}
		found = true
		if v["method"] != "GET" || v["status"] != float64(200) || v["request_id"] == "" || v["duration_ms"] == nil {
			t.Fatalf("access log line = %s", line)
		}
	}
	if !found {
		t.Fatalf("no access log line for /api/v1/tenants in:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), "secret=1") {
		t.Fatal("the access log shows the query string")
	}
}
