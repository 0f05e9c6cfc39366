package integration

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults of the chat upkeep.
const (
	DefaultIdleTimeout  = 24 * time.Hour
	DefaultIdleInterval = time.Minute
)

// Upkeep ends idle chats (queuing their END) and forgets old provider ids,
// every interval, one process at a time: each pass runs under a named
// lock, as the delivery pruner's does. Start it with the service; Stop it
// before the store closes.
type Upkeep struct {
	svc      *Service
	timeout  time.Duration
	interval time.Duration
	lock     func(ctx context.Context, name string, fn func(ctx context.Context) error) error
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	once     sync.Once
	done     chan struct{}
}

// NewUpkeep returns the upkeep of svc: chats quiet for timeout end
// (DefaultIdleTimeout if 0); lock, if not nil, is the store's WithLock.
func NewUpkeep(svc *Service, timeout, interval time.Duration, lock func(ctx context.Context, name string, fn func(ctx context.Context) error) error) *Upkeep {
	if timeout <= 0 {
		timeout = DefaultIdleTimeout
	}
	if interval <= 0 {
		interval = DefaultIdleInterval
	}
	if lock == nil {
		lock = func(ctx context.Context, _ string, fn func(ctx context.Context) error) error { return fn(ctx) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Upkeep{svc: svc, timeout: timeout, interval: interval, lock: lock, log: svc.log, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// Start runs a pass at once, then every interval, in the background.
func (u *Upkeep) Start() { u.once.Do(func() { go u.run() }) }

// Stop cancels a pass in progress and waits for the upkeep to end, at most
// until ctx is done.
func (u *Upkeep) Stop(ctx context.Context) error {
	u.cancel()
	started := true
	u.once.Do(func() { started = false })
	if !started {
		return nil
	}
	select {
	case <-u.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("chat upkeep: still running at shutdown: %w", ctx.Err())
	}
}

func (u *Upkeep) run() {
	defer close(u.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-timer.C:
		}
		n, err := u.Pass(u.ctx)
		switch {
		case err != nil && u.ctx.Err() == nil:
			u.log.Warn("ending idle chats failed; trying again at the next interval", "error", err.Error())
		case n > 0:
			u.log.Info("idle chats ended", "chats", n)
		}
		timer.Reset(u.interval)
	}
}

// Pass ends the idle chats once, under the lock.
func (u *Upkeep) Pass(ctx context.Context) (int, error) {
	var n int
	err := u.lock(ctx, IdleLock, func(ctx context.Context) (err error) {
		n, err = u.svc.EndIdleChats(ctx, u.timeout)
		return err
	})
	return n, err
}
