package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// Defaults of a Pruner.
const (
	DefaultPruneInterval = time.Minute
	// DefaultPruneBatch bounds the deliveries (or keys, or target states)
	// one transaction deletes, so that no prune holds a lock for long.
	DefaultPruneBatch = 500
	// DefaultPrunePause separates two full batches, so that the queue's
	// own writes get the database in between (SQLite has one writer).
	DefaultPrunePause = 100 * time.Millisecond
	// PruneLock names the lock a pass holds, so that processes sharing a
	// database prune one at a time instead of racing for the same rows.
	PruneLock = "delivery-prune"
)

// PrunerConfig configures a Pruner.
type PrunerConfig struct {
	Store hookline.DeliveryRetentionStore
	// Retention is how long a succeeded delivery is kept after it ended
	// (hookline.DefaultDeliveryRetention if 0).
	Retention time.Duration
	// FailedRetention is how long a failed or canceled delivery is kept
	// after it ended, unless someone retries it meanwhile
	// (hookline.DefaultDeliveryFailedRetention if 0).
	FailedRetention time.Duration
	Interval        time.Duration
	Batch           int
	Pause           time.Duration
	// Lock, if not nil, runs each pass while holding the named lock, such
	// as sqlstore.DB.WithLock: on PostgreSQL one process prunes at a time.
	Lock   func(ctx context.Context, name string, fn func(ctx context.Context) error) error
	Logger *slog.Logger
	// Now is the clock the ages are measured on (time.Now if nil).
	Now func() time.Time
}

// Pruned counts what one pass deleted.
type Pruned struct {
	Succeeded, Failed, Canceled int
	IdempotencyKeys             int
	TargetStates                int
}

func (p Pruned) total() int {
	return p.Succeeded + p.Failed + p.Canceled + p.IdempotencyKeys + p.TargetStates
}

// Pruner deletes what the delivery queue no longer needs, in small
// batches: succeeded deliveries past Retention, failed and canceled ones
// past FailedRetention (each with its attempts), idempotency keys past
// their 24-hour window, and the queue's state of deleted targets. Start it
// with the worker and Stop it before the store closes.
type Pruner struct {
	cfg    PrunerConfig
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
	done   chan struct{}
}

// NewPruner returns a pruner for cfg, with defaults filled in.
func NewPruner(cfg PrunerConfig) *Pruner {
	if cfg.Retention <= 0 {
		cfg.Retention = hookline.DefaultDeliveryRetention
	}
	if cfg.FailedRetention <= 0 {
		cfg.FailedRetention = hookline.DefaultDeliveryFailedRetention
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultPruneInterval
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultPruneBatch
	}
	if cfg.Pause <= 0 {
		cfg.Pause = DefaultPrunePause
	}
	if cfg.Lock == nil {
		cfg.Lock = func(ctx context.Context, _ string, fn func(ctx context.Context) error) error { return fn(ctx) }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Pruner{cfg: cfg, log: log, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// Start prunes at once, then every Interval, in the background.
func (p *Pruner) Start() {
	p.once.Do(func() { go p.run() })
}

// Stop cancels a pass in progress (its batches done so far stay done) and
// waits for the pruner to end, at most until ctx is done.
func (p *Pruner) Stop(ctx context.Context) error {
	p.cancel()
	started := true
	p.once.Do(func() { started = false })
	if !started {
		return nil
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("delivery pruner: still running at shutdown: %w", ctx.Err())
	}
}

func (p *Pruner) run() {
	defer close(p.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-timer.C:
		}
		pruned, err := p.Prune(p.ctx)
		switch {
		case err != nil && p.ctx.Err() == nil:
			p.log.Warn("delivery pruning failed; trying again at the next interval", "error", err.Error())
		case pruned.total() > 0:
			p.log.Info("deliveries pruned", "succeeded", pruned.Succeeded, "failed", pruned.Failed, "canceled", pruned.Canceled,
				"idempotency_keys", pruned.IdempotencyKeys, "target_states", pruned.TargetStates)
		}
		timer.Reset(p.cfg.Interval)
	}
}

// Prune makes one pass under the lock: each kind of row is deleted batch
// after batch until a batch comes back short. What a pass deleted before
// an error stays deleted, and is counted.
func (p *Pruner) Prune(ctx context.Context) (Pruned, error) {
	var out Pruned
	err := p.cfg.Lock(ctx, PruneLock, func(ctx context.Context) error {
		now := p.cfg.Now()
		final := func(status hookline.DeliveryStatus, age time.Duration) func(context.Context, int) (int, error) {
			return func(ctx context.Context, limit int) (int, error) {
				return p.cfg.Store.PruneDeliveries(ctx, status, now.Add(-age), limit)
			}
		}
		steps := []struct {
			what  string
			count *int
			prune func(ctx context.Context, limit int) (int, error)
		}{
			{"succeeded deliveries", &out.Succeeded, final(hookline.DeliverySucceeded, p.cfg.Retention)},
			{"failed deliveries", &out.Failed, final(hookline.DeliveryFailed, p.cfg.FailedRetention)},
			{"canceled deliveries", &out.Canceled, final(hookline.DeliveryCanceled, p.cfg.FailedRetention)},
			{"idempotency keys", &out.IdempotencyKeys, func(ctx context.Context, limit int) (int, error) {
				return p.cfg.Store.PruneIdempotencyKeys(ctx, now.Add(-hookline.DeliveryIdempotencyWindow), limit)
			}},
			{"states of deleted targets", &out.TargetStates, p.cfg.Store.PruneTargetStates},
		}
		for _, step := range steps {
			for {
				n, err := step.prune(ctx, p.cfg.Batch)
				*step.count += n
				if err != nil {
					return fmt.Errorf("prune %s: %w", step.what, err)
				}
				if n < p.cfg.Batch {
					break
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("prune %s: %w", step.what, ctx.Err())
				case <-time.After(p.cfg.Pause):
				}
			}
		}
		return nil
	})
	return out, err
}
