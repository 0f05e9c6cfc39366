// Package delivery is the durable delivery queue: everything hookline sends
// without a caller waiting. The Service queues deliveries (rendered and
// frozen at once) and answers for them; the Worker leases due deliveries
// from the store, sends them through the one egress client, signed the
// Standard Webhooks way, and records every attempt. Both work on the
// store's interface, so every process sharing a database shares the queue.
package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/webhook"
)

// Service is the delivery queue's use cases. It is safe for concurrent use.
type Service struct {
	webhooks hookline.WebhookStore
	store    hookline.DeliveryStore
	exec     *webhook.Executor
	// wake tells this process's worker that a delivery is due now; nil
	// when no worker runs here (another process leases it).
	wake func()
	now  func() time.Time
}

var (
	_ hookline.DeliveryService = (*Service)(nil)
	_ hookline.DeliveryOutbox  = (*Service)(nil)
)

// NewService returns the queue's service. wake, if not nil, is called after
// a delivery is queued or retried, so that a worker sends it at once.
func NewService(webhooks hookline.WebhookStore, store hookline.DeliveryStore, exec *webhook.Executor, wake func()) *Service {
	if wake == nil {
		wake = func() {}
	}
	return &Service{webhooks: webhooks, store: store, exec: exec, wake: wake, now: time.Now}
}

// checkKey checks an ordering or idempotency key: at most max bytes of
// printable text.
func checkKey(field, key string, max int) error {
	switch {
	case len(key) > max:
		return hookline.Invalid(field, "must be at most %d bytes long", max)
	case !utf8.ValidString(key):
		return hookline.Invalid(field, "must be valid UTF-8")
	case strings.IndexFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return hookline.Invalid(field, "must not contain control characters")
	}
	return nil
}

// EnqueueWebhook renders webhook id's request against in.Context, freezes
// it and queues it, due now.
func (s *Service) EnqueueWebhook(ctx context.Context, c *hookline.Caller, id int64, in hookline.DeliveryInput, idempotencyKey string) (*hookline.Delivery, bool, error) {
	ctxJSON := bytes.TrimSpace(in.Context)
	if len(ctxJSON) == 0 || bytes.Equal(ctxJSON, []byte("null")) {
		return nil, false, hookline.Invalid("context", "missing required field %q: the values the webhook's templates read, such as {\"certainly\": {\"sessionId\": 1}}", "context")
	}
	if err := checkKey("ordering_key", in.OrderingKey, hookline.MaxOrderingKeyLen); err != nil {
		return nil, false, err
	}
	var key *hookline.IdempotencyKey
	if idempotencyKey != "" {
		if err := checkKey("Idempotency-Key", idempotencyKey, hookline.MaxIdempotencyKeyLen); err != nil {
			return nil, false, err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, ctxJSON); err != nil {
			return nil, false, hookline.Invalid("context", "is not valid JSON: %v", err)
		}
		h := sha256.New()
		h.Write([]byte(in.OrderingKey))
		h.Write([]byte{0})
		h.Write(compact.Bytes())
		key = &hookline.IdempotencyKey{Key: idempotencyKey, RequestHash: h.Sum(nil)}
	}
	wh, err := s.webhooks.FindWebhook(ctx, c.Scope(), id)
	if err != nil {
		return nil, false, err
	}
	disabled, err := s.store.TargetDisabledAt(ctx, hookline.TargetWebhook, id)
	if err != nil {
		return nil, false, err
	}
	if disabled != nil {
		return nil, false, hookline.Errorf(hookline.CodeConflict, "webhook %d was disabled at %s because its endpoint answered 410 Gone; enable it with POST /api/v1/webhooks/%d/enable",
			id, disabled.Format(time.RFC3339), id)
	}
	req, err := s.exec.Freeze(ctx, wh.WebhookDefinition, ctxJSON)
	if err != nil {
		return nil, false, err
	}
	d := &hookline.Delivery{
		CompanyID:   wh.CompanyID,
		TargetKind:  hookline.TargetWebhook,
		TargetID:    wh.ID,
		OrderingKey: in.OrderingKey,
		Request:     *req,
	}
	return s.Enqueue(ctx, d, key)
}

// Enqueue queues a request another service rendered for one of its
// targets, due now unless d.NextAttemptAt says otherwise. It returns the
// delivery and whether it is new (false: key's first delivery).
func (s *Service) Enqueue(ctx context.Context, d *hookline.Delivery, key *hookline.IdempotencyKey) (*hookline.Delivery, bool, error) {
	if err := s.Prepare(d); err != nil {
		return nil, false, err
	}
	out, existed, err := s.store.CreateDelivery(ctx, d, key)
	if err != nil {
		return nil, false, err
	}
	if !existed {
		s.wake()
	}
	out.Attempts = nil
	return out, !existed, nil
}

// Prepare checks d and sets its message id and, unless set, its due time
// (now), for Enqueue or for a store writing d in a transaction of its own.
func (s *Service) Prepare(d *hookline.Delivery) error {
	if d.TargetKind == "" || d.TargetID == 0 || d.CompanyID == 0 {
		return fmt.Errorf("enqueue: a delivery needs its company, target kind and target id")
	}
	if err := checkKey("ordering_key", d.OrderingKey, hookline.MaxOrderingKeyLen); err != nil {
		return err
	}
	if d.MessageID == "" {
		d.MessageID = newMessageID()
	}
	if d.NextAttemptAt == nil {
		now := s.now()
		d.NextAttemptAt = &now
	}
	return nil
}

// Wake tells the workers that deliveries were stored outside Enqueue.
func (s *Service) Wake() { s.wake() }

// FindDelivery returns a delivery with its attempts.
func (s *Service) FindDelivery(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Delivery, error) {
	d, err := s.store.FindDelivery(ctx, c.Scope(), id)
	if err != nil {
		return nil, err
	}
	if d.Attempts == nil {
		d.Attempts = []hookline.DeliveryAttempt{}
	}
	return d, nil
}

// filter turns the API's filter into the store's.
func filter(c *hookline.Caller, f hookline.DeliveryListFilter) (hookline.DeliveryFilter, error) {
	if f.Status != "" && !f.Status.Valid() {
		return hookline.DeliveryFilter{}, hookline.Invalid("status", "%q is not a status; use pending, sending, succeeded, failed or canceled", f.Status)
	}
	if f.OrderingKey != nil {
		if err := checkKey("ordering_key", *f.OrderingKey, hookline.MaxOrderingKeyLen); err != nil {
			return hookline.DeliveryFilter{}, err
		}
	}
	out := hookline.DeliveryFilter{Scope: c.Scope(), Status: f.Status, OrderingKey: f.OrderingKey}
	if f.WebhookID != 0 {
		out.TargetKind, out.TargetID = hookline.TargetWebhook, f.WebhookID
	}
	return out, nil
}

// FindDeliveries lists one page of deliveries, newest first.
func (s *Service) FindDeliveries(ctx context.Context, c *hookline.Caller, f hookline.DeliveryListFilter, page hookline.PageRequest) (hookline.Page[*hookline.Delivery], error) {
	sf, err := filter(c, f)
	if err != nil {
		return hookline.Page[*hookline.Delivery]{}, err
	}
	before, _, limit, err := page.Bounds()
	if err != nil {
		return hookline.Page[*hookline.Delivery]{}, err
	}
	sf.Before, sf.Limit = before, limit+1
	ds, err := s.store.FindDeliveries(ctx, sf)
	if err != nil {
		return hookline.Page[*hookline.Delivery]{}, err
	}
	return hookline.PageOf(ds, limit, func(d *hookline.Delivery) int64 { return d.ID }), nil
}

// RetryDelivery makes a failed or canceled delivery pending again, due now;
// it goes out in its key's order.
func (s *Service) RetryDelivery(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Delivery, error) {
	if _, err := s.store.RetryDeliveries(ctx, hookline.DeliveryFilter{Scope: c.Scope()}, id); err != nil {
		return nil, err
	}
	s.wake()
	return s.FindDelivery(ctx, c, id)
}

// RetryDeliveries retries every failed and canceled delivery f selects.
func (s *Service) RetryDeliveries(ctx context.Context, c *hookline.Caller, f hookline.DeliveryListFilter) (*hookline.RetryResult, error) {
	if f.Status != "" && f.Status != hookline.DeliveryFailed && f.Status != hookline.DeliveryCanceled {
		return nil, hookline.Invalid("status", "only failed or canceled deliveries can be retried; use status failed or canceled, or leave it out for both")
	}
	sf, err := filter(c, f)
	if err != nil {
		return nil, err
	}
	n, err := s.store.RetryDeliveries(ctx, sf, 0)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		s.wake()
	}
	return &hookline.RetryResult{Retried: n}, nil
}

// RotateSigningSecret creates a webhook's signing secret or rotates it:
// the previous one keeps signing beside the new one for RotationOverlap.
func (s *Service) RotateSigningSecret(ctx context.Context, c *hookline.Caller, webhookID int64) (*hookline.NewSigningSecret, error) {
	wh, err := s.webhooks.FindWebhook(ctx, c.Scope(), webhookID)
	if err != nil {
		return nil, err
	}
	secret := NewSecret()
	if err := s.store.RotateSigningSecret(ctx, hookline.TargetWebhook, wh.ID, wh.CompanyID, secret, s.now().Add(RotationOverlap)); err != nil {
		return nil, fmt.Errorf("webhook %d: %w", webhookID, err)
	}
	return &hookline.NewSigningSecret{SigningSecret: secret}, nil
}

// EnableWebhook re-enables a webhook disabled by a 410 answer. Enabling one
// that is not disabled changes nothing.
func (s *Service) EnableWebhook(ctx context.Context, c *hookline.Caller, webhookID int64) error {
	wh, err := s.webhooks.FindWebhook(ctx, c.Scope(), webhookID)
	if err != nil {
		return err
	}
	return s.store.SetTargetDisabled(ctx, hookline.TargetWebhook, wh.ID, wh.CompanyID, nil)
}

// DeliveryHours sums up the attempts of the last in.Hours hours (24 by
// default) by hour, the current hour last, hours without attempts as zeros.
func (s *Service) DeliveryHours(ctx context.Context, c *hookline.Caller, in hookline.DeliveryStatsInput) ([]hookline.DeliveryHour, error) {
	hours := in.Hours
	if hours == 0 {
		hours = hookline.DefaultStatsHours
	}
	if hours < 1 || hours > hookline.MaxStatsHours {
		return nil, hookline.Invalid("hours", "must be between 1 and %d, got %d", hookline.MaxStatsHours, in.Hours)
	}
	if in.WebhookID < 0 {
		return nil, hookline.Invalid("webhook_id", "must be a positive integer, not %d", in.WebhookID)
	}
	now := s.now().UTC()
	since := now.Truncate(time.Hour).Add(-time.Duration(hours-1) * time.Hour)
	f := hookline.DeliveryHoursFilter{Scope: c.Scope(), Since: since, Until: since.Add(time.Duration(hours) * time.Hour)}
	if in.WebhookID != 0 {
		f.TargetKind, f.TargetID = hookline.TargetWebhook, in.WebhookID
	}
	got, err := s.store.DeliveryHours(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]hookline.DeliveryHour, hours)
	for i := range out {
		out[i].Start = since.Add(time.Duration(i) * time.Hour)
	}
	for _, h := range got {
		if i := int(h.Start.Sub(since) / time.Hour); i >= 0 && i < hours {
			out[i] = h
		}
	}
	return out, nil
}
