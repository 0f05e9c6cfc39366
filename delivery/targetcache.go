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
	// ready is closed once the fields above are read; err is set if that
	// failed.
	ready chan struct{}
	err   error
}

// targetCache holds the targets read for the current leases. The first
// send of a target and lease reads it; the others of that lease, which
// usually start at the same moment, wait for that read instead of making
// their own.
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
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if s.err != nil {
			return nil, s.err
		}
		return s, nil
	}
	s := &targetState{token: d.LeaseToken, ready: make(chan struct{})}
	if len(w.cache.entries) > 4096 {
		// Old entries are dropped wholesale rather than tracked: the
		// leases in flight hold far fewer targets than this.
		clear(w.cache.entries)
	}
	w.cache.entries[t] = s
	w.cache.mu.Unlock()

	s.err = w.readTarget(ctx, d, s)
	close(s.ready)
	if s.err != nil {
		// The next send reads again rather than sharing a failure.
		w.cache.mu.Lock()
		if w.cache.entries[t] == s {
			delete(w.cache.entries, t)
		}
		w.cache.mu.Unlock()
		return nil, s.err
	}
	return s, nil
}

// readTarget reads d's target into s.
func (w *Worker) readTarget(ctx context.Context, d *hookline.Delivery, s *targetState) error {
	resolver, ok := w.cfg.Targets[d.TargetKind]
	if !ok {
		return fmt.Errorf("delivery %d: no resolver for targets of kind %q", d.ID, d.TargetKind)
	}
	tg, err := resolver.ResolveTarget(ctx, d.TargetKind, d.CompanyID, d.TargetID)
	switch {
	case hookline.ErrorCode(err) == hookline.CodeNotFound:
		s.gone = true
		return nil
	case err != nil:
		return err
	}
	s.target = tg
	if s.disabled, err = w.cfg.Store.TargetDisabledAt(ctx, d.TargetKind, d.TargetID); err != nil {
		return err
	}
	if s.secret, err = w.cfg.Store.FindSigningSecret(ctx, d.TargetKind, d.TargetID); err != nil {
		return err
	}
	return nil
}

// forget drops what is kept of a target, after a send changed it (a 410
// disabled it).
func (w *Worker) forget(kind hookline.TargetKind, id int64) {
	w.cache.mu.Lock()
	delete(w.cache.entries, target{kind, id})
	w.cache.mu.Unlock()
}
