package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchService starts the real service wiring on a free loopback port for
// a benchmark, with a company and a key of it.
func benchService(b *testing.B, cfg Config) (m *Main, c client, companyID, key string) {
	b.Helper()
	const admin = "bench-admin-token-0123456789"
	cfg.Addr, cfg.DataDir, cfg.AdminToken = "127.0.0.1:0", b.TempDir(), admin
	cfg.MaxBodyBytes, cfg.ShutdownTimeout = 1<<20, 5*time.Second
	m = NewMain(cfg, io.Discard, io.Discard)
	if err := m.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	c = client{&testing.T{}, "http://" + m.Addr()}
	company := c.call("POST", "/api/v1/tenants", admin, `{"name": "Shop", "kind": "company"}`, http.StatusCreated)
	companyID = strconv.FormatInt(int64(company["id"].(float64)), 10)
	key = c.call("POST", "/api/v1/tenants/"+companyID+"/keys", admin, "", http.StatusCreated)["key"].(string)
	return m, c, companyID, key
}

// BenchmarkAPIGetTenant drives GET /api/v1/tenants/{id} with a company key
// through the real service wiring (edge, API, key service, SQLite) over
// loopback, from parallel keep-alive clients. It is the in-process
// counterpart of `hookline bench --scenario api-get`, for profiling:
//
//	go test ./cmd/hookline -run '^$' -bench APIGetTenant -cpuprofile cpu.out
func BenchmarkAPIGetTenant(b *testing.B) {
	_, c, id, key := benchService(b, Config{})
	url := c.base + "/api/v1/tenants/" + id
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		for pb.Next() {
			res, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), `"Shop"`) {
				b.Errorf("status %d: %s", res.StatusCode, body)
				return
			}
		}
	})
}

// BenchmarkAPIGetTenantHandler is BenchmarkAPIGetTenant without the
// network: the composed handler served in process, one request at a time,
// to show what the service costs beside net/http's own work.
func BenchmarkAPIGetTenantHandler(b *testing.B) {
	m, _, id, key := benchService(b, Config{})
	h := m.server.Handler
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("GET", "/api/v1/tenants/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkAPIRunWebhook drives POST /api/v1/webhooks/{id}/run of the seed
// body against a local receiver through the real service wiring, from
// parallel keep-alive clients: the in-process counterpart of `hookline
// bench --scenario webhook-run`, for profiling.
func BenchmarkAPIRunWebhook(b *testing.B) {
	ticket := []byte(`{"ticket": {"url": "https://aaaa.com/api/v2/tickets/388.json", "id": 388, "priority": "low", "status": "open", "external_id": null}}`)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(ticket)
	}))
	defer rc.Close()
	seed, err := os.ReadFile("../../jinja/testdata/bench/seed_body.j2")
	if err != nil {
		b.Fatal(err)
	}
	_, c, _, key := benchService(b, Config{EgressAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	def, _ := json.Marshal(map[string]any{"name": "Ticket status", "method": "POST", "url": rc.URL + "/api/v2/tickets",
		"auth": map[string]any{"type": "bearer", "token": "receiver-token"}, "body": strings.TrimSuffix(string(seed), "\n"),
		"custom_variables": []any{map[string]any{"name": "ticket_status", "mapper": "{{ticket.status}}"},
			map[string]any{"name": "ticket_summary", "mapper": "Ticket {{ticket.id}} is {{ticket.status}} ({{ticket.priority}})"}}})
	wh := c.call("POST", "/api/v1/webhooks", key, string(def), http.StatusCreated)
	url := fmt.Sprintf("%s/api/v1/webhooks/%d/run", c.base, int64(wh["id"].(float64)))
	body := []byte(`{"context": {"certainly": {"sessionId": 4815162342, "moduleId": 12, "reply": "My ticket is \"388\"", "extractedData": {"ticket_id": "388"}, "customVariables": {"plan": "premium"}}}}`)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !bytes.Contains(out, []byte(`"ticket_status":"open"`)) {
				b.Errorf("status %d: %s", res.StatusCode, out)
				return
			}
		}
	})
}
