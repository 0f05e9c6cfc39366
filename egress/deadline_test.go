package egress

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitDone waits for ctx to be done, failing after a hang guard.
func waitDone(t *testing.T, ctx context.Context, what string) time.Time {
	t.Helper()
	select {
	case <-ctx.Done():
		return time.Now()
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: not done after 5s", what)
		return time.Time{}
	}
}

// TestDeadlinesFireInOrder: requests with different timeouts, started in
// any order, each end at their own deadline (never before), with
// context.DeadlineExceeded, and so do the contexts made from them.
func TestDeadlinesFireInOrder(t *testing.T) {
	t.Parallel()
	d := newDeadlines()
	// The long one arms the timer first; the shorter ones that follow must
	// re-arm it, or they would wait for it.
	long := d.start(context.Background(), time.Now().Add(time.Minute))
	timeouts := []time.Duration{120 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 40 * time.Millisecond}
	ctxs := make([]*deadlineCtx, len(timeouts))
	starts := make([]time.Time, len(timeouts))
	for i, to := range timeouts {
		starts[i] = time.Now()
		ctxs[i] = d.start(context.Background(), time.Now().Add(to))
	}
	for i, c := range ctxs {
		// net/http derives a context of its own from the request's.
		child, cancel := context.WithCancelCause(c)
		defer cancel(nil)
		ended := waitDone(t, child, "derived context")
		if took := ended.Sub(starts[i]); took < timeouts[i] {
			t.Errorf("request %d (timeout %v) ended after %v", i, timeouts[i], took)
		}
		if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(child), context.DeadlineExceeded) {
			t.Errorf("request %d: Err %v, cause of derived %v", i, c.Err(), context.Cause(child))
		}
		if dl, ok := c.Deadline(); !ok || dl.Before(starts[i].Add(timeouts[i])) {
			t.Errorf("request %d: Deadline %v, %v", i, dl, ok)
		}
		c.stop() // after expiry: harmless, keeps the expired error
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("request %d after stop: Err %v", i, c.Err())
		}
	}
	if long.Err() != nil {
		t.Errorf("the one-minute request ended early: %v", long.Err())
	}
	long.stop()
	if !errors.Is(long.Err(), context.Canceled) {
		t.Errorf("stopped request: Err %v, want context.Canceled", long.Err())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.head != nil {
		t.Errorf("requests still watched after all ended")
	}
}

// TestDeadlinesCallerWins: a caller's cancellation is context.Canceled
// even when the request's own deadline passes afterwards, and a caller's
// earlier deadline is the request's.
func TestDeadlinesCallerWins(t *testing.T) {
	t.Parallel()
	d := newDeadlines()
	parent, cancel := context.WithCancel(context.Background())
	c := d.start(parent, time.Now().Add(50*time.Millisecond))
	cancel()
	waitDone(t, c, "canceled request")
	time.Sleep(100 * time.Millisecond) // the request's own deadline passes
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("Err %v, want context.Canceled", c.Err())
	}
	c.stop()

	early, cancelEarly := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancelEarly()
	c = d.start(early, time.Now().Add(time.Minute))
	defer c.stop()
	want, _ := early.Deadline()
	if dl, _ := c.Deadline(); !dl.Equal(want) {
		t.Errorf("Deadline %v, want the caller's %v", dl, want)
	}
	waitDone(t, c, "request under the caller's deadline")
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err %v, want context.DeadlineExceeded", c.Err())
	}
}

// TestDeadlinesStoppedRequestsAreForgotten: requests that end in time
// leave nothing behind, and the timer armed for the first of them fires
// harmlessly and stops.
func TestDeadlinesStoppedRequestsAreForgotten(t *testing.T) {
	t.Parallel()
	d := newDeadlines()
	for range 100 {
		c := d.start(context.Background(), time.Now().Add(20*time.Millisecond))
		c.stop()
		if !errors.Is(c.Err(), context.Canceled) {
			t.Fatalf("Err %v", c.Err())
		}
	}
	time.Sleep(60 * time.Millisecond)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.head != nil || !d.at.IsZero() {
		t.Errorf("requests still watched: %v, timer armed for %v; want none", d.head != nil, d.at)
	}
}

// TestDeadlineCtxAfterFunc: contexts made from a request's context, and
// functions registered on it through context.AfterFunc, are released when
// they stop first and run when the request ends first, however many there
// are; a registration after the end runs at once.
func TestDeadlineCtxAfterFunc(t *testing.T) {
	t.Parallel()
	d := newDeadlines()
	c := d.start(context.Background(), time.Now().Add(time.Minute))

	// Three children and one function: one child and the function stop
	// before the request ends.
	var children []context.Context
	var cancels []context.CancelFunc
	for range 3 {
		child, cancel := context.WithCancel(c)
		children = append(children, child)
		cancels = append(cancels, cancel)
	}
	ran := make(chan struct{}, 2)
	stopped := context.AfterFunc(c, func() { ran <- struct{}{} })
	kept := context.AfterFunc(c, func() { ran <- struct{}{} })
	cancels[1]()
	if !stopped() {
		t.Fatal("stop before the end reported false")
	}
	c.mu.Lock()
	// Five registered, two stopped: the first child's inline, the third
	// child and the kept function in more.
	if n := len(c.more); n != 2 || !c.hasFirst {
		t.Errorf("registrations left: first %v, %d more; want the first and 2 more", c.hasFirst, n)
	}
	c.mu.Unlock()

	c.stop()
	for i, child := range children {
		waitDone(t, child, "child")
		want := context.Canceled
		if got := child.Err(); got != want {
			t.Errorf("child %d: Err %v, want %v", i, got, want)
		}
	}
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the kept function did not run")
	}
	select {
	case <-ran:
		t.Error("the stopped function ran")
	case <-time.After(50 * time.Millisecond):
	}
	if kept() {
		t.Error("stop after the function ran reported true")
	}
	// After the end: a new child is done at once, a new function runs.
	late, cancel := context.WithCancel(c)
	defer cancel()
	waitDone(t, late, "child made after the end")
	context.AfterFunc(c, func() { ran <- struct{}{} })
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("a function registered after the end did not run")
	}
	if !errors.Is(context.Cause(late), context.Canceled) {
		t.Errorf("cause %v", context.Cause(late))
	}
}
