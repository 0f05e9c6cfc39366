package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// Some writes are committed in groups: the bot sessions' (a start or a
// step for every message a bot answers) and the provider messages chats
// take in (each, and then the id of the delivery carrying its event). A
// commit costs more than the statements it commits: on SQLite each writes
// every page the transaction changed to the WAL, one system call each (the
// bot counters' page, the steps' last page and the expiry index's
// included), and holds the one write lock meanwhile; on PostgreSQL each
// waits for its WAL flush while it holds the lock of the counters' row,
// which every step of a bot adds to. So the writes of messages arriving
// together share one transaction: the first writer leads, runs whatever
// others queued meanwhile with its own (adding the bots' counters up into
// one statement per counter), commits, then hands the lead to the next in
// line. Nobody waits for a timer; a writer alone commits alone. Each write
// still returns only once committed, and one session's or chat's writes
// stay in order: a session's messages are stepped one after another under
// its lock, and a contact's provider messages arrive one after another.

// maxBatch bounds the writes of one transaction, and so how long the
// last of them waits.
const maxBatch = 64

// writeBatcher groups writes of one kind (a store's) into transactions.
// E is what each write brings for the batch as a whole (the bot store's
// counters), which finish, when not nil, writes once per transaction
// after every write's statements.
type writeBatcher[E any] struct {
	db     *DB
	finish func(ctx context.Context, c conn, extras []E) error
	// leaders bounds the batches running at once (0: one). SQLite runs
	// one write transaction at a time anyway; on PostgreSQL a batch
	// spends most of its time waiting for its statements' round trips,
	// and others can run meanwhile.
	leaders int

	mu      sync.Mutex
	queue   []*batchWrite[E]
	leading int
}

// batchWrite is one caller's write: its statements (fn, which may run
// twice: again on its own if its batch fails) and its extra.
type batchWrite[E any] struct {
	ctx   context.Context
	fn    func(c conn) error
	extra E
	// done receives the write's outcome. leads is set (under the
	// batcher's mutex) when the writer is to lead a batch, and lead
	// receives one token then, unless it led from the start.
	done  chan error
	leads bool
	lead  chan struct{}
}

// write runs fn (and finish with extra) in a transaction, with the writes
// of other callers queued meanwhile, and returns once it is committed.
func (b *writeBatcher[E]) write(ctx context.Context, extra E, fn func(c conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &batchWrite[E]{ctx: ctx, fn: fn, extra: extra, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	if b.leading < max(b.leaders, 1) {
		b.leading++
		w.leads = true
	}
	leads := w.leads
	b.mu.Unlock()
	if !leads {
		select {
		case err := <-w.done:
			// Another leader ran it. A lead handed over meanwhile is
			// taken up all the same, or the batcher would lose a leader.
			b.mu.Lock()
			given := w.leads
			b.mu.Unlock()
			if given {
				<-w.lead
				b.lead(ctx)
			}
			return err
		case <-w.lead:
		}
	}
	b.lead(ctx)
	return <-w.done
}

// lead runs one batch from the front of the queue, then hands the lead to
// the first queued writer not leading yet, or gives it up. The batch is
// the waiters' as much as the leader's: it runs even if the leader's
// request ends meanwhile.
func (b *writeBatcher[E]) lead(ctx context.Context) {
	b.mu.Lock()
	n := min(len(b.queue), maxBatch)
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.mu.Unlock()
	if len(batch) > 0 {
		b.run(context.WithoutCancel(ctx), batch)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, next := range b.queue {
		if !next.leads {
			// A writer gets the lead once, so its token's slot is free.
			next.leads = true
			next.lead <- struct{}{}
			return
		}
	}
	b.leading--
}

// run commits a batch and tells each writer its outcome. A write whose
// caller gave up before the batch began is left out. If the batch fails,
// each write is run again in a transaction of its own, so that one bad
// write fails alone.
func (b *writeBatcher[E]) run(ctx context.Context, batch []*batchWrite[E]) {
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
			extras := make([]E, 0, len(live))
			for _, w := range live {
				if err := w.fn(c); err != nil {
					return err
				}
				extras = append(extras, w.extra)
			}
			return b.finishWith(ctx, c, extras)
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
			return b.finishWith(ctx, c, []E{w.extra})
		})
	}
}

func (b *writeBatcher[E]) finishWith(ctx context.Context, c conn, extras []E) error {
	if b.finish == nil {
		return nil
	}
	return b.finish(ctx, c, extras)
}

// addBatchCounters adds up the counters of a batch of bot session writes
// into one statement per counter.
func addBatchCounters(ctx context.Context, c conn, extras [][]hookline.BotCounter) error {
	var all []hookline.BotCounter
	for _, cs := range extras {
		all = append(all, cs...)
	}
	return addCounters(ctx, c, sumCounters(all))
}

// counterKey is the row a counter adds to.
type counterKey struct {
	bot, channel int64
	hour         time.Time
	name         string
}

// sumCounters adds up the counters of one row (the last channel name
// given wins, as when added one by one), in the order of their rows, so
// that batches running at once on PostgreSQL lock the rows they share in
// the same order; zero values are dropped.
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
	slices.SortFunc(out, func(a, b hookline.BotCounter) int {
		return cmp.Or(cmp.Compare(a.BotID, b.BotID), cmp.Compare(a.ChannelID, b.ChannelID), a.Hour.Compare(b.Hour), cmp.Compare(a.Name, b.Name))
	})
	return out
}
