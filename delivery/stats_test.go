package delivery_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/webhook"
)

// TestDeliveryHours sends deliveries through the worker to a receiver that
// accepts one and refuses another, then reads the dashboard's sums: one
// entry per hour of the window, the current hour last with both attempts,
// and nothing for a caller of another company.
func TestDeliveryHours(t *testing.T) {
	ctx := context.Background()
	db, store, queue, client := newQueue(t)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refuse" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer rc.Close()

	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	other := &hookline.Tenant{Name: "Other", Kind: hookline.KindCompany}
	for _, c := range []*hookline.Tenant{company, other} {
		if err := db.CreateTenant(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var hooks []*hookline.Webhook
	for _, path := range []string{"/accept", "/refuse"} {
		wh := &hookline.Webhook{CompanyID: company.ID, WebhookDefinition: hookline.WebhookDefinition{Name: path, Method: "POST", URL: rc.URL + path}}
		if err := webhook.Check(&wh.WebhookDefinition); err != nil {
			t.Fatal(err)
		}
		if err := store.CreateWebhook(ctx, hookline.AdminScope(), wh); err != nil {
			t.Fatal(err)
		}
		hooks = append(hooks, wh)
	}
	w := delivery.NewWorker(delivery.Config{Store: queue, Webhooks: store, Client: client, Workers: 2, PollInterval: 10 * time.Millisecond})
	w.Start()
	defer w.Stop(ctx)
	svc := delivery.NewService(store, queue, webhook.NewExecutor(client), w.Wake)
	caller := &hookline.Caller{Tenant: company}
	for _, wh := range hooks {
		d, _, err := svc.EnqueueWebhook(ctx, caller, wh.ID, hookline.DeliveryInput{Context: json.RawMessage(`{}`)}, "")
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); ; {
			got, err := svc.FindDelivery(ctx, caller, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status.Final() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %d still %s", d.ID, got.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	hours, err := svc.DeliveryHours(ctx, caller, hookline.DeliveryStatsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hours) != 24 {
		t.Fatalf("got %d hours, want 24", len(hours))
	}
	last := hours[23]
	if now := time.Now().UTC(); last.Start.After(now) || now.Sub(last.Start) > time.Hour || last.Start.Location() != time.UTC {
		t.Fatalf("the last hour starts at %v, want the current hour", last.Start)
	}
	var attempts, succeeded int
	for i, h := range hours {
		if !h.Start.Equal(last.Start.Add(time.Duration(i-23) * time.Hour)) {
			t.Fatalf("hour %d starts at %v, after %v", i, h.Start, hours[max(i-1, 0)].Start)
		}
		if h.Attempts > 0 && (h.MaxMS <= 0 || h.AvgMS <= 0 || h.AvgMS > h.MaxMS) {
			t.Fatalf("hour %d = %+v: durations missing", i, h)
		}
		attempts += h.Attempts
		succeeded += h.Succeeded
	}
	// Summed over the window, so that an hour ending during the test
	// changes nothing.
	if attempts != 2 || succeeded != 1 {
		t.Fatalf("the window holds %d attempts, %d succeeded; want 2 and 1: %+v", attempts, succeeded, hours[22:])
	}

	one, err := svc.DeliveryHours(ctx, caller, hookline.DeliveryStatsInput{WebhookID: hooks[0].ID, Hours: 2})
	if err != nil || len(one) != 2 || one[0].Attempts+one[1].Attempts != 1 || one[0].Succeeded+one[1].Succeeded != 1 {
		t.Fatalf("one webhook's last 2 hours = %+v, %v", one, err)
	}
	theirs, err := svc.DeliveryHours(ctx, &hookline.Caller{Tenant: other}, hookline.DeliveryStatsInput{})
	if err != nil || theirs[22].Attempts+theirs[23].Attempts != 0 {
		t.Fatalf("another company sees %+v, %v", theirs[22:], err)
	}
	for _, bad := range []int{-1, hookline.MaxStatsHours + 1} {
		_, err := svc.DeliveryHours(ctx, caller, hookline.DeliveryStatsInput{Hours: bad})
		if hookline.ErrorCode(err) != hookline.CodeInvalid || hookline.ErrorField(err) != "hours" {
			t.Fatalf("hours %d: %v, want invalid naming hours", bad, err)
		}
	}
}
