package egress

import (
	"context"
	"sync"
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
	mu sync.Mutex
	// head lists the requests in flight, newest first, linked through
	// their prev and next fields: adding and removing one neither hashes
	// nor allocates.
	head  *deadlineCtx
	timer *time.Timer // nil until the first request
	at    time.Time   // when timer fires; zero while it is stopped
}

func newDeadlines() *deadlines { return &deadlines{} }

// start returns a context that is done at deadline, when parent is, or
// when stop is called, whichever comes first. Its Err is
// context.DeadlineExceeded once its own deadline has passed, like a
// context.WithDeadline's. The caller must call stop.
func (d *deadlines) start(parent context.Context, deadline time.Time) *deadlineCtx {
	c := &deadlineCtx{parent: parent, deadline: deadline, owner: d}
	if parent.Done() != nil {
		c.stopParent = context.AfterFunc(parent, func() { c.end(parent.Err()) })
	}
	d.mu.Lock()
	c.next = d.head
	if d.head != nil {
		d.head.prev = c
	}
	d.head = c
	if d.at.IsZero() || c.deadline.Before(d.at) {
		d.arm(c.deadline)
	}
	d.mu.Unlock()
	return c
}

// remove takes c off the list; d.mu is held and c is on it.
func (d *deadlines) remove(c *deadlineCtx) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		d.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
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

// fire ends the requests whose deadline has passed and re-arms the timer
// for the earliest of the others.
func (d *deadlines) fire() {
	now := time.Now()
	var expired []*deadlineCtx
	var next time.Time
	d.mu.Lock()
	for c := d.head; c != nil; {
		after := c.next
		if !c.deadline.After(now) {
			expired = append(expired, c)
			d.remove(c)
		} else if next.IsZero() || c.deadline.Before(next) {
			next = c.deadline
		}
		c = after
	}
	d.at = time.Time{}
	if !next.IsZero() {
		d.arm(next)
	}
	d.mu.Unlock()
	for _, c := range expired {
		// A request its caller canceled first keeps that error.
		c.end(context.DeadlineExceeded)
	}
}

// deadlineCtx is a request's context under a deadline watched by deadlines.
// Contexts made from it (net/http makes one per request) are canceled
// through its AfterFunc method, as the context package does for parents
// that have one: without a goroutine, and without the map of children a
// cancelable parent of the context package keeps.
type deadlineCtx struct {
	parent   context.Context
	deadline time.Time
	owner    *deadlines
	// prev and next link the requests on owner's list; guarded by
	// owner.mu.
	prev, next *deadlineCtx
	// stopParent undoes the watch on a parent that can be done.
	stopParent func() bool

	mu   sync.Mutex
	done chan struct{} // made by the first Done; closed by end
	err  error         // set once, by end
	// first and more hold the functions AfterFunc registered that have
	// neither run nor been stopped: usually one (net/http's context),
	// kept inline.
	first    afterFunc
	hasFirst bool
	more     []*afterFunc
}

// afterFunc is one registration of AfterFunc.
type afterFunc struct {
	c *deadlineCtx
	f func()
}

func (c *deadlineCtx) Value(key any) any { return c.parent.Value(key) }

// Deadline is the earlier of the request's deadline and its caller's.
func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *deadlineCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	return c.done
}

func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// AfterFunc arranges for f to run once c is done, in the goroutine that
// ends c (or in one of its own when c already is). stop undoes it and
// reports whether it did so before f was started.
func (c *deadlineCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	// The inline slot is used once: a stop kept from its first use must
	// never remove a later registration.
	if c.first.f == nil {
		c.first, c.hasFirst = afterFunc{c: c, f: f}, true
		return c.first.stop
	}
	a := &afterFunc{c: c, f: f}
	c.more = append(c.more, a)
	return a.stop
}

// stop removes a from its context's registrations; false when it already
// ran or was removed.
func (a *afterFunc) stop() bool {
	c := a.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if a == &c.first {
		ok := c.hasFirst
		c.hasFirst = false
		return ok
	}
	for i, b := range c.more {
		if b == a {
			c.more = append(c.more[:i], c.more[i+1:]...)
			return true
		}
	}
	return false
}

// end makes c done with err, unless it already is, and runs the functions
// AfterFunc registered. They run after c.mu is released: the context
// package's cancel functions call back into stop.
func (c *deadlineCtx) end(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	var first func()
	if c.hasFirst {
		first = c.first.f
		c.hasFirst = false
	}
	more := c.more
	c.more = nil
	c.mu.Unlock()
	if first != nil {
		first()
	}
	for _, a := range more {
		a.f()
	}
}

// stop ends the request: it is no longer watched, and the contexts made
// from it are released.
func (c *deadlineCtx) stop() {
	d := c.owner
	d.mu.Lock()
	if c.prev != nil || d.head == c { // still on the list
		d.remove(c)
	}
	d.mu.Unlock()
	if c.stopParent != nil {
		c.stopParent()
	}
	c.end(context.Canceled)
}
