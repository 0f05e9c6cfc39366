package egress

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlines enforces the timeouts of one client's requests with a single
// runtime timer, armed for the earliest deadline of the requests in flight.
// Requests with the same timeout end in about the order they started, so
// the timer is rarely touched: it fires once per timeout period, finds the
// deadlines still ahead and re-arms. A timer of its own for every request
// (context.WithTimeout) costs more than the request's own bookkeeping: a
// new earliest timer may wake an idle thread to re-arm the network poller.
type deadlines struct {
	mu      sync.Mutex
	pending map[*deadlineCtx]struct{}
	timer   *time.Timer // nil until the first request
	at      time.Time   // when timer fires; zero while it is stopped
}

func newDeadlines() *deadlines {
	return &deadlines{pending: map[*deadlineCtx]struct{}{}}
}

// start returns a context that is done at deadline, when parent is, or
// when stop is called, whichever comes first. Its Err is
// context.DeadlineExceeded once its own deadline has passed, like a
// context.WithDeadline's. The caller must call stop.
func (d *deadlines) start(parent context.Context, deadline time.Time) *deadlineCtx {
	inner, cancel := context.WithCancelCause(parent)
	c := &deadlineCtx{Context: inner, cancel: cancel, deadline: deadline, owner: d}
	d.mu.Lock()
	d.pending[c] = struct{}{}
	if d.at.IsZero() || c.deadline.Before(d.at) {
		d.arm(c.deadline)
	}
	d.mu.Unlock()
	return c
}

// arm sets the timer to fire at at. d.mu is held.
func (d *deadlines) arm(at time.Time) {
	d.at = at
	if d.timer == nil {
		d.timer = time.AfterFunc(time.Until(at), d.fire)
		return
	}
	d.timer.Reset(time.Until(at))
}

// fire cancels the requests whose deadline has passed and re-arms the
// timer for the earliest of the others.
func (d *deadlines) fire() {
	now := time.Now()
	var expired []*deadlineCtx
	var next time.Time
	d.mu.Lock()
	for c := range d.pending {
		if !c.deadline.After(now) {
			expired = append(expired, c)
			delete(d.pending, c)
			continue
		}
		if next.IsZero() || c.deadline.Before(next) {
			next = c.deadline
		}
	}
	d.at = time.Time{}
	if !next.IsZero() {
		d.arm(next)
	}
	d.mu.Unlock()
	for _, c := range expired {
		// A request its caller canceled first keeps that error.
		if c.Context.Err() == nil {
			c.expired.Store(true)
			c.cancel(context.DeadlineExceeded)
		}
	}
}

// deadlineCtx is a request's context under a deadline watched by deadlines.
// It embeds a cancelable child of the caller's context, so that contexts
// made from it (net/http makes one per request) are canceled through the
// standard library's own links, without a goroutine.
type deadlineCtx struct {
	context.Context
	cancel   context.CancelCauseFunc
	deadline time.Time
	owner    *deadlines
	expired  atomic.Bool
}

// Deadline is the earlier of the request's deadline and its caller's.
func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *deadlineCtx) Err() error {
	if c.expired.Load() {
		return context.DeadlineExceeded
	}
	return c.Context.Err()
}

// stop ends the request: it is no longer watched, and the contexts made
// from it are released.
func (c *deadlineCtx) stop() {
	d := c.owner
	d.mu.Lock()
	delete(d.pending, c)
	d.mu.Unlock()
	c.cancel(context.Canceled)
}
