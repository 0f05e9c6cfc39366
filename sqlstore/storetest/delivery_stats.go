package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// exerciseDeliveryHours records attempts at chosen times and checks their
// sums by hour: window bounds, success count, durations, scope and target.
func exerciseDeliveryHours(t *testing.T, open Open) {
	ctx := context.Background()
	db, ds := deliveryStore(t, open)
	f := NewFixture(t, db)

	hour := time.Now().UTC().Truncate(time.Hour).Add(-5 * time.Hour)
	// attempt records one attempt of a new delivery for target of company
	// at, pending again afterwards so that the next attempt can follow.
	attempt := func(company, target int64, at time.Time, status int, kind hookline.WebhookErrorKind, ms float64) {
		t.Helper()
		d := newDelivery(t, ds, company, target, "")
		leased := lease(t, ds, hookline.LeaseRequest{Token: "stats"})
		for _, l := range leased {
			o := hookline.DeliveryOutcome{DeliveryID: l.ID, LeaseToken: l.LeaseToken, Status: hookline.DeliveryFailed}
			if l.ID == d.ID {
				o.Attempt = &hookline.DeliveryAttempt{At: at, Status: status, DurationMS: ms, ErrorKind: kind}
				if kind == "" {
					o.Status = hookline.DeliverySucceeded
				}
			}
			complete(t, ds, o)
		}
	}
	// Company A1, webhook 1: two hours with attempts, a gap between.
	attempt(f.A1.ID, 1, hour.Add(10*time.Minute), 200, "", 10)
	attempt(f.A1.ID, 1, hour.Add(59*time.Minute), 500, hookline.ErrHTTPStatus, 30)
	attempt(f.A1.ID, 1, hour.Add(2*time.Hour), 0, hookline.ErrTimeout, 5000)
	// Company A1, webhook 2, and company B1: other targets and scopes.
	attempt(f.A1.ID, 2, hour.Add(2*time.Hour+time.Minute), 204, "", 20)
	attempt(f.B1.ID, 3, hour.Add(2*time.Hour+2*time.Minute), 200, "", 40)
	// Outside the window: before it, and at its end (exclusive).
	attempt(f.A1.ID, 1, hour.Add(-time.Second), 200, "", 1)
	attempt(f.A1.ID, 1, hour.Add(4*time.Hour), 200, "", 1)

	sums := func(scope hookline.Scope, kind hookline.TargetKind, target int64) []hookline.DeliveryHour {
		t.Helper()
		got, err := ds.DeliveryHours(ctx, hookline.DeliveryHoursFilter{Scope: scope, TargetKind: kind, TargetID: target, Since: hour, Until: hour.Add(4 * time.Hour)})
		if err != nil {
			t.Fatalf("delivery hours: %v", err)
		}
		return got
	}
	want := func(got []hookline.DeliveryHour, want ...hookline.DeliveryHour) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %d hours %+v, want %+v", len(got), got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if !g.Start.Equal(w.Start) || g.Start.Location() != time.UTC || g.Attempts != w.Attempts || g.Succeeded != w.Succeeded ||
				g.AvgMS != w.AvgMS || g.MaxMS != w.MaxMS {
				t.Fatalf("hour %d = %+v, want %+v", i, g, w)
			}
		}
	}

	want(sums(hookline.AdminScope(), "", 0),
		hookline.DeliveryHour{Start: hour, Attempts: 2, Succeeded: 1, AvgMS: 20, MaxMS: 30},
		hookline.DeliveryHour{Start: hour.Add(2 * time.Hour), Attempts: 3, Succeeded: 2, AvgMS: 5060.0 / 3, MaxMS: 5000})
	want(sums(hookline.TenantScope(f.A), "", 0),
		hookline.DeliveryHour{Start: hour, Attempts: 2, Succeeded: 1, AvgMS: 20, MaxMS: 30},
		hookline.DeliveryHour{Start: hour.Add(2 * time.Hour), Attempts: 2, Succeeded: 1, AvgMS: 2510, MaxMS: 5000})
	want(sums(hookline.TenantScope(f.A1), hookline.TargetWebhook, 2),
		hookline.DeliveryHour{Start: hour.Add(2 * time.Hour), Attempts: 1, Succeeded: 1, AvgMS: 20, MaxMS: 20})
	want(sums(hookline.TenantScope(f.B1), "", 0),
		hookline.DeliveryHour{Start: hour.Add(2 * time.Hour), Attempts: 1, Succeeded: 1, AvgMS: 40, MaxMS: 40})
	// Another company's target is not seen, as if it had no attempts.
	want(sums(hookline.TenantScope(f.B1), hookline.TargetWebhook, 1))
	want(sums(hookline.TenantScope(f.A2), "", 0))
}
