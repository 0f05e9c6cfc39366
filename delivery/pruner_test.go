package delivery_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/seal"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
)

// prunerQueue is a SQLite queue with one company to queue for.
func prunerQueue(t *testing.T) (*sqlstore.DeliveryStore, int64) {
	t.Helper()
	db := storetest.SQLite(t)
	key := make([]byte, seal.KeySize)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(context.Background(), company); err != nil {
		t.Fatal(err)
	}
	return sqlstore.NewDeliveryStore(db, sealer), company.ID
}

// queueWithStatus queues a delivery and, unless status is pending, leases
// and completes it with status.
func queueWithStatus(t *testing.T, q *sqlstore.DeliveryStore, company int64, status hookline.DeliveryStatus, key string) *hookline.Delivery {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	d := &hookline.Delivery{MessageID: fmt.Sprintf("msg_prune_%d", now.UnixNano()), CompanyID: company,
		TargetKind: hookline.TargetWebhook, TargetID: 1, NextAttemptAt: &now,
		Request: hookline.DeliveryRequest{Method: "POST", URL: "https://example.com/"}}
	var idem *hookline.IdempotencyKey
	if key != "" {
		idem = &hookline.IdempotencyKey{Key: key, RequestHash: []byte(key)}
	}
	d, _, err := q.CreateDelivery(ctx, d, idem)
	if err != nil {
		t.Fatal(err)
	}
	if status == hookline.DeliveryPending {
		return d
	}
	leased, err := q.LeaseDeliveries(ctx, hookline.LeaseRequest{Token: "t", Limit: 1, Duration: time.Minute})
	if err != nil || len(leased) != 1 || leased[0].ID != d.ID {
		t.Fatalf("lease: %v, %v", leased, err)
	}
	if err := q.CompleteDeliveries(ctx, []hookline.DeliveryOutcome{{DeliveryID: d.ID, LeaseToken: "t", Status: status,
		Attempt: &hookline.DeliveryAttempt{At: now, Status: 200}}}); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPrunerAges moves the pruner's clock: succeeded deliveries go after
// the retention, failed and canceled ones after theirs, keys after a day,
// pending ones never; batches smaller than the backlog drain it.
func TestPrunerAges(t *testing.T) {
	ctx := context.Background()
	q, company := prunerQueue(t)
	var ok []*hookline.Delivery
	for range 5 {
		ok = append(ok, queueWithStatus(t, q, company, hookline.DeliverySucceeded, ""))
	}
	failed := queueWithStatus(t, q, company, hookline.DeliveryFailed, "")
	pending := queueWithStatus(t, q, company, hookline.DeliveryPending, "k1")
	disabled := time.Now()
	if err := q.SetTargetDisabled(ctx, hookline.TargetWebhook, 424242, company, &disabled); err != nil {
		t.Fatal(err)
	}

	var offset time.Duration
	var locks []string
	var mu sync.Mutex
	p := delivery.NewPruner(delivery.PrunerConfig{
		Store: q, Retention: 7 * 24 * time.Hour, FailedRetention: 30 * 24 * time.Hour, Batch: 2, Pause: time.Millisecond,
		Now: func() time.Time { return time.Now().Add(offset) },
		Lock: func(ctx context.Context, name string, fn func(ctx context.Context) error) error {
			mu.Lock()
			locks = append(locks, name)
			mu.Unlock()
			return fn(ctx)
		},
	})
	pass := func(want delivery.Pruned) {
		t.Helper()
		got, err := p.Prune(ctx)
		if err != nil || got != want {
			t.Fatalf("at +%s pruned %+v, %v; want %+v", offset, got, err, want)
		}
	}
	offset = time.Hour
	pass(delivery.Pruned{TargetStates: 1}) // no webhook 424242 exists
	offset = 25 * time.Hour
	pass(delivery.Pruned{IdempotencyKeys: 1})
	offset = 8 * 24 * time.Hour
	pass(delivery.Pruned{Succeeded: 5})
	for _, d := range ok {
		if _, err := q.FindDelivery(ctx, hookline.AdminScope(), d.ID); hookline.ErrorCode(err) != hookline.CodeNotFound {
			t.Fatalf("succeeded delivery %d: %v", d.ID, err)
		}
	}
	if _, err := q.FindDelivery(ctx, hookline.AdminScope(), failed.ID); err != nil {
		t.Fatalf("failed delivery pruned after 8 days: %v", err)
	}
	offset = 31 * 24 * time.Hour
	pass(delivery.Pruned{Failed: 1})
	offset = 10 * 365 * 24 * time.Hour
	pass(delivery.Pruned{})
	if _, err := q.FindDelivery(ctx, hookline.AdminScope(), pending.ID); err != nil {
		t.Fatalf("pending delivery: %v", err)
	}
	if len(locks) != 5 || locks[0] != delivery.PruneLock {
		t.Fatalf("locks taken: %v", locks)
	}
}

// TestPrunerStartStop: a started pruner passes at once and stops when
// told; stopping one never started returns at once.
func TestPrunerStartStop(t *testing.T) {
	q, company := prunerQueue(t)
	queueWithStatus(t, q, company, hookline.DeliverySucceeded, "")
	passes := make(chan struct{}, 16)
	p := delivery.NewPruner(delivery.PrunerConfig{Store: q, Interval: 10 * time.Millisecond,
		Now: func() time.Time { return time.Now().Add(8 * 24 * time.Hour) },
		Lock: func(ctx context.Context, name string, fn func(ctx context.Context) error) error {
			err := fn(ctx)
			select {
			case passes <- struct{}{}:
			default:
			}
			return err
		},
	})
	p.Start()
	for range 2 {
		select {
		case <-passes:
		case <-time.After(5 * time.Second):
			t.Fatal("the pruner did not pass")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if left, _ := q.FindDeliveries(context.Background(), hookline.DeliveryFilter{Scope: hookline.AdminScope()}); len(left) != 0 {
		t.Fatalf("%d deliveries left", len(left))
	}
	idle := delivery.NewPruner(delivery.PrunerConfig{Store: q})
	if err := idle.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
