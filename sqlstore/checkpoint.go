package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointer copies SQLite's write-ahead log into the database file in
// the background. SQLite's own automatic checkpoint runs inside the commit
// that crosses its threshold, fsyncs the log and the database there, and
// so held the writer mutex (and every write of the process behind it) for
// the length of two fsyncs, several times a second under load: a passive
// checkpoint on a connection of its own copies the same pages while
// writers go on.
type checkpointer struct {
	db       *sql.DB
	writes   *sync.Mutex
	interval time.Duration
	stopCh   chan struct{}
	done     chan struct{}
	once     sync.Once
}

// walRestartFrames is the log's length (in pages) beyond which the
// checkpointer restarts it under the writer mutex: passive checkpoints
// copy the log but cannot rewind it while readers are in it, and a load
// that never lets up would otherwise grow it without end.
const walRestartFrames = 16384

func startCheckpointer(db *sql.DB, writes *sync.Mutex, interval time.Duration) *checkpointer {
	c := &checkpointer{db: db, writes: writes, interval: interval, stopCh: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stopCh:
			return
		case <-t.C:
		}
		if frames, err := c.checkpoint("PASSIVE"); err == nil && frames > walRestartFrames {
			c.writes.Lock()
			_, _ = c.checkpoint("RESTART")
			c.writes.Unlock()
		}
	}
}

// checkpoint runs one checkpoint of the given mode and returns the log's
// length in pages. An error (the database busy, say) is left for the next
// tick: nothing is lost by a checkpoint that did not run.
func (c *checkpointer) checkpoint(mode string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, frames, copied int
	err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied)
	return frames, err
}

// stop ends the background checkpoints; the last connection to close
// checkpoints what is left.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.stopCh) })
	<-c.done
}
