package delivery_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/webhook"
)

// fakeTargets resolves connection targets as a provider's API would be:
// bearer auth, no Standard Webhooks headers, and a 400 with code 21211
// refused for good.
type fakeTargets struct {
	mu    sync.Mutex
	token string
	gone  bool
}

func (f *fakeTargets) ResolveTarget(_ context.Context, kind hookline.TargetKind, _, id int64) (*delivery.Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone {
		return nil, hookline.NotFound(string(kind), id)
	}
	token := f.token
	return &delivery.Target{
		Authorize: func(r *egress.Request) error { r.Header.Set("Authorization", "Bearer "+token); return nil },
		Timeout:   2 * time.Second,
		Secrets:   []string{token},
		Unsigned:  true,
		Permanent: func(status int, body []byte) (bool, string) {
			if status == http.StatusBadRequest && strings.Contains(string(body), "21211") {
				return true, "invalid number"
			}
			return false, ""
		},
	}, nil
}

// TestOtherTargetKinds queues deliveries for a target kind served by a
// resolver: the resolver's current auth is applied at send time, no
// signature headers go out for an unsigned target, a permanent refusal
// fails at once with its reason, echoed secrets are masked, and a deleted
// target cancels the delivery.
func TestOtherTargetKinds(t *testing.T) {
	ctx := context.Background()
	db, store, queue, client := newQueue(t)

	type seen struct{ auth, signature, id, body string }
	got := make(chan seen, 10)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Get("Authorization"), r.Header.Get(delivery.HeaderSignature), r.Header.Get(delivery.HeaderID), string(body)}
		if strings.Contains(string(body), "bad-number") {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"code": 21211, "message": "invalid To; token `+r.Header.Get("Authorization")[len("Bearer "):]+`"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer rc.Close()

	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	targets := &fakeTargets{token: "tok-one-123"}
	w := delivery.NewWorker(delivery.Config{Store: queue, Webhooks: store, Client: client, PollInterval: 10 * time.Millisecond,
		Targets: map[hookline.TargetKind]delivery.TargetResolver{hookline.TargetConnection: targets}})
	w.Start()
	defer w.Stop(ctx)
	svc := delivery.NewService(store, queue, webhook.NewExecutor(client), w.Wake)

	enqueue := func(body string) *hookline.Delivery {
		t.Helper()
		d, created, err := svc.Enqueue(ctx, &hookline.Delivery{CompanyID: company.ID, TargetKind: hookline.TargetConnection, TargetID: 7,
			OrderingKey: "chat-1", Request: hookline.DeliveryRequest{Method: "POST", URL: rc.URL, Body: []byte(body)}}, nil)
		if err != nil || !created {
			t.Fatalf("enqueue: %v (created %v)", err, created)
		}
		if d.WebhookID != 0 || d.TargetKind != hookline.TargetConnection || d.MessageID == "" {
			t.Fatalf("queued %+v", d)
		}
		return d
	}
	final := func(id int64) *hookline.Delivery {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			d, err := queue.FindDelivery(ctx, hookline.AdminScope(), id)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status.Final() {
				return d
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("delivery %d not final in 10 s", id)
		return nil
	}

	d := enqueue(`{"to": "+15550001"}`)
	s := <-got
	if s.auth != "Bearer tok-one-123" || s.signature != "" || s.id != "" {
		t.Fatalf("an unsigned target's request: %+v", s)
	}
	if d = final(d.ID); d.Status != hookline.DeliverySucceeded {
		t.Fatalf("status %s, want succeeded", d.Status)
	}

	targets.mu.Lock()
	targets.token = "tok-two-456"
	targets.mu.Unlock()
	d = enqueue(`{"to": "bad-number"}`)
	if s := <-got; s.auth != "Bearer tok-two-456" {
		t.Fatalf("the target's current token is not the one sent: %q", s.auth)
	}
	d = final(d.ID)
	if d.Status != hookline.DeliveryFailed || d.AttemptCount != 1 {
		t.Fatalf("a permanent refusal: status %s after %d attempts, want failed after 1", d.Status, d.AttemptCount)
	}
	a := d.Attempts[0]
	if !strings.Contains(a.Error, "invalid number") || strings.Contains(a.Response, "tok-two-456") || !strings.Contains(a.Response, hookline.SecretMask) {
		t.Fatalf("attempt %+v: want the reason, and the token masked in the response", a)
	}

	targets.mu.Lock()
	targets.gone = true
	targets.mu.Unlock()
	if d = final(enqueue(`{"to": "+15550002"}`).ID); d.Status != hookline.DeliveryCanceled {
		t.Fatalf("a deleted target's delivery is %s, want canceled", d.Status)
	}
}

// countingTargets counts its reads, each taking a while, as a store's
// would under load.
type countingTargets struct{ reads atomic.Int64 }

func (c *countingTargets) ResolveTarget(context.Context, hookline.TargetKind, int64, int64) (*delivery.Target, error) {
	c.reads.Add(1)
	time.Sleep(5 * time.Millisecond)
	return &delivery.Target{Timeout: 2 * time.Second, Unsigned: true}, nil
}

// TestTargetReadOncePerLease: the sends of one lease, which start
// together, share one read of their target instead of each making it.
func TestTargetReadOncePerLease(t *testing.T) {
	ctx := context.Background()
	db, store, queue, client := newQueue(t)
	var got atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	const n = 40
	now := time.Now()
	for i := range n {
		if _, _, err := queue.CreateDelivery(ctx, &hookline.Delivery{CompanyID: company.ID, TargetKind: hookline.TargetConnection, TargetID: 7,
			OrderingKey: fmt.Sprint("chat-", i), MessageID: fmt.Sprint("msg_", i), NextAttemptAt: &now,
			Request: hookline.DeliveryRequest{Method: "POST", URL: rc.URL, Body: []byte("{}")}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	targets := &countingTargets{}
	w := delivery.NewWorker(delivery.Config{Store: queue, Webhooks: store, Client: client, Workers: 64, PerTarget: 64, PollInterval: time.Hour,
		Targets: map[hookline.TargetKind]delivery.TargetResolver{hookline.TargetConnection: targets}})
	w.Start()
	defer w.Stop(ctx)
	w.Wake()
	deadline := time.Now().Add(10 * time.Second)
	for got.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got.Load() < n {
		t.Fatalf("%d of %d deliveries arrived", got.Load(), n)
	}
	if reads := targets.reads.Load(); reads > 2 {
		t.Fatalf("%d deliveries leased together read their target %d times, want once per lease", n, reads)
	}
}
