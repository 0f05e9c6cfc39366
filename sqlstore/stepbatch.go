package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// Bot sessions' writes are committed in groups. Every message a bot
// answers starts or saves its session in a transaction of its own, and a
// commit costs more than the statements it commits: on SQLite each writes
// every page the transaction changed to the WAL, one system call each, the
// counters' page, the steps' last page and the expiry index's included,
// and holds the one write lock meanwhile; on PostgreSQL each commit waits
// for its WAL flush while it holds the lock of the counters' row, which
// every step of a bot adds to. So the writes of messages arriving together
// share one transaction: the first writer leads, runs whatever others
// queued meanwhile with its own, adds the batch's counters up into one
// statement per counter, commits, then hands the lead to the next in line.
// Nobody waits for a timer; a writer alone commits alone. Each write still
// returns only once committed, and one session's writes stay in order:
// its messages are stepped one after another under the session's lock.

// maxStepBatch bounds the writes of one transaction, and so how long the
// last of them waits.
const maxStepBatch = 64

// stepBatcher groups the session writes of one BotStore.
type stepBatcher struct {
	db      *DB
	mu      sync.Mutex
	queue   []*stepWrite
	leading bool
}

// stepWrite is one caller's write: its statements (fn, which may run
// twice: again on its own if its batch fails) and the counters it adds.
type stepWrite struct {
	ctx      context.Context
	fn       func(c conn) error
	counters []hookline.BotCounter
	// done receives the write's outcome; lead tells a waiting writer that
	// it leads the next batch.
	done chan error
	lead chan struct{}
}

// write runs fn and adds counters in a transaction, with the writes of
// other callers queued meanwhile, and returns once it is committed.
func (b *stepBatcher) write(ctx context.Context, counters []hookline.BotCounter, fn func(c conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &stepWrite{ctx: ctx, fn: fn, counters: counters, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	leads := !b.leading
	b.leading = true
	b.mu.Unlock()
	if !leads {
		select {
		case err := <-w.done:
			return err
		case <-w.lead:
		}
	}
	b.mu.Lock()
	n := min(len(b.queue), maxStepBatch)
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.mu.Unlock()
	// The batch is the waiters' as much as the leader's: it runs even if
	// the leader's request ends meanwhile.
	b.run(context.WithoutCancel(ctx), batch)
	b.mu.Lock()
	if len(b.queue) > 0 {
		b.queue[0].lead <- struct{}{}
	} else {
		b.leading = false
	}
	b.mu.Unlock()
	return <-w.done
}

// run commits a batch and tells each writer its outcome. A write whose
// caller gave up before the batch began is left out. If the batch fails,
// each write is run again in a transaction of its own, so that one bad
// write fails alone.
func (b *stepBatcher) run(ctx context.Context, batch []*stepWrite) {
	live := batch[:0:0]
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.done <- err
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	if len(live) > 1 {
		err := b.db.inTx(ctx, func(c conn) error {
			var counters []hookline.BotCounter
			for _, w := range live {
				if err := w.fn(c); err != nil {
					return err
				}
				counters = append(counters, w.counters...)
			}
			return addCounters(ctx, c, sumCounters(counters))
		})
		if err == nil {
			for _, w := range live {
				w.done <- nil
			}
			return
		}
	}
	for _, w := range live {
		w.done <- b.db.inTx(ctx, func(c conn) error {
			if err := w.fn(c); err != nil {
				return err
			}
			return addCounters(ctx, c, w.counters)
		})
	}
}

// counterKey is the row a counter adds to.
type counterKey struct {
	bot, channel int64
	hour         time.Time
	name         string
}

// sumCounters adds up the counters of one row, in the order each row was
// first named (the last channel name given wins, as when added one by
// one); zero values are dropped.
func sumCounters(counters []hookline.BotCounter) []hookline.BotCounter {
	var out []hookline.BotCounter
	at := map[counterKey]int{}
	for _, k := range counters {
		if k.Value == 0 {
			continue
		}
		key := counterKey{k.BotID, k.ChannelID, storedTime(k.Hour.Truncate(time.Hour)), k.Name}
		if i, ok := at[key]; ok {
			out[i].Value += k.Value
			out[i].ChannelName = k.ChannelName
			continue
		}
		at[key] = len(out)
		out = append(out, k)
	}
	return out
}
