package delivery

import (
	"context"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// targetTTL is how long the worker reuses what it read of a target. A send
// reads the webhook (its auth and timeout), whether it is disabled and its
// signing secret: three queries, read again for every delivery, cost more
// than the send itself when a backlog drains. A change takes effect within
// targetTTL: deleting or disabling a webhook already cancels or fails what
// waits for it in the store, and a rotated secret's predecessor keeps
// signing for RotationOverlap, so a receiver verifies either.
const targetTTL = time.Second

// targetState is what a send needs of its target.
type targetState struct {
	webhook  *hookline.Webhook
	disabled *time.Time
	secret   *hookline.SigningSecret
	// gone: the target was deleted.
	gone bool
	at   time.Time
}

// targetCache holds the targets read in the last targetTTL. Sends of one
// target that miss at once each read it; the last one read is kept.
type targetCache struct {
	mu      sync.Mutex
	entries map[target]*targetState
}

// target returns d's target, read from the store unless one read less than
// targetTTL ago is kept.
func (w *Worker) target(ctx context.Context, d *hookline.Delivery) (*targetState, error) {
	t := target{d.TargetKind, d.TargetID}
	now := time.Now()
	w.cache.mu.Lock()
	if s, ok := w.cache.entries[t]; ok && now.Sub(s.at) < targetTTL {
		w.cache.mu.Unlock()
		return s, nil
	}
	w.cache.mu.Unlock()

	s := &targetState{at: now}
	scope := hookline.Scope{TenantID: d.CompanyID, Kind: hookline.KindCompany}
	wh, err := w.cfg.Webhooks.FindWebhook(ctx, scope, d.TargetID)
	switch {
	case hookline.ErrorCode(err) == hookline.CodeNotFound:
		s.gone = true
	case err != nil:
		return nil, err
	default:
		s.webhook = wh
		if s.disabled, err = w.cfg.Store.TargetDisabledAt(ctx, d.TargetKind, d.TargetID); err != nil {
			return nil, err
		}
		if s.secret, err = w.cfg.Store.FindSigningSecret(ctx, d.TargetKind, d.TargetID); err != nil {
			return nil, err
		}
	}
	w.cache.mu.Lock()
	if len(w.cache.entries) > 4096 {
		// Old entries are dropped wholesale rather than tracked: a
		// worker sends to far fewer targets than this within targetTTL.
		clear(w.cache.entries)
	}
	w.cache.entries[t] = s
	w.cache.mu.Unlock()
	return s, nil
}

// forget drops what is kept of a target, after a send changed it (a 410
// disabled it).
func (w *Worker) forget(kind hookline.TargetKind, id int64) {
	w.cache.mu.Lock()
	delete(w.cache.entries, target{kind, id})
	w.cache.mu.Unlock()
}
