package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/webhook"
)

// TestWorkersShareTheQueue runs two workers on one store, as two processes
// on one database do: every delivery is sent once, and each key's in order
// although its deliveries are leased by either worker.
func TestWorkersShareTheQueue(t *testing.T) {
	for _, dialect := range []string{sqlstore.DialectSQLite, sqlstore.DialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			var db *sqlstore.DB
			if dialect == sqlstore.DialectSQLite {
				db = storetest.SQLite(t)
			} else {
				url := pgtest.URL(t)
				var err error
				if db, err = sqlstore.Open(context.Background(), url, ""); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(context.Background(), nil); err != nil {
					t.Fatal(err)
				}
			}
			shareQueue(t, db)
		})
	}
}

func shareQueue(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	sealer := storetest.Sealer(t)
	store := sqlstore.NewWebhookStore(db, sealer)
	queue := sqlstore.NewDeliveryStore(db, sealer)
	client := egress.New(egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	exec := webhook.NewExecutor(client)

	var mu sync.Mutex
	last := map[string]int{}
	seen := map[string]int{}
	busy := map[string]bool{}
	var problems []string
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b struct {
			Seq int
			Key string
		}
		json.Unmarshal(body, &b)
		id := r.Header.Get("Webhook-Id")
		mu.Lock()
		seen[id]++
		if seen[id] > 1 {
			problems = append(problems, fmt.Sprintf("%s sent %d times", id, seen[id]))
		}
		if busy[b.Key] || b.Seq != last[b.Key]+1 {
			problems = append(problems, fmt.Sprintf("%s: %d after %d (in flight: %v)", b.Key, b.Seq, last[b.Key], busy[b.Key]))
		}
		busy[b.Key] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		busy[b.Key], last[b.Key] = false, b.Seq
		mu.Unlock()
	}))
	defer rc.Close()

	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	wh := &hookline.Webhook{CompanyID: company.ID, WebhookDefinition: hookline.WebhookDefinition{
		Name: "Events", Method: "POST", URL: rc.URL, Body: `{"seq": {{certainly.seq}}, "key": "{{certainly.key}}"}`,
	}}
	if err := webhook.Check(&wh.WebhookDefinition); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateWebhook(ctx, hookline.AdminScope(), wh); err != nil {
		t.Fatal(err)
	}

	var workers []*delivery.Worker
	for range 2 {
		w := delivery.NewWorker(delivery.Config{Store: queue, Webhooks: store, Client: client, Workers: 4, PerTarget: 4, PollInterval: 10 * time.Millisecond})
		w.Start()
		workers = append(workers, w)
	}
	wakeAll := func() {
		for _, w := range workers {
			w.Wake()
		}
	}
	svc := delivery.NewService(store, queue, exec, wakeAll)
	caller := &hookline.Caller{Tenant: company}
	const keys, per = 6, 15
	var ids []int64
	for i := 1; i <= per; i++ {
		for k := range keys {
			in := hookline.DeliveryInput{OrderingKey: fmt.Sprintf("k%d", k),
				Context: json.RawMessage(fmt.Sprintf(`{"certainly": {"seq": %d, "key": "k%d"}}`, i, k))}
			d, _, err := svc.EnqueueWebhook(ctx, caller, wh.ID, in, "")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		for {
			d, err := svc.FindDelivery(ctx, caller, id)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status == hookline.DeliverySucceeded {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %d is %s", id, d.Status)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, w := range workers {
		stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := w.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("%d problems, first %v", len(problems), problems[:min(5, len(problems))])
	}
	if len(seen) != keys*per {
		t.Fatalf("received %d deliveries, want %d", len(seen), keys*per)
	}
}

// TestStopReleasesSendsInFlight stops a worker whose send outlives the
// shutdown timeout: the send is cut off, the delivery is put back without
// an attempt, and the next worker sends it.
func TestStopReleasesSendsInFlight(t *testing.T) {
	ctx := context.Background()
	db, store, queue, client := newQueue(t)
	hang := make(chan struct{})
	arrived := make(chan struct{}, 4)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer rc.Close()
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	wh := &hookline.Webhook{CompanyID: company.ID, WebhookDefinition: hookline.WebhookDefinition{Name: "Slow", Method: "POST", URL: rc.URL, Body: `{}`}}
	if err := webhook.Check(&wh.WebhookDefinition); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateWebhook(ctx, hookline.AdminScope(), wh); err != nil {
		t.Fatal(err)
	}
	first := delivery.NewWorker(delivery.Config{Store: queue, Webhooks: store, Client: client, PollInterval: 10 * time.Millisecond})
	first.Start()
	svc := delivery.NewService(store, queue, webhook.NewExecutor(client), first.Wake)
	caller := &hookline.Caller{Tenant: company}
	d, _, err := svc.EnqueueWebhook(ctx, caller, wh.ID, hookline.DeliveryInput{Context: json.RawMessage(`{"certainly": {}}`), OrderingKey: "k"}, "")
	if err != nil {
		t.Fatal(err)
	}
	<-arrived
	stopCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := first.Stop(stopCtx); err == nil {
		t.Fatal("Stop cut a send off and reported nothing")
	}
	got, err := svc.FindDelivery(ctx, caller, d.ID)
	if err != nil || got.Status != hookline.DeliveryPending || len(got.Attempts) != 0 {
		t.Fatalf("after the cut-off: %s with %d attempts, %v", got.Status, len(got.Attempts), err)
	}
	close(hang)
	second := delivery.NewWorker(delivery.Config{Store: queue, Webhooks: store, Client: client, PollInterval: 10 * time.Millisecond})
	second.Start()
	defer second.Stop(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ = svc.FindDelivery(ctx, caller, d.ID)
		if got.Status == hookline.DeliverySucceeded && len(got.Attempts) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the released delivery is %s with %d attempts", got.Status, len(got.Attempts))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newQueue opens a SQLite store in a temporary directory with its webhooks,
// its delivery queue, and an egress client allowed to reach loopback.
func newQueue(t *testing.T) (*sqlstore.DB, *sqlstore.WebhookStore, *sqlstore.DeliveryStore, *egress.Client) {
	t.Helper()
	db := storetest.SQLite(t)
	sealer := storetest.Sealer(t)
	client := egress.New(egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	return db, sqlstore.NewWebhookStore(db, sealer), sqlstore.NewDeliveryStore(db, sealer), client
}
