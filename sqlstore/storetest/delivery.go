package storetest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// deliveryStore opens a store and its delivery queue.
func deliveryStore(t *testing.T, open Open) (*sqlstore.DB, *sqlstore.DeliveryStore) {
	t.Helper()
	db := open(t)
	sealer := Sealer(t)
	return db, sqlstore.NewDeliveryStore(db, sealer)
}

var deliverySeq int

// newDelivery queues a delivery for target of company, due now.
func newDelivery(t *testing.T, ds *sqlstore.DeliveryStore, company, target int64, key string) *hookline.Delivery {
	t.Helper()
	deliverySeq++
	now := time.Now()
	d := &hookline.Delivery{
		MessageID: fmt.Sprintf("msg_test_%d_%d", time.Now().UnixNano(), deliverySeq), CompanyID: company,
		TargetKind: hookline.TargetWebhook, TargetID: target, OrderingKey: key, NextAttemptAt: &now,
		Request: hookline.DeliveryRequest{Method: "POST", URL: "https://example.com/hook", Header: http.Header{"X-A": {"1"}}, Body: []byte(`{"n":1}`)},
	}
	out, existed, err := ds.CreateDelivery(context.Background(), d, nil)
	if err != nil || existed {
		t.Fatalf("create delivery: %v (existed %v)", err, existed)
	}
	return out
}

func lease(t *testing.T, ds *sqlstore.DeliveryStore, req hookline.LeaseRequest) []*hookline.Delivery {
	t.Helper()
	if req.Duration == 0 {
		req.Duration = time.Minute
	}
	if req.Limit == 0 {
		req.Limit = 100
	}
	got, err := ds.LeaseDeliveries(context.Background(), req)
	if err != nil {
		t.Fatalf("lease: %v", err)
	}
	return got
}

func deliveryIDs(ds []*hookline.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	slices.Sort(out)
	return out
}

func complete(t *testing.T, ds *sqlstore.DeliveryStore, outcomes ...hookline.DeliveryOutcome) {
	t.Helper()
	if err := ds.CompleteDeliveries(context.Background(), outcomes); err != nil {
		t.Fatalf("complete: %v", err)
	}
}

func succeeded(d *hookline.Delivery) hookline.DeliveryOutcome {
	return hookline.DeliveryOutcome{DeliveryID: d.ID, LeaseToken: d.LeaseToken, Status: hookline.DeliverySucceeded,
		Attempt: &hookline.DeliveryAttempt{At: time.Now(), Status: 200, DurationMS: 1.5, Response: "ok"}}
}

func exerciseDeliveries(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)

	d := newDelivery(t, ds, f.A1.ID, 10, "chat-1")
	if d.ID == 0 || d.Status != hookline.DeliveryPending || d.CreatedAt.IsZero() {
		t.Fatalf("created delivery %+v", d)
	}
	got, err := ds.FindDelivery(ctx, hookline.TenantScope(f.A), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageID != d.MessageID || got.OrderingKey != "chat-1" || string(got.Request.Body) != `{"n":1}` ||
		got.Request.Header.Get("X-A") != "1" || got.Request.URL != "https://example.com/hook" || len(got.Attempts) != 0 {
		t.Fatalf("found %+v", got)
	}
	for _, scope := range []hookline.Scope{hookline.TenantScope(f.B), hookline.TenantScope(f.A2), hookline.TenantScope(f.S)} {
		_, err := ds.FindDelivery(ctx, scope, d.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
	}

	// Idempotency keys: the same request answers the first delivery, a
	// different one is a conflict.
	key := &hookline.IdempotencyKey{Key: "k1", RequestHash: []byte{1, 2, 3}}
	now := time.Now()
	first, existed, err := ds.CreateDelivery(ctx, &hookline.Delivery{MessageID: "msg_idem_1", CompanyID: f.A1.ID, TargetKind: hookline.TargetWebhook, TargetID: 11, NextAttemptAt: &now}, key)
	if err != nil || existed {
		t.Fatalf("first use of a key: %v, existed %v", err, existed)
	}
	again, existed, err := ds.CreateDelivery(ctx, &hookline.Delivery{MessageID: "msg_idem_2", CompanyID: f.A1.ID, TargetKind: hookline.TargetWebhook, TargetID: 11, NextAttemptAt: &now}, key)
	if err != nil || !existed || again.ID != first.ID || again.MessageID != "msg_idem_1" {
		t.Fatalf("second use of a key: %+v, existed %v, %v", again, existed, err)
	}
	_, _, err = ds.CreateDelivery(ctx, &hookline.Delivery{MessageID: "msg_idem_3", CompanyID: f.A1.ID, TargetKind: hookline.TargetWebhook, TargetID: 11, NextAttemptAt: &now},
		&hookline.IdempotencyKey{Key: "k1", RequestHash: []byte{9}})
	wantCode(t, err, hookline.CodeConflict, "Idempotency-Key")
	// Another target has keys of its own.
	if _, existed, err := ds.CreateDelivery(ctx, &hookline.Delivery{MessageID: "msg_idem_4", CompanyID: f.A1.ID, TargetKind: hookline.TargetWebhook, TargetID: 12, NextAttemptAt: &now}, key); err != nil || existed {
		t.Fatalf("a key of another target: %v, existed %v", err, existed)
	}

	// Listing: newest first, filtered, paged, scoped.
	b := newDelivery(t, ds, f.B1.ID, 20, "")
	all, err := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.AdminScope()})
	if err != nil || len(all) != 4 || all[0].ID != b.ID || !slices.IsSortedFunc(all, func(x, y *hookline.Delivery) int { return int(y.ID - x.ID) }) {
		t.Fatalf("all deliveries: %d, %v", len(all), err)
	}
	mine, _ := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.TenantScope(f.B)})
	if len(mine) != 1 || mine[0].ID != b.ID {
		t.Fatalf("agency B sees %v", deliveryIDs(mine))
	}
	chat := "chat-1"
	byKey, _ := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.AdminScope(), OrderingKey: &chat})
	byTarget, _ := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.AdminScope(), TargetKind: hookline.TargetWebhook, TargetID: 11})
	if len(byKey) != 1 || byKey[0].ID != d.ID || len(byTarget) != 1 || byTarget[0].ID != first.ID {
		t.Fatalf("by key %v, by target %v", deliveryIDs(byKey), deliveryIDs(byTarget))
	}
	page, _ := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.AdminScope(), Before: all[1].ID, Limit: 2})
	if len(page) != 2 || page[0].ID != all[2].ID || page[1].ID != all[3].ID {
		t.Fatalf("page before %d: %v", all[1].ID, deliveryIDs(page))
	}
	failedOnes, _ := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.AdminScope(), Status: hookline.DeliveryFailed})
	if len(failedOnes) != 0 {
		t.Fatalf("failed deliveries: %v", deliveryIDs(failedOnes))
	}
}

// exerciseDeliveryLeases checks the queue's semantics: order per key, the
// limits, completions, lease expiry and retries.
func exerciseDeliveryLeases(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)

	a1 := newDelivery(t, ds, f.A1.ID, 1, "a")
	a2 := newDelivery(t, ds, f.A1.ID, 1, "a")
	a3 := newDelivery(t, ds, f.A1.ID, 1, "a")
	b1 := newDelivery(t, ds, f.A1.ID, 1, "b")
	free := newDelivery(t, ds, f.A1.ID, 1, "")
	other := newDelivery(t, ds, f.A1.ID, 2, "a") // another target's key "a"

	got := lease(t, ds, hookline.LeaseRequest{Token: "t1"})
	if want := []int64{a1.ID, b1.ID, free.ID, other.ID}; !slices.Equal(deliveryIDs(got), want) {
		t.Fatalf("first lease = %v, want the heads of each key and the unordered one %v", deliveryIDs(got), want)
	}
	for _, d := range got {
		if d.Status != hookline.DeliverySending || d.LeaseToken != "t1" {
			t.Fatalf("leased %+v", d)
		}
	}
	if again := lease(t, ds, hookline.LeaseRequest{Token: "t2"}); len(again) != 0 {
		t.Fatalf("a second lease took %v while the heads are sending", deliveryIDs(again))
	}
	byID := map[int64]*hookline.Delivery{}
	for _, d := range got {
		byID[d.ID] = d
	}
	// a1 fails and is retried later: a2 still waits behind it.
	retryAt := time.Now().Add(300 * time.Millisecond)
	attemptAt := time.Now().Add(-time.Second)
	complete(t, ds, hookline.DeliveryOutcome{DeliveryID: a1.ID, LeaseToken: "t1", Status: hookline.DeliveryPending, NextAttemptAt: retryAt,
		Attempt: &hookline.DeliveryAttempt{At: attemptAt, Status: 503, DurationMS: 12.25, ErrorKind: hookline.ErrHTTPStatus, Error: "503", Response: "down"}})
	// What is recorded reads back as it was given, times to the
	// microsecond.
	if d, _ := ds.FindDelivery(ctx, hookline.AdminScope(), a1.ID); d.Status != hookline.DeliveryPending || d.NextAttemptAt == nil ||
		!d.NextAttemptAt.Equal(retryAt.Truncate(time.Microsecond)) || d.AttemptCount != 1 || len(d.Attempts) != 1 ||
		!d.Attempts[0].At.Equal(attemptAt.Truncate(time.Microsecond)) || d.Attempts[0].N != 1 || d.Attempts[0].Status != 503 ||
		d.Attempts[0].DurationMS != 12.25 || d.Attempts[0].ErrorKind != hookline.ErrHTTPStatus || d.Attempts[0].Response != "down" {
		t.Fatalf("a1 after its first attempt: %+v, next %v, attempts %+v", d, d.NextAttemptAt, d.Attempts)
	}
	if again := lease(t, ds, hookline.LeaseRequest{Token: "t2"}); len(again) != 0 {
		t.Fatalf("leased %v behind a head waiting for its retry", deliveryIDs(again))
	}
	// A completion under a stale token records the attempt but leaves the
	// delivery alone.
	complete(t, ds, hookline.DeliveryOutcome{DeliveryID: b1.ID, LeaseToken: "stale", Status: hookline.DeliverySucceeded, Attempt: &hookline.DeliveryAttempt{At: time.Now(), Status: 200}})
	if d, _ := ds.FindDelivery(ctx, hookline.AdminScope(), b1.ID); d.Status != hookline.DeliverySending || len(d.Attempts) != 1 {
		t.Fatalf("after a stale completion: %s with %d attempts", d.Status, len(d.Attempts))
	}
	complete(t, ds, succeeded(byID[b1.ID]), succeeded(byID[free.ID]), succeeded(byID[other.ID]))
	d, _ := ds.FindDelivery(ctx, hookline.AdminScope(), b1.ID)
	if d.Status != hookline.DeliverySucceeded || d.NextAttemptAt != nil || d.AttemptCount != 2 || len(d.Attempts) != 2 || d.Attempts[1].N != 2 || d.Attempts[1].Response != "ok" {
		t.Fatalf("succeeded delivery %+v", d)
	}
	// Once a1's retry is due it is leased again; it fails for good, and
	// a2 goes next, then a3.
	time.Sleep(time.Until(retryAt))
	got = lease(t, ds, hookline.LeaseRequest{Token: "t3"})
	if !slices.Equal(deliveryIDs(got), []int64{a1.ID}) {
		t.Fatalf("lease after a1's retry is due = %v", deliveryIDs(got))
	}
	complete(t, ds, hookline.DeliveryOutcome{DeliveryID: a1.ID, LeaseToken: "t3", Status: hookline.DeliveryFailed, Attempt: &hookline.DeliveryAttempt{At: time.Now(), Status: 400}})
	got = lease(t, ds, hookline.LeaseRequest{Token: "t4"})
	if !slices.Equal(deliveryIDs(got), []int64{a2.ID}) {
		t.Fatalf("after a1 failed, lease = %v, want a2", deliveryIDs(got))
	}
	// A retry by hand of a1 while a2 is sending: a1 waits for a2 to end,
	// then goes before a3.
	if _, err := ds.RetryDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.TenantScope(f.B)}, a1.ID); hookline.ErrorCode(err) != hookline.CodeNotFound {
		t.Fatalf("retry outside the scope: %v", err)
	}
	if _, err := ds.RetryDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.AdminScope()}, a2.ID); hookline.ErrorCode(err) != hookline.CodeConflict {
		t.Fatalf("retry of a sending delivery: %v", err)
	}
	if n, err := ds.RetryDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.TenantScope(f.A1)}, a1.ID); err != nil || n != 1 {
		t.Fatalf("retry a1: %d, %v", n, err)
	}
	if again := lease(t, ds, hookline.LeaseRequest{Token: "t5"}); len(again) != 0 {
		t.Fatalf("leased %v while a2 is sending", deliveryIDs(again))
	}
	complete(t, ds, succeeded(got[0]))
	for _, want := range []int64{a1.ID, a3.ID} {
		got = lease(t, ds, hookline.LeaseRequest{Token: "t6"})
		if !slices.Equal(deliveryIDs(got), []int64{want}) {
			t.Fatalf("lease = %v, want %d", deliveryIDs(got), want)
		}
		complete(t, ds, succeeded(got[0]))
	}

	// A lease that expires is taken over; the old holder's completion is
	// then ignored.
	x := newDelivery(t, ds, f.A2.ID, 3, "x")
	got = lease(t, ds, hookline.LeaseRequest{Token: "dead", Duration: time.Millisecond})
	if !slices.Equal(deliveryIDs(got), []int64{x.ID}) {
		t.Fatalf("lease = %v", deliveryIDs(got))
	}
	time.Sleep(5 * time.Millisecond)
	got = lease(t, ds, hookline.LeaseRequest{Token: "alive"})
	if !slices.Equal(deliveryIDs(got), []int64{x.ID}) || got[0].LeaseToken != "alive" {
		t.Fatalf("an expired lease was not taken over: %v", deliveryIDs(got))
	}
	complete(t, ds, hookline.DeliveryOutcome{DeliveryID: x.ID, LeaseToken: "dead", Status: hookline.DeliveryFailed})
	complete(t, ds, succeeded(got[0]))
	if d, _ := ds.FindDelivery(ctx, hookline.AdminScope(), x.ID); d.Status != hookline.DeliverySucceeded {
		t.Fatalf("taken-over delivery is %s", d.Status)
	}

	// Per-target limit and the excluded company.
	for range 3 {
		newDelivery(t, ds, f.B1.ID, 4, "")
	}
	s := newDelivery(t, ds, f.S.ID, 5, "")
	got = lease(t, ds, hookline.LeaseRequest{Token: "c", ExcludeCompany: f.B1.ID})
	if !slices.Equal(deliveryIDs(got), []int64{s.ID}) {
		t.Fatalf("lease excluding B1 = %v", deliveryIDs(got))
	}
	got = lease(t, ds, hookline.LeaseRequest{Token: "p", Limit: 2, PerTarget: 2})
	if len(got) != 2 {
		t.Fatalf("lease of 2 = %v", deliveryIDs(got))
	}
	if again := lease(t, ds, hookline.LeaseRequest{Token: "p", PerTarget: 2}); len(again) != 0 {
		t.Fatalf("leased %v beyond the per-target limit", deliveryIDs(again))
	}
	if err := ds.ReleaseDeliveries(ctx, "p", []int64{got[0].ID}); err != nil {
		t.Fatal(err)
	}
	// The limit admits a lease while the target has fewer deliveries
	// sending; the worker trims a batch that would overshoot it.
	if again := lease(t, ds, hookline.LeaseRequest{Token: "q", Limit: 1, PerTarget: 2}); len(again) != 1 {
		t.Fatalf("after a release, leased %v", deliveryIDs(again))
	}
	if again := lease(t, ds, hookline.LeaseRequest{Token: "q", PerTarget: 2}); len(again) != 0 {
		t.Fatalf("leased %v beyond the per-target limit", deliveryIDs(again))
	}
}

// exerciseDeliveryTargets checks disabling (410), cancelling and signing
// secrets.
func exerciseDeliveryTargets(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)
	head := newDelivery(t, ds, f.A1.ID, 7, "k")
	waiting := newDelivery(t, ds, f.A1.ID, 7, "k")
	got := lease(t, ds, hookline.LeaseRequest{Token: "t"})
	if len(got) != 1 {
		t.Fatalf("lease = %v", deliveryIDs(got))
	}
	complete(t, ds, hookline.DeliveryOutcome{DeliveryID: head.ID, LeaseToken: "t", Status: hookline.DeliveryFailed, DisableTarget: true,
		Attempt: &hookline.DeliveryAttempt{At: time.Now(), Status: 410, ErrorKind: hookline.ErrHTTPStatus}})
	at, err := ds.TargetDisabledAt(ctx, hookline.TargetWebhook, 7)
	if err != nil || at == nil {
		t.Fatalf("disabled at %v, %v", at, err)
	}
	if d, _ := ds.FindDelivery(ctx, hookline.AdminScope(), waiting.ID); d.Status != hookline.DeliveryFailed {
		t.Fatalf("what waited for a disabled target is %s", d.Status)
	}
	if err := ds.SetTargetDisabled(ctx, hookline.TargetWebhook, 7, f.A1.ID, nil); err != nil {
		t.Fatal(err)
	}
	if at, err := ds.TargetDisabledAt(ctx, hookline.TargetWebhook, 7); err != nil || at != nil {
		t.Fatalf("re-enabled target disabled at %v, %v", at, err)
	}
	if at, err := ds.TargetDisabledAt(ctx, hookline.TargetWebhook, 999); err != nil || at != nil {
		t.Fatalf("unknown target disabled at %v, %v", at, err)
	}

	c := newDelivery(t, ds, f.A1.ID, 8, "")
	if n, err := ds.CancelTargetDeliveries(ctx, hookline.TargetWebhook, 8); err != nil || n != 1 {
		t.Fatalf("cancel: %d, %v", n, err)
	}
	if d, _ := ds.FindDelivery(ctx, hookline.AdminScope(), c.ID); d.Status != hookline.DeliveryCanceled || d.NextAttemptAt != nil {
		t.Fatalf("canceled delivery %+v", d)
	}
	if n, err := ds.RetryDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.TenantScope(f.A)}, 0); err != nil || n != 3 {
		t.Fatalf("bulk retry of agency A: %d, %v", n, err)
	}

	if s, err := ds.FindSigningSecret(ctx, hookline.TargetWebhook, 7); err != nil || s != nil {
		t.Fatalf("secret before any: %v, %v", s, err)
	}
	until := time.Now().Add(24 * time.Hour)
	if err := ds.RotateSigningSecret(ctx, hookline.TargetWebhook, 7, f.A1.ID, "whsec_one", until); err != nil {
		t.Fatal(err)
	}
	s, err := ds.FindSigningSecret(ctx, hookline.TargetWebhook, 7)
	if err != nil || s.Secret != "whsec_one" || s.Previous != "" {
		t.Fatalf("first secret %+v, %v", s, err)
	}
	if err := ds.RotateSigningSecret(ctx, hookline.TargetWebhook, 7, f.A1.ID, "whsec_two", until); err != nil {
		t.Fatal(err)
	}
	s, err = ds.FindSigningSecret(ctx, hookline.TargetWebhook, 7)
	if err != nil || s.Secret != "whsec_two" || s.Previous != "whsec_one" || s.PreviousUntil.Sub(until).Abs() > time.Millisecond {
		t.Fatalf("rotated secret %+v, %v", s, err)
	}
	// Rotating keeps the disabled state, and disabling keeps the secret.
	now := time.Now()
	if err := ds.SetTargetDisabled(ctx, hookline.TargetWebhook, 7, f.A1.ID, &now); err != nil {
		t.Fatal(err)
	}
	if s, _ := ds.FindSigningSecret(ctx, hookline.TargetWebhook, 7); s == nil || s.Secret != "whsec_two" {
		t.Fatalf("disabling lost the secret: %+v", s)
	}
	states, err := ds.FindTargetStates(ctx, hookline.TargetWebhook, []int64{7, 8, 999})
	if err != nil || len(states) != 1 || states[7].DisabledAt == nil || !states[7].HasSigningSecret {
		t.Fatalf("target states %+v, %v", states, err)
	}
	if err := ds.RotateSigningSecret(ctx, hookline.TargetWebhook, 8, f.A1.ID, "whsec_three", until); err != nil {
		t.Fatal(err)
	}
	states, _ = ds.FindTargetStates(ctx, hookline.TargetWebhook, []int64{7, 8})
	if st := states[8]; st.DisabledAt != nil || !st.HasSigningSecret || len(states) != 2 {
		t.Fatalf("target states %+v", states)
	}
}

// exerciseDeliveryConcurrency has several lessees take and complete
// deliveries at once, as several workers and processes do: each delivery
// is leased once while its lease holds, and the deliveries of one key are
// leased in id order, each only after the one before it completed.
func exerciseDeliveryConcurrency(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)
	const keys, perKey = 5, 8
	want := map[string][]int64{}
	for range perKey {
		for k := range keys {
			key := fmt.Sprintf("k%d", k)
			want[key] = append(want[key], newDelivery(t, ds, f.A1.ID, 1, key).ID)
		}
	}
	var mu sync.Mutex
	got := map[string][]int64{}
	leasedBy := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			token := fmt.Sprintf("w%d", w)
			for idle := 0; idle < 50; {
				leased, err := ds.LeaseDeliveries(ctx, hookline.LeaseRequest{Token: token, Limit: 3, Duration: time.Minute})
				if hookline.ErrorCode(err) == hookline.CodeUnavailable {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if len(leased) == 0 {
					idle++
					time.Sleep(2 * time.Millisecond)
					continue
				}
				idle = 0
				var outs []hookline.DeliveryOutcome
				mu.Lock()
				for _, d := range leased {
					if prev, dup := leasedBy[d.ID]; dup {
						mu.Unlock()
						errs <- fmt.Errorf("delivery %d leased by %s and again by %s", d.ID, prev, token)
						return
					}
					leasedBy[d.ID] = token
					got[d.OrderingKey] = append(got[d.OrderingKey], d.ID)
					outs = append(outs, succeeded(d))
				}
				mu.Unlock()
				for {
					err := ds.CompleteDeliveries(ctx, outs)
					if hookline.ErrorCode(err) == hookline.CodeUnavailable {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for key, ids := range want {
		if !slices.Equal(got[key], ids) {
			t.Fatalf("key %s went out as %v, want %v", key, got[key], ids)
		}
	}
}

// exerciseDeliveryBatchCompletion records a large batch of mixed outcomes
// at once, as the worker does under load: each delivery ends as its own
// outcome says, with its own attempt, whatever the others in the batch.
func exerciseDeliveryBatchCompletion(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)
	const n = 150
	for i := range n {
		newDelivery(t, ds, f.A1.ID, 1, fmt.Sprint("k", i))
	}
	got := lease(t, ds, hookline.LeaseRequest{Token: "batch", Limit: 200})
	if len(got) != n {
		t.Fatalf("leased %d of %d", len(got), n)
	}
	slices.SortFunc(got, func(a, b *hookline.Delivery) int { return int(a.ID - b.ID) })
	retryAt := time.Now().Add(time.Hour)
	var outcomes []hookline.DeliveryOutcome
	for i, d := range got {
		o := hookline.DeliveryOutcome{DeliveryID: d.ID, LeaseToken: d.LeaseToken, Status: hookline.DeliverySucceeded,
			Attempt: &hookline.DeliveryAttempt{At: time.Now(), Status: 200 + i%7, DurationMS: float64(i), Response: fmt.Sprint("answer ", i)}}
		switch i % 5 {
		case 0:
			o.Status, o.Attempt.Status, o.Attempt.ErrorKind, o.Attempt.Error = hookline.DeliveryFailed, 400, hookline.ErrHTTPStatus, "the endpoint answered 400"
		case 1:
			o.Status, o.NextAttemptAt, o.Attempt.Status = hookline.DeliveryPending, retryAt, 503
		case 2:
			o.Status, o.Attempt = hookline.DeliveryCanceled, nil
		case 3:
			o.LeaseToken = "stale"
		}
		outcomes = append(outcomes, o)
	}
	complete(t, ds, outcomes...)
	for i, d := range got {
		d, err := ds.FindDelivery(ctx, hookline.AdminScope(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, attempts := hookline.DeliverySucceeded, 1
		switch i % 5 {
		case 0:
			want = hookline.DeliveryFailed
		case 1:
			want = hookline.DeliveryPending
		case 2:
			want, attempts = hookline.DeliveryCanceled, 0
		case 3:
			want = hookline.DeliverySending // another lease's: only its attempt counts
		}
		if d.Status != want || d.AttemptCount != attempts || len(d.Attempts) != attempts {
			t.Fatalf("delivery %d (outcome %d): %s with %d attempts (%d listed), want %s with %d", d.ID, i, d.Status, d.AttemptCount, len(d.Attempts), want, attempts)
		}
		if i%5 == 1 && (d.NextAttemptAt == nil || d.NextAttemptAt.Sub(retryAt).Abs() > time.Millisecond) {
			t.Fatalf("delivery %d: next attempt %v, want %v", d.ID, d.NextAttemptAt, retryAt)
		}
		if attempts == 1 {
			a := d.Attempts[0]
			if a.Status != outcomes[i].Attempt.Status || a.Response != fmt.Sprint("answer ", i) || a.DurationMS != float64(i) {
				t.Fatalf("delivery %d: attempt %+v, want status %d and its own answer", d.ID, a, outcomes[i].Attempt.Status)
			}
		}
	}
}

// exerciseDeliveryFullTarget: a target at its limit of deliveries sending
// holds back its own backlog only. The deliveries of other targets, queued
// after that backlog, are leased in the same lease, oldest first and each
// key in order; and a target below its limit again is leased again.
func exerciseDeliveryFullTarget(t *testing.T, open Open) {
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)
	for i := range 60 {
		newDelivery(t, ds, f.A1.ID, 1, fmt.Sprint("busy-", i%7))
	}
	first := lease(t, ds, hookline.LeaseRequest{Token: "a", Limit: 2, PerTarget: 2})
	if len(first) != 2 || first[0].TargetID != 1 || first[1].TargetID != 1 {
		t.Fatalf("first lease: %v", deliveryIDs(first))
	}
	var later []*hookline.Delivery
	for _, target := range []int64{2, 3, 4} {
		for i := range 3 {
			later = append(later, newDelivery(t, ds, f.A1.ID, target, fmt.Sprint("key-", i%2)))
		}
	}
	got := lease(t, ds, hookline.LeaseRequest{Token: "b", Limit: 100, PerTarget: 2})
	// Each of targets 2-4: key-0's first and key-1's first (its only
	// one); key-0's second waits behind its first.
	var want []int64
	for _, target := range []int64{2, 3, 4} {
		for _, d := range later {
			if d.TargetID == target && len(want) < 2*int(target-1) {
				want = append(want, d.ID)
			}
		}
	}
	if !slices.Equal(deliveryIDs(got), want) {
		t.Fatalf("with target 1 at its limit, the lease took %v, want the first of each key of targets 2-4: %v", deliveryIDs(got), want)
	}
	complete(t, ds, succeeded(first[0]))
	got = lease(t, ds, hookline.LeaseRequest{Token: "c", Limit: 1, PerTarget: 2})
	if len(got) != 1 || got[0].TargetID != 1 {
		t.Fatalf("after one of target 1's deliveries ended, the lease took %v, want one more of target 1", deliveryIDs(got))
	}
}

// exerciseDeliveryConcurrentCreates queues deliveries at once, as
// concurrent requests do (the store may commit them together): each gets
// its own delivery with its own body and key; one Idempotency-Key used by
// several at once yields at most one delivery, which every one of them
// that succeeds gets (another may hear a conflict, to send again, while
// the first is being committed).
func exerciseDeliveryConcurrentCreates(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)
	const n = 40
	type result struct {
		d       *hookline.Delivery
		existed bool
		err     error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			now := time.Now()
			d := &hookline.Delivery{MessageID: fmt.Sprintf("msg_concurrent_%d_%d", time.Now().UnixNano(), i), CompanyID: f.A1.ID,
				TargetKind: hookline.TargetWebhook, TargetID: 1, OrderingKey: fmt.Sprint("c", i), NextAttemptAt: &now,
				Request: hookline.DeliveryRequest{Method: "POST", URL: "https://example.com/hook", Body: []byte(fmt.Sprint(i))}}
			var key *hookline.IdempotencyKey
			if i%4 == 0 {
				key = &hookline.IdempotencyKey{Key: "shared", RequestHash: []byte{1}}
			}
			out, existed, err := ds.CreateDelivery(ctx, d, key)
			results[i] = result{out, existed, err}
		})
	}
	wg.Wait()
	ids := map[int64]bool{}
	var shared int64
	created, keyed := 0, 0
	for i, r := range results {
		if i%4 == 0 {
			switch {
			case hookline.ErrorCode(r.err) == hookline.CodeConflict:
				continue
			case r.err != nil:
				t.Fatalf("create %d: %v", i, r.err)
			case shared == 0:
				shared = r.d.ID
			case r.d.ID != shared:
				t.Fatalf("create %d with the shared key got delivery %d, another got %d", i, r.d.ID, shared)
			}
			keyed++
			if !r.existed {
				created++
			}
			continue
		}
		if r.err != nil {
			t.Fatalf("create %d: %v", i, r.err)
		}
		if r.existed || ids[r.d.ID] {
			t.Fatalf("create %d without a key got delivery %d, existing %v", i, r.d.ID, r.existed)
		}
		ids[r.d.ID] = true
		got, err := ds.FindDelivery(ctx, hookline.AdminScope(), r.d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Request.Body) != fmt.Sprint(i) || got.OrderingKey != fmt.Sprint("c", i) {
			t.Fatalf("create %d stored %q on key %q", i, got.Request.Body, got.OrderingKey)
		}
	}
	if keyed == 0 || created != 1 {
		t.Fatalf("the shared key: %d of %d creates succeeded, %d of them created a delivery; want one created", keyed, n/4, created)
	}
}
