package delivery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// A send reads its target (its auth and timeout), whether it is disabled
// and its signing secret: three queries, which read again for
// every delivery cost more than the send itself when a backlog drains. The
// worker reads them once per target and lease instead: the sends of one
// lease share what the first of them read, and the next lease reads again,
// so a change made before a delivery is leased (a rotated secret, new
// auth) applies to it, as when each send read its own.
// targetState is what a send needs of its target.
type targetState struct {
	target   *Target
	disabled *time.Time
	secret   *hookline.SigningSecret
	// gone: the target was deleted.
	gone bool
	// token is the lease it was read for.
	token string
}

// targetCache holds the targets read for the current leases. Sends of one
// target and lease that miss at once each read it; the last one read is
// kept.
type targetCache struct {
	mu      sync.Mutex
	entries map[target]*targetState
}

// target returns d's target, read from the store unless it was read for
// d's lease already.
func (w *Worker) target(ctx context.Context, d *hookline.Delivery) (*targetState, error) {
	t := target{d.TargetKind, d.TargetID}
	w.cache.mu.Lock()
	if s, ok := w.cache.entries[t]; ok && s.token == d.LeaseToken {
		w.cache.mu.Unlock()
		return s, nil
	}
	w.cache.mu.Unlock()

	s := &targetState{token: d.LeaseToken}
	resolver, ok := w.cfg.Targets[d.TargetKind]
	if !ok {
		return nil, fmt.Errorf("delivery %d: no resolver for targets of kind %q", d.ID, d.TargetKind)
	}
	tg, err := resolver.ResolveTarget(ctx, d.TargetKind, d.CompanyID, d.TargetID)
	switch {
	case hookline.ErrorCode(err) == hookline.CodeNotFound:
		s.gone = true
	case err != nil:
		return nil, err
	default:
		s.target = tg
		if s.disabled, err = w.cfg.Store.TargetDisabledAt(ctx, d.TargetKind, d.TargetID); err != nil {
			return nil, err
		}
		if s.secret, err = w.cfg.Store.FindSigningSecret(ctx, d.TargetKind, d.TargetID); err != nil {
			return nil, err
		}
	}
	w.cache.mu.Lock()
	if len(w.cache.entries) > 4096 {
		// Old entries are dropped wholesale rather than tracked: the
		// leases in flight hold far fewer targets than this.
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
