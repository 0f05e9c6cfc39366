package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/seal"
	"github.com/hookline/hookline/sqlstore"
)

// deliveryDueAt queues a delivery for target of company, due at due.
func deliveryDueAt(t *testing.T, ds *sqlstore.DeliveryStore, company, target int64, due time.Time, key *hookline.IdempotencyKey) *hookline.Delivery {
	t.Helper()
	deliverySeq++
	d := &hookline.Delivery{
		MessageID: fmt.Sprintf("msg_upkeep_%d_%d", time.Now().UnixNano(), deliverySeq), CompanyID: company,
		TargetKind: hookline.TargetWebhook, TargetID: target, NextAttemptAt: &due,
		Request: hookline.DeliveryRequest{Method: "POST", URL: "https://example.com/hook", Header: http.Header{}},
	}
	out, existed, err := ds.CreateDelivery(context.Background(), d, key)
	if err != nil || existed {
		t.Fatalf("create delivery: %v (existed %v)", err, existed)
	}
	return out
}

// finish leases d alone and completes it with status.
func finish(t *testing.T, ds *sqlstore.DeliveryStore, d *hookline.Delivery, status hookline.DeliveryStatus) {
	t.Helper()
	got := lease(t, ds, hookline.LeaseRequest{Token: "finish", Limit: 100})
	found := false
	var others []int64
	for _, l := range got {
		if l.ID == d.ID {
			found = true
			continue
		}
		others = append(others, l.ID)
	}
	if !found {
		t.Fatalf("delivery %d was not leased: %v", d.ID, deliveryIDs(got))
	}
	if err := ds.ReleaseDeliveries(context.Background(), "finish", others); err != nil {
		t.Fatal(err)
	}
	complete(t, ds, hookline.DeliveryOutcome{DeliveryID: d.ID, LeaseToken: "finish", Status: status,
		Attempt: &hookline.DeliveryAttempt{At: time.Now(), Status: 500, ErrorKind: hookline.ErrHTTPStatus, Error: "500"}})
}

// exerciseQueueStats checks the counts and the oldest due time the
// metrics read.
func exerciseQueueStats(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)
	st, err := ds.QueueStats(ctx)
	if err != nil || st.Pending != 0 || st.Sending != 0 || !st.OldestDue.IsZero() {
		t.Fatalf("stats of an empty queue: %+v, %v", st, err)
	}
	now := time.Now()
	early := deliveryDueAt(t, ds, f.A1.ID, 1, now.Add(-time.Hour), nil)
	deliveryDueAt(t, ds, f.B1.ID, 2, now.Add(time.Hour), nil)
	middle := deliveryDueAt(t, ds, f.S.ID, 3, now.Add(-time.Minute), nil)
	st, err = ds.QueueStats(ctx)
	if err != nil || st.Pending != 3 || st.Sending != 0 || st.OldestDue.Sub(now.Add(-time.Hour)).Abs() > time.Millisecond {
		t.Fatalf("stats of 3 pending: %+v, %v", st, err)
	}
	// The lease takes the earliest first: the oldest pending is then the
	// next one, and the leased one counts as sending.
	got := lease(t, ds, hookline.LeaseRequest{Token: "s", Limit: 1})
	if len(got) != 1 || got[0].ID != early.ID {
		t.Fatalf("leased %v, want %d", deliveryIDs(got), early.ID)
	}
	st, err = ds.QueueStats(ctx)
	if err != nil || st.Pending != 2 || st.Sending != 1 || st.OldestDue.Sub(now.Add(-time.Minute)).Abs() > time.Millisecond {
		t.Fatalf("stats with one sending: %+v, %v", st, err)
	}
	// Final deliveries are not in the queue.
	complete(t, ds, succeeded(got[0]))
	finish(t, ds, middle, hookline.DeliveryFailed)
	st, err = ds.QueueStats(ctx)
	if err != nil || st.Pending != 1 || st.Sending != 0 || st.OldestDue.Sub(now.Add(time.Hour)).Abs() > time.Millisecond {
		t.Fatalf("stats after completions: %+v, %v", st, err)
	}
}

// exerciseDeliveryRetention checks pruning: final deliveries by status and
// age, in batches, with their attempts and idempotency keys; never a live
// one; old idempotency keys; the states of deleted targets.
func exerciseDeliveryRetention(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)
	now := time.Now()
	key := &hookline.IdempotencyKey{Key: "order-1", RequestHash: []byte{1}}
	oldOK := deliveryDueAt(t, ds, f.A1.ID, 1, now, key)
	finish(t, ds, oldOK, hookline.DeliverySucceeded)
	oldFailed := deliveryDueAt(t, ds, f.A1.ID, 1, now, nil)
	finish(t, ds, oldFailed, hookline.DeliveryFailed)
	retried := deliveryDueAt(t, ds, f.A1.ID, 1, now, nil)
	finish(t, ds, retried, hookline.DeliveryFailed)
	oldCanceled := deliveryDueAt(t, ds, f.B1.ID, 2, now, nil)
	if n, err := ds.CancelTargetDeliveries(ctx, hookline.TargetWebhook, 2); err != nil || n != 1 {
		t.Fatalf("cancel: %d, %v", n, err)
	}
	pending := deliveryDueAt(t, ds, f.S.ID, 3, now.Add(time.Hour), nil)
	sending := deliveryDueAt(t, ds, f.S.ID, 4, now, nil)
	if got := lease(t, ds, hookline.LeaseRequest{Token: "live"}); len(got) != 1 || got[0].ID != sending.ID {
		t.Fatalf("leased %v", deliveryIDs(got))
	}
	// The sleep only separates the timestamps of the two groups; the ages
	// are given by the before argument.
	time.Sleep(2 * time.Millisecond)
	mid := time.Now()
	time.Sleep(2 * time.Millisecond)
	newOK := deliveryDueAt(t, ds, f.A1.ID, 1, now, nil)
	finish(t, ds, newOK, hookline.DeliverySucceeded)
	// A failed delivery retried by hand is live again, however old it was.
	if n, err := ds.RetryDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.AdminScope()}, retried.ID); err != nil || n != 1 {
		t.Fatalf("retry: %d, %v", n, err)
	}

	if _, err := ds.PruneDeliveries(ctx, hookline.DeliveryPending, mid, 10); err == nil {
		t.Fatal("pruning pending deliveries was accepted")
	}
	prune := func(status hookline.DeliveryStatus, before time.Time, limit, want int) {
		t.Helper()
		n, err := ds.PruneDeliveries(ctx, status, before, limit)
		if err != nil || n != want {
			t.Fatalf("prune %s before %s (limit %d): %d, %v; want %d", status, before.Format(time.RFC3339Nano), limit, n, err, want)
		}
	}
	exists := func(d *hookline.Delivery, want bool) {
		t.Helper()
		_, err := ds.FindDelivery(ctx, hookline.AdminScope(), d.ID)
		switch {
		case want && err != nil:
			t.Fatalf("delivery %d: %v", d.ID, err)
		case !want && hookline.ErrorCode(err) != hookline.CodeNotFound:
			t.Fatalf("delivery %d was not pruned: %v", d.ID, err)
		}
	}
	prune(hookline.DeliverySucceeded, now.Add(-time.Hour), 10, 0)
	prune(hookline.DeliverySucceeded, mid, 10, 1)
	exists(oldOK, false)
	exists(newOK, true)
	// Its idempotency key went with it: the key queues a new delivery.
	deliveryDueAt(t, ds, f.A1.ID, 1, now, key)
	prune(hookline.DeliveryFailed, mid, 10, 1)
	prune(hookline.DeliveryCanceled, mid, 10, 1)
	exists(oldFailed, false)
	exists(oldCanceled, false)
	exists(retried, true)
	// Live deliveries stay whatever the age; the batch limit holds.
	far := now.Add(365 * 24 * time.Hour)
	for _, s := range []hookline.DeliveryStatus{hookline.DeliveryFailed, hookline.DeliveryCanceled} {
		prune(s, far, 10, 0)
	}
	extra := deliveryDueAt(t, ds, f.A2.ID, 5, now, nil)
	finish(t, ds, extra, hookline.DeliverySucceeded)
	prune(hookline.DeliverySucceeded, far, 1, 1)
	prune(hookline.DeliverySucceeded, far, 1, 1)
	prune(hookline.DeliverySucceeded, far, 1, 0)
	exists(newOK, false)
	for _, d := range []*hookline.Delivery{pending, sending, retried} {
		exists(d, true)
	}

	// Idempotency keys: forgotten by age; their deliveries stay.
	other := &hookline.IdempotencyKey{Key: "order-2", RequestHash: []byte{2}}
	keyed := deliveryDueAt(t, ds, f.A2.ID, 6, now, other)
	if n, err := ds.PruneIdempotencyKeys(ctx, now.Add(-time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("prune keys older than an hour: %d, %v", n, err)
	}
	if n, err := ds.PruneIdempotencyKeys(ctx, far, 1); err != nil || n != 1 {
		t.Fatalf("prune keys, limit 1: %d, %v", n, err)
	}
	if n, err := ds.PruneIdempotencyKeys(ctx, far, 10); err != nil || n != 1 {
		t.Fatalf("prune the other key: %d, %v", n, err)
	}
	exists(keyed, true)
	if again := deliveryDueAt(t, ds, f.A2.ID, 6, now, other); again.ID == keyed.ID {
		t.Fatal("a forgotten key still answered its delivery")
	}

	// Target states: those of missing webhooks go, a live webhook's stay.
	sk := make([]byte, seal.KeySize)
	_, _ = rand.Read(sk)
	sealer, err := seal.New(sk)
	if err != nil {
		t.Fatal(err)
	}
	ws := sqlstore.NewWebhookStore(db, sealer)
	wh := fullWebhook(f.A1.ID, "Kept")
	if err := ws.CreateWebhook(ctx, hookline.AdminScope(), wh); err != nil {
		t.Fatal(err)
	}
	at := now
	for _, id := range []int64{wh.ID, wh.ID + 1000, wh.ID + 1001} {
		if err := ds.SetTargetDisabled(ctx, hookline.TargetWebhook, id, f.A1.ID, &at); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.RotateSigningSecret(ctx, hookline.TargetWebhook, wh.ID, f.A1.ID, "whsec_kept", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{1, 1, 0} {
		if n, err := ds.PruneTargetStates(ctx, 1); err != nil || n != want {
			t.Fatalf("prune target states: %d, %v; want %d", n, err, want)
		}
	}
	states, err := ds.FindTargetStates(ctx, hookline.TargetWebhook, []int64{wh.ID, wh.ID + 1000, wh.ID + 1001})
	if err != nil || len(states) != 1 || !states[wh.ID].HasSigningSecret {
		t.Fatalf("states after pruning: %+v, %v", states, err)
	}
	if err := ws.DeleteWebhook(ctx, hookline.AdminScope(), wh.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := ds.PruneTargetStates(ctx, 10); err != nil || n != 1 {
		t.Fatalf("prune the state of a deleted webhook: %d, %v", n, err)
	}
	if s, err := ds.FindSigningSecret(ctx, hookline.TargetWebhook, wh.ID); err != nil || s != nil {
		t.Fatalf("a deleted webhook's signing secret: %+v, %v", s, err)
	}
}
