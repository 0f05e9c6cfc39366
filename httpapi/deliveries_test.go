package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
	"github.com/hookline/hookline/webhook"
)

// testSchedule is the retry schedule of the delivery tests, as
// HOOKLINE_DELIVERY_SCHEDULE=200ms,400ms,800ms sets it.
var testSchedule = []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}

// deliveryEnv is the API with the delivery queue and its worker, on SQLite.
type deliveryEnv struct {
	*testEnv
	queue  *sqlstore.DeliveryStore
	worker *delivery.Worker
	key    string // a company key
	other  string // a key of another company
}

// newDeliveryEnv starts the API and, unless start is false, the worker.
func newDeliveryEnv(t *testing.T, workers, perTarget int, start bool) *deliveryEnv {
	t.Helper()
	db := storetest.SQLite(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sealer := storetest.Sealer(t)
	tenants := tenant.NewService(db, db, testAdminToken)
	store := sqlstore.NewWebhookStore(db, sealer)
	client := egress.New(egress.Config{Allow: loopback})
	exec := webhook.NewExecutor(client)
	webhooks, err := webhook.NewService(tenants, store, store, exec)
	if err != nil {
		t.Fatal(err)
	}
	queue := sqlstore.NewDeliveryStore(db, sealer)
	webhooks.UseDeliveryTargets(queue, delivery.SignRequest)
	worker := delivery.NewWorker(delivery.Config{
		Store: queue, Webhooks: store, Client: client, Schedule: testSchedule,
		Workers: workers, PerTarget: perTarget, PollInterval: 20 * time.Millisecond, Logger: log,
	})
	api, err := New(Config{
		Tenants: tenants, Keys: tenants, Ready: db.Ping, Webhooks: webhooks, Templates: webhooks,
		Deliveries: delivery.NewService(store, queue, exec, worker.Wake), Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	handler, err := edge.New(log, api.Mount())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	e := &deliveryEnv{testEnv: &testEnv{t: t, db: db, api: api, srv: srv, logs: logs}, queue: queue, worker: worker}
	if start {
		e.start()
	}
	company := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	e.key, _ = e.createKey(testAdminToken, company)
	other := e.createTenant(testAdminToken, "Other", hookline.KindCompany, 0)
	e.other, _ = e.createKey(testAdminToken, other)
	return e
}

func (e *deliveryEnv) start() {
	e.worker.Start()
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.worker.Stop(ctx); err != nil {
			e.t.Errorf("stop the worker: %v", err)
		}
	})
}

// receiver is an endpoint whose answers a test sets, keeping what it got.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []*receivedDelivery
	answer func(n int, r *receivedDelivery) (status int, header map[string]string)
}

type receivedDelivery struct {
	header http.Header
	path   string
	body   []byte
	at     time.Time
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{answer: func(int, *receivedDelivery) (int, map[string]string) { return http.StatusOK, nil }}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got := &receivedDelivery{header: r.Header.Clone(), path: r.URL.RequestURI(), body: body, at: time.Now()}
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		n, answer := len(rc.got), rc.answer
		rc.mu.Unlock()
		status, header := answer(n, got)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":%d}`, status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setAnswer(f func(n int, r *receivedDelivery) (int, map[string]string)) {
	rc.mu.Lock()
	rc.answer = f
	rc.mu.Unlock()
}

func (rc *receiver) received() []*receivedDelivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*receivedDelivery(nil), rc.got...)
}

// createWebhook creates a webhook posting to url and returns its id.
func (e *deliveryEnv) createWebhook(url string) int64 {
	e.t.Helper()
	r := want(e.t, e.do("POST", "/api/v1/webhooks", e.key, map[string]any{
		"name": fmt.Sprintf("Hook %d", time.Now().UnixNano()), "method": "POST", "url": url + "/hook/{{certainly.sessionId}}",
		"auth": map[string]any{"type": "bearer", "token": testToken},
		"body": `{"seq": {{certainly.seq}}, "key": "{{certainly.key}}"}`,
	}), http.StatusCreated)
	return int64(r.json(e.t)["id"].(float64))
}

func deliveryBody(seq int, key string) map[string]any {
	return map[string]any{"context": map[string]any{"certainly": map[string]any{"sessionId": 7, "seq": seq, "key": key}}, "ordering_key": key}
}

// enqueue queues a delivery and returns it as the 202 shows it.
func (e *deliveryEnv) enqueue(webhookID int64, seq int, key string) map[string]any {
	e.t.Helper()
	r := want(e.t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", webhookID), e.key, deliveryBody(seq, key)), http.StatusAccepted)
	return r.json(e.t)
}

func idOf(v map[string]any) int64 { return int64(v["id"].(float64)) }

// waitStatus polls a delivery until it has the status, and returns it.
func (e *deliveryEnv) waitStatus(id int64, status hookline.DeliveryStatus) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := want(e.t, e.do("GET", fmt.Sprintf("/api/v1/deliveries/%d", id), e.key, nil), http.StatusOK).json(e.t)
		if d["status"] == string(status) {
			return d
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("delivery %d is %v, want %s: %v", id, d["status"], status, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func attemptsOf(d map[string]any) []map[string]any {
	var out []map[string]any
	for _, a := range d["attempts"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

// verify checks a Standard Webhooks signature as a receiver does: the
// HMAC-SHA256 of "id.timestamp.body" under the secret's key, base64, among
// the space-separated v1 signatures.
func verify(t *testing.T, secret string, got *receivedDelivery) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret %q does not decode: %v", secret, err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", got.header.Get("webhook-id"), got.header.Get("webhook-timestamp"), got.body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(got.header.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return
		}
	}
	t.Fatalf("webhook-signature %q holds no valid signature for the secret", got.header.Get("webhook-signature"))
}

func TestDeliverySignedAndAuthorized(t *testing.T) {
	e := newDeliveryEnv(t, 8, 4, true)
	rc := newReceiver(t)
	hook := e.createWebhook(rc.URL)

	r := want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/signing-secret", hook), e.key, nil), http.StatusOK)
	secret := r.json(t)["signing_secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("signing secret %q", secret)
	}
	d := e.enqueue(hook, 1, "chat-1")
	for _, f := range []string{"id", "message_id", "webhook_id", "ordering_key", "status", "next_attempt_at", "created_at"} {
		if _, ok := d[f]; !ok {
			t.Fatalf("the 202 lacks %s: %v", f, d)
		}
	}
	if _, ok := d["attempts"]; ok || d["status"] != "pending" || d["webhook_id"] != float64(hook) || !strings.HasPrefix(d["message_id"].(string), "msg_") {
		t.Fatalf("queued delivery %v", d)
	}
	done := e.waitStatus(idOf(d), hookline.DeliverySucceeded)
	if done["next_attempt_at"] != nil || done["attempt_count"] != float64(1) {
		t.Fatalf("succeeded delivery %v", done)
	}
	as := attemptsOf(done)
	if len(as) != 1 || as[0]["status"] != float64(200) || as[0]["response"] != `{"status":200}` || as[0]["attempt"] != float64(1) {
		t.Fatalf("attempts %v", as)
	}
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("received %d requests", len(got))
	}
	g := got[0]
	if g.header.Get("webhook-id") != d["message_id"] || g.header.Get("Authorization") != "Bearer "+testToken ||
		g.path != "/hook/7" || string(g.body) != `{"seq": 1, "key": "chat-1"}` {
		t.Fatalf("received %v %s %s", g.header, g.path, g.body)
	}
	ts, _ := time.Parse(time.RFC3339, "1970-01-01T00:00:00Z")
	if sec := g.header.Get("webhook-timestamp"); sec == "" || time.Since(ts.Add(time.Duration(mustAtoi(t, sec))*time.Second)) > time.Minute {
		t.Fatalf("webhook-timestamp %q", sec)
	}
	verify(t, secret, g)

	// A rotation: both secrets sign for a day.
	r = want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/signing-secret", hook), e.key, nil), http.StatusOK)
	newSecret := r.json(t)["signing_secret"].(string)
	if newSecret == secret {
		t.Fatal("rotation kept the secret")
	}
	e.waitStatus(idOf(e.enqueue(hook, 2, "chat-1")), hookline.DeliverySucceeded)
	g = rc.received()[1]
	if n := len(strings.Fields(g.header.Get("webhook-signature"))); n != 2 {
		t.Fatalf("after a rotation, %d signatures", n)
	}
	verify(t, secret, g)
	verify(t, newSecret, g)

	// The webhook shows that it has a secret, masked; Run signs too.
	shown := want(t, e.do("GET", fmt.Sprintf("/api/v1/webhooks/%d", hook), e.key, nil), http.StatusOK).json(t)
	if shown["signing_secret"] != hookline.SecretMask || shown["disabled_at"] != nil {
		t.Fatalf("webhook shows %v", shown)
	}
	listed := want(t, e.do("GET", "/api/v1/webhooks", e.key, nil), http.StatusOK).json(t)["webhooks"].([]any)
	if listed[0].(map[string]any)["signing_secret"] != hookline.SecretMask {
		t.Fatalf("listed webhook %v", listed[0])
	}
	run := want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/run", hook), e.key, map[string]any{"context": deliveryBody(3, "x")["context"]}), http.StatusOK).json(t)
	if run["error"] != nil {
		t.Fatalf("run: %v", run)
	}
	g = rc.received()[2]
	if g.header.Get("webhook-id") == d["message_id"] || !strings.HasPrefix(g.header.Get("webhook-id"), "msg_") {
		t.Fatalf("run's webhook-id %q", g.header.Get("webhook-id"))
	}
	verify(t, newSecret, g)
	verify(t, secret, g)
	if hs := run["request"].(map[string]any)["headers"].(map[string]any); hs["Webhook-Signature"] != g.header.Get("webhook-signature") {
		t.Fatalf("run shows headers %v", hs)
	}
	// A fetched webhook sent back as it is keeps working.
	want(t, e.do("PUT", fmt.Sprintf("/api/v1/webhooks/%d", hook), e.key, shown), http.StatusOK)

	// The secrets show nowhere but in their own answer.
	for _, path := range []string{fmt.Sprintf("/api/v1/webhooks/%d", hook), fmt.Sprintf("/api/v1/deliveries/%d", idOf(d)), "/api/v1/deliveries"} {
		body := string(want(t, e.do("GET", path, e.key, nil), http.StatusOK).raw)
		if strings.Contains(body, strings.TrimPrefix(secret, "whsec_")) || strings.Contains(body, strings.TrimPrefix(newSecret, "whsec_")) || strings.Contains(body, testToken) {
			t.Fatalf("%s shows a secret: %s", path, body)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, strings.TrimPrefix(newSecret, "whsec_")) || strings.Contains(logs, testToken) {
		t.Fatal("a secret reached the log")
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

// TestDeliveryOrderPerKey queues 200 deliveries over 10 keys from 10
// goroutines and checks that the receiver sees each key's in order, one at
// a time, while keys go in parallel.
func TestDeliveryOrderPerKey(t *testing.T) {
	e := newDeliveryEnv(t, 16, 8, true)
	rc := newReceiver(t)
	var mu sync.Mutex
	last := map[string]int{}
	busy := map[string]bool{}
	var problems []string
	parallel, maxParallel := 0, 0
	rc.setAnswer(func(_ int, r *receivedDelivery) (int, map[string]string) {
		var b struct {
			Seq int
			Key string
		}
		json.Unmarshal(r.body, &b)
		mu.Lock()
		if busy[b.Key] {
			problems = append(problems, fmt.Sprintf("%s: %d while another was in flight", b.Key, b.Seq))
		}
		if b.Seq != last[b.Key]+1 {
			problems = append(problems, fmt.Sprintf("%s: %d after %d", b.Key, b.Seq, last[b.Key]))
		}
		busy[b.Key] = true
		parallel++
		maxParallel = max(maxParallel, parallel)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		busy[b.Key] = false
		last[b.Key] = b.Seq
		parallel--
		mu.Unlock()
		return http.StatusOK, nil
	})
	hook := e.createWebhook(rc.URL)
	const keys, per = 10, 20
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() {
			for i := 1; i <= per; i++ {
				r := e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook), e.key, deliveryBody(i, fmt.Sprintf("key-%d", k)))
				if r.status != http.StatusAccepted {
					t.Errorf("enqueue: %d %s", r.status, r.raw)
					return
				}
			}
		})
	}
	wg.Wait()
	// Every delivery is recorded succeeded only after its answer is back.
	succeeded := func() int {
		return len(want(t, e.do("GET", "/api/v1/deliveries?status=succeeded&limit=500", e.key, nil), http.StatusOK).json(t)["deliveries"].([]any))
	}
	deadline := time.Now().Add(20 * time.Second)
	for succeeded() < keys*per && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("out of order: %v", problems)
	}
	if n := len(rc.received()); n != keys*per {
		t.Fatalf("received %d deliveries, want %d", n, keys*per)
	}
	for k := range keys {
		if last[fmt.Sprintf("key-%d", k)] != per {
			t.Fatalf("key-%d ended at %d", k, last[fmt.Sprintf("key-%d", k)])
		}
	}
	if maxParallel < 2 || maxParallel > 8 {
		t.Fatalf("at most %d deliveries were in flight at once; want keys in parallel, within the per-target limit of 8", maxParallel)
	}
}

func TestDeliveryRetries(t *testing.T) {
	e := newDeliveryEnv(t, 8, 4, true)
	rc := newReceiver(t)
	hook := e.createWebhook(rc.URL)

	// An outage of two attempts: the third succeeds, on the schedule.
	rc.setAnswer(func(n int, _ *receivedDelivery) (int, map[string]string) {
		if n <= 2 {
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusOK, nil
	})
	d := e.enqueue(hook, 1, "k")
	done := e.waitStatus(idOf(d), hookline.DeliverySucceeded)
	as := attemptsOf(done)
	if len(as) != 3 || as[0]["status"] != float64(503) || as[0]["error_kind"] != "http_status" || as[2]["status"] != float64(200) {
		t.Fatalf("attempts %v", as)
	}
	got := rc.received()
	if gap := got[1].at.Sub(got[0].at); gap < 150*time.Millisecond {
		t.Fatalf("second attempt %s after the first; the schedule says 200ms ±20%%", gap)
	}
	if gap := got[2].at.Sub(got[1].at); gap < 300*time.Millisecond {
		t.Fatalf("third attempt %s after the second; the schedule says 400ms ±20%%", gap)
	}
	if got[0].header.Get("webhook-id") != got[2].header.Get("webhook-id") {
		t.Fatal("webhook-id changed between attempts")
	}

	// Every attempt fails: failed after the last step; what waits behind
	// it on the key goes on.
	rc.setAnswer(func(_ int, r *receivedDelivery) (int, map[string]string) {
		if strings.Contains(string(r.body), `"seq": 2`) {
			return http.StatusBadGateway, nil
		}
		return http.StatusOK, nil
	})
	first := e.enqueue(hook, 2, "k2")
	second := e.enqueue(hook, 3, "k2")
	failed := e.waitStatus(idOf(first), hookline.DeliveryFailed)
	if n := len(attemptsOf(failed)); n != 1+len(testSchedule) {
		t.Fatalf("%d attempts before giving up, want %d", n, 1+len(testSchedule))
	}
	e.waitStatus(idOf(second), hookline.DeliverySucceeded)

	// A 4xx fails at once; 429 is retried, honouring Retry-After.
	rc.setAnswer(func(int, *receivedDelivery) (int, map[string]string) { return http.StatusBadRequest, nil })
	bad := e.waitStatus(idOf(e.enqueue(hook, 4, "")), hookline.DeliveryFailed)
	if n := len(attemptsOf(bad)); n != 1 {
		t.Fatalf("a 400 was attempted %d times", n)
	}
	calls := 0
	rc.setAnswer(func(int, *receivedDelivery) (int, map[string]string) {
		calls++
		if calls == 1 {
			return http.StatusTooManyRequests, map[string]string{"Retry-After": "1"}
		}
		return http.StatusOK, nil
	})
	before := len(rc.received())
	e.waitStatus(idOf(e.enqueue(hook, 5, "")), hookline.DeliverySucceeded)
	got = rc.received()[before:]
	if len(got) != 2 || got[1].at.Sub(got[0].at) < 900*time.Millisecond {
		t.Fatalf("Retry-After: 1 was not honoured: %d attempts, %v apart", len(got), got[len(got)-1].at.Sub(got[0].at))
	}

	// A failed delivery retried by hand goes again; so do the failed ones
	// a bulk retry selects.
	rc.setAnswer(func(int, *receivedDelivery) (int, map[string]string) { return http.StatusOK, nil })
	r := want(t, e.do("POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", idOf(bad)), e.key, nil), http.StatusAccepted).json(t)
	if r["status"] != "pending" && r["status"] != "sending" && r["status"] != "succeeded" {
		// The worker may have taken it already.
		t.Fatalf("retried delivery %v", r)
	}
	again := e.waitStatus(idOf(bad), hookline.DeliverySucceeded)
	if n := len(attemptsOf(again)); n != 2 {
		t.Fatalf("after a retry by hand, %d attempts", n)
	}
	wantField(t, e.do("POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", idOf(bad)), e.key, nil), http.StatusConflict, "")
	res := want(t, e.do("POST", fmt.Sprintf("/api/v1/deliveries/retry?webhook_id=%d&status=failed", hook), e.key, nil), http.StatusOK).json(t)
	if res["retried"] != float64(1) {
		t.Fatalf("bulk retry %v", res)
	}
	e.waitStatus(idOf(first), hookline.DeliverySucceeded)
	wantField(t, e.do("POST", "/api/v1/deliveries/retry?status=succeeded", e.key, nil), http.StatusBadRequest, "status")
}

func TestDeliveryGoneDisables(t *testing.T) {
	e := newDeliveryEnv(t, 8, 4, true)
	rc := newReceiver(t)
	hook := e.createWebhook(rc.URL)
	rc.setAnswer(func(int, *receivedDelivery) (int, map[string]string) { return http.StatusGone, nil })
	d := e.waitStatus(idOf(e.enqueue(hook, 1, "")), hookline.DeliveryFailed)
	if a := attemptsOf(d); len(a) != 1 || a[0]["status"] != float64(410) {
		t.Fatalf("attempts %v", a)
	}
	wantField(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook), e.key, deliveryBody(2, "")), http.StatusConflict, "")
	shown := want(t, e.do("GET", fmt.Sprintf("/api/v1/webhooks/%d", hook), e.key, nil), http.StatusOK).json(t)
	if shown["disabled_at"] == nil {
		t.Fatalf("a disabled webhook shows %v", shown)
	}
	want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/enable", hook), e.other, nil), http.StatusNotFound)
	want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/enable", hook), e.key, nil), http.StatusNoContent)
	if shown := want(t, e.do("GET", fmt.Sprintf("/api/v1/webhooks/%d", hook), e.key, nil), http.StatusOK).json(t); shown["disabled_at"] != nil {
		t.Fatalf("an enabled webhook shows %v", shown)
	}
	rc.setAnswer(func(int, *receivedDelivery) (int, map[string]string) { return http.StatusOK, nil })
	e.waitStatus(idOf(e.enqueue(hook, 3, "")), hookline.DeliverySucceeded)
}

func TestDeliveryDeletedTargetCancels(t *testing.T) {
	e := newDeliveryEnv(t, 8, 4, true)
	rc := newReceiver(t)
	hook := e.createWebhook(rc.URL)
	rc.setAnswer(func(int, *receivedDelivery) (int, map[string]string) { return http.StatusServiceUnavailable, nil })
	d := e.enqueue(hook, 1, "k")
	behind := e.enqueue(hook, 2, "k")
	deadline := time.Now().Add(5 * time.Second)
	for len(rc.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", hook), e.key, nil), http.StatusNoContent)
	// What waits is canceled at once, however far its next attempt is.
	if b := want(t, e.do("GET", fmt.Sprintf("/api/v1/deliveries/%d", idOf(behind)), e.key, nil), http.StatusOK).json(t); b["status"] != "canceled" {
		t.Fatalf("after the delete, the delivery behind is %v", b["status"])
	}
	e.waitStatus(idOf(d), hookline.DeliveryCanceled)
}

func TestDeliveryInput(t *testing.T) {
	e := newDeliveryEnv(t, 8, 4, true)
	rc := newReceiver(t)
	hook := e.createWebhook(rc.URL)
	path := fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook)

	// A render error names the field; nothing is queued.
	wantField(t, e.do("POST", path, e.key, map[string]any{"context": map[string]any{"certainly": map[string]any{"sessionId": 1}}}), http.StatusBadRequest, "body")
	wantField(t, e.do("POST", path, e.key, map[string]any{}), http.StatusBadRequest, "context")
	wantField(t, e.do("POST", path, e.key, map[string]any{"context": []int{1}}), http.StatusBadRequest, "context")
	wantField(t, e.do("POST", path, e.key, with(deliveryBody(1, ""), "ordering_key", strings.Repeat("k", 256))), http.StatusBadRequest, "ordering_key")
	wantField(t, e.do("POST", path, e.key, with(deliveryBody(1, ""), "extra", 1)), http.StatusBadRequest, "extra")
	if list := want(t, e.do("GET", "/api/v1/deliveries", e.key, nil), http.StatusOK).json(t)["deliveries"].([]any); len(list) != 0 {
		t.Fatalf("a refused delivery was queued: %v", list)
	}
	want(t, e.do("POST", "/api/v1/webhooks/99999/deliveries", e.key, deliveryBody(1, "")), http.StatusNotFound)
	wantField(t, e.do("GET", "/api/v1/deliveries?status=lost", e.key, nil), http.StatusBadRequest, "status")
	wantField(t, e.do("GET", "/api/v1/deliveries?webhook_id=x", e.key, nil), http.StatusBadRequest, "webhook_id")

	// Idempotency-Key: the same request answers the first delivery, another
	// body with the same key is a 409.
	idem := func(key string, body any) response {
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(mustJSON(t, body)))
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("Idempotency-Key", key)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return response{status: res.StatusCode, header: res.Header, raw: raw}
	}
	first := want(t, idem("order-1", deliveryBody(1, "")), http.StatusAccepted).json(t)
	second := want(t, idem("order-1", deliveryBody(1, "")), http.StatusAccepted).json(t)
	if second["id"] != first["id"] || second["message_id"] != first["message_id"] {
		t.Fatalf("a replay queued another delivery: %v, then %v", first, second)
	}
	wantField(t, idem("order-1", deliveryBody(2, "")), http.StatusConflict, "Idempotency-Key")
	if third := want(t, idem("order-2", deliveryBody(1, "")), http.StatusAccepted).json(t); third["id"] == first["id"] {
		t.Fatal("another key answered the first delivery")
	}
	wantField(t, idem(strings.Repeat("i", 256), deliveryBody(1, "")), http.StatusBadRequest, "Idempotency-Key")
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeliveryListAndIsolation(t *testing.T) {
	e := newDeliveryEnv(t, 8, 4, true)
	rc := newReceiver(t)
	hook := e.createWebhook(rc.URL)
	other := e.createWebhook(rc.URL)
	var ids []int64
	for i := range 5 {
		ids = append(ids, idOf(e.enqueue(hook, i, fmt.Sprintf("k%d", i%2))))
	}
	last := idOf(e.enqueue(other, 9, ""))
	for _, id := range append(ids, last) {
		e.waitStatus(id, hookline.DeliverySucceeded)
	}

	// Newest first, page by page.
	var paged []int64
	cursor := ""
	for range 5 {
		p := want(t, e.do("GET", fmt.Sprintf("/api/v1/deliveries?webhook_id=%d&limit=2&cursor=%s", hook, cursor), e.key, nil), http.StatusOK).json(t)
		for _, d := range p["deliveries"].([]any) {
			paged = append(paged, idOf(d.(map[string]any)))
		}
		if p["next_cursor"] == nil {
			break
		}
		cursor = p["next_cursor"].(string)
	}
	if fmt.Sprint(paged) != fmt.Sprint([]int64{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Fatalf("paged %v, want %v newest first", paged, ids)
	}
	k1 := want(t, e.do("GET", "/api/v1/deliveries?ordering_key=k1", e.key, nil), http.StatusOK).json(t)["deliveries"].([]any)
	if len(k1) != 2 || idOf(k1[0].(map[string]any)) != ids[3] {
		t.Fatalf("ordering_key=k1: %v", k1)
	}
	unkeyed := want(t, e.do("GET", "/api/v1/deliveries?ordering_key=", e.key, nil), http.StatusOK).json(t)["deliveries"].([]any)
	if len(unkeyed) != 1 || idOf(unkeyed[0].(map[string]any)) != last {
		t.Fatalf("ordering_key= (none): %v", unkeyed)
	}
	if _, has := k1[0].(map[string]any)["attempts"]; has {
		t.Fatal("a listing shows attempts")
	}

	// Another company sees none of it.
	id := ids[0]
	want(t, e.do("GET", fmt.Sprintf("/api/v1/deliveries/%d", id), e.other, nil), http.StatusNotFound)
	want(t, e.do("POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", id), e.other, nil), http.StatusNotFound)
	want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook), e.other, deliveryBody(1, "")), http.StatusNotFound)
	want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/signing-secret", hook), e.other, nil), http.StatusNotFound)
	if list := want(t, e.do("GET", "/api/v1/deliveries", e.other, nil), http.StatusOK).json(t)["deliveries"].([]any); len(list) != 0 {
		t.Fatalf("another company lists %v", list)
	}
	if res := want(t, e.do("POST", "/api/v1/deliveries/retry", e.other, nil), http.StatusOK).json(t); res["retried"] != float64(0) {
		t.Fatalf("another company retried %v", res)
	}
	want(t, e.do("GET", fmt.Sprintf("/api/v1/deliveries/%d", id), testAdminToken, nil), http.StatusOK)
	want(t, e.do("GET", "/api/v1/deliveries/abc", e.key, nil), http.StatusNotFound)
}

// TestDeliveryLeaseTakenOver simulates a worker that leased a delivery and
// died: once its lease expires, the running worker sends it.
func TestDeliveryLeaseTakenOver(t *testing.T) {
	e := newDeliveryEnv(t, 8, 4, false)
	rc := newReceiver(t)
	hook := e.createWebhook(rc.URL)
	d := e.enqueue(hook, 1, "k")
	behind := e.enqueue(hook, 2, "k")
	leased, err := e.queue.LeaseDeliveries(context.Background(), hookline.LeaseRequest{Token: "dead-worker", Limit: 10, Duration: 500 * time.Millisecond})
	if err != nil || len(leased) != 1 || leased[0].ID != idOf(d) {
		t.Fatalf("the dead worker's lease: %v, %v", leased, err)
	}
	diedAt := time.Now()
	e.start()
	e.waitStatus(idOf(behind), hookline.DeliverySucceeded)
	done := e.waitStatus(idOf(d), hookline.DeliverySucceeded)
	got := rc.received()
	if len(got) != 2 || got[0].at.Sub(diedAt) < 400*time.Millisecond || !strings.Contains(string(got[0].body), `"seq": 1`) {
		t.Fatalf("received %d, the first %v after the death", len(got), got[0].at.Sub(diedAt))
	}
	if n := len(attemptsOf(done)); n != 1 {
		t.Fatalf("%d attempts", n)
	}
}

// TestDeliveryOpenAPI checks that every delivery route is documented and
// that the answers are what the document says.
func TestDeliveryOpenAPI(t *testing.T) {
	e := newDeliveryEnv(t, 8, 4, true)
	raw := want(t, e.do("GET", "/api/v1/openapi.json", "", nil), http.StatusOK).raw
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	for _, p := range e.api.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		op, _ := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if op == nil {
			t.Fatalf("route %q is not documented", p)
		}
		responses := op["responses"].(map[string]any)
		if strings.Contains(path, "{") && responses["404"] == nil {
			t.Errorf("route %q: 404 undocumented", p)
		}
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	rc := newReceiver(t)
	hook := e.createWebhook(rc.URL)
	r := want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/signing-secret", hook), e.key, nil), http.StatusOK)
	queued := want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook), e.key, deliveryBody(1, "k")), http.StatusAccepted)
	e.waitStatus(idOf(queued.json(t)), hookline.DeliverySucceeded)
	answers := []struct {
		schema string
		r      response
	}{
		{"NewSigningSecret", r},
		{"Delivery", queued},
		{"DeliveryList", want(t, e.do("GET", "/api/v1/deliveries", e.key, nil), http.StatusOK)},
		{"DeliveryDetail", want(t, e.do("GET", fmt.Sprintf("/api/v1/deliveries/%d", idOf(queued.json(t))), e.key, nil), http.StatusOK)},
		{"RetryResult", want(t, e.do("POST", "/api/v1/deliveries/retry", e.key, nil), http.StatusOK)},
		{"Webhook", want(t, e.do("GET", fmt.Sprintf("/api/v1/webhooks/%d", hook), e.key, nil), http.StatusOK)},
	}
	for _, a := range answers {
		var v any
		if err := json.Unmarshal(a.r.raw, &v); err != nil {
			t.Fatal(err)
		}
		if schemas[a.schema] == nil {
			t.Fatalf("no schema %s", a.schema)
		}
		conforms(t, schemas, a.schema, map[string]any{"$ref": "#/components/schemas/" + a.schema}, v)
	}
}

// TestDeliveryCompanyShare checks that a company holding more than half the
// workers lets another company's deliveries go first when a worker frees,
// instead of making them wait behind its own backlog.
func TestDeliveryCompanyShare(t *testing.T) {
	e := newDeliveryEnv(t, 4, 8, true)
	gate := make(chan struct{})
	var mu sync.Mutex
	var order []string
	rc := newReceiver(t)
	rc.setAnswer(func(_ int, r *receivedDelivery) (int, map[string]string) {
		var b struct{ Key string }
		json.Unmarshal(r.body, &b)
		mu.Lock()
		order = append(order, b.Key)
		mu.Unlock()
		if b.Key == "A" {
			<-gate
		}
		return http.StatusOK, nil
	})
	t.Cleanup(func() { close(gate) })
	busy := e.createWebhook(rc.URL)
	for i := range 12 {
		want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", busy), e.key,
			map[string]any{"context": map[string]any{"certainly": map[string]any{"sessionId": 1, "seq": i, "key": "A"}}}), http.StatusAccepted)
	}
	arrived := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			got := len(order)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d requests arrived, want %d", got, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	arrived(4) // company A holds every worker
	// Company B's webhook, on the same receiver.
	r := want(t, e.do("POST", "/api/v1/webhooks", e.other, map[string]any{
		"name": "B hook", "method": "POST", "url": rc.URL + "/b", "body": `{"key": "{{certainly.key}}"}`,
	}), http.StatusCreated)
	other := idOf(r.json(t))
	for range 2 {
		want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", other), e.other,
			map[string]any{"context": map[string]any{"certainly": map[string]any{"key": "B"}}}), http.StatusAccepted)
	}
	time.Sleep(100 * time.Millisecond)
	gate <- struct{}{} // one of A's finishes: B goes next, not A's backlog
	arrived(6)
	mu.Lock()
	got := fmt.Sprint(order[:6])
	mu.Unlock()
	if got != "[A A A A B B]" {
		t.Fatalf("arrivals %s: company B waited behind company A's backlog", got)
	}
}

// TestDeliverySecretItems: secret headers and params are not frozen into
// the stored request; they are added when the delivery is sent, from the
// webhook as it is then, and a secret item that is a template (which has
// no conversation at send time) is refused when the delivery is queued.
func TestDeliverySecretItems(t *testing.T) {
	e := newDeliveryEnv(t, 4, 4, true)
	rc := newReceiver(t)
	r := want(t, e.do("POST", "/api/v1/webhooks", e.key, map[string]any{
		"name": "Secret items", "method": "POST", "url": rc.URL + "/hook",
		"headers": []any{map[string]any{"key": "X-Api-Token", "value": "hdr-secret-5e1f"}, map[string]any{"key": "X-Plain", "value": "{{certainly.seq}}"}},
		"params":  []any{map[string]any{"key": "access_token", "value": "qs-secret-9c2d"}},
		"body":    `{"seq": {{certainly.seq}}}`,
	}), http.StatusCreated)
	id := idOf(r.json(t))
	d := e.enqueue(id, 1, "k")
	stored, err := e.queue.FindDelivery(context.Background(), hookline.AdminScope(), idOf(d))
	if err != nil {
		t.Fatal(err)
	}
	if frozen := mustJSON(t, stored.Request); strings.Contains(frozen, "hdr-secret-5e1f") || strings.Contains(frozen, "qs-secret-9c2d") || !strings.Contains(frozen, "X-Plain") {
		t.Fatalf("the frozen request holds a secret, or lost a plain header: %s", frozen)
	}
	e.waitStatus(idOf(d), hookline.DeliverySucceeded)
	got := rc.received()
	if len(got) != 1 || got[0].header.Get("X-Api-Token") != "hdr-secret-5e1f" || !strings.Contains(got[0].path, "access_token=qs-secret-9c2d") || got[0].header.Get("X-Plain") != "1" {
		t.Fatalf("received %+v", got)
	}
	// A secret header written as a template cannot be queued.
	r = want(t, e.do("POST", "/api/v1/webhooks", e.key, map[string]any{
		"name": "Templated secret", "method": "POST", "url": rc.URL + "/hook",
		"headers": []any{map[string]any{"key": "Authorization", "value": "Bearer {{certainly.key}}"}},
	}), http.StatusCreated)
	bad := want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", idOf(r.json(t))), e.key, deliveryBody(1, "k")), http.StatusBadRequest)
	if f := bad.apiError(t).Field; f != "headers[0].value" {
		t.Fatalf("templated secret header: field %q", f)
	}
}
