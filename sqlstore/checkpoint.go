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

// A passive checkpoint beside writers never quite finishes: it copies the
// log up to where it stood when it began, and writers have added to it
// since. Until one finishes, the log cannot start over from its beginning
// and grows. So when the log has grown past walSettleFrames, the
// checkpointer finishes one under the writer mutex: the background one has
// copied nearly everything, and what is left takes a moment. Past
// walRestartFrames (readers holding old snapshots kept even that from
// finishing), it restarts the log, waiting for those readers, under the
// mutex.
const (
	walSettleFrames  = 4096
	walRestartFrames = 65536
)

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
		frames, copied, err := c.checkpoint("PASSIVE")
		if err != nil || frames <= walSettleFrames || copied >= frames {
			continue
		}
		mode := "PASSIVE"
		if frames > walRestartFrames {
			mode = "RESTART"
		}
		c.writes.Lock()
		_, _, _ = c.checkpoint(mode)
		c.writes.Unlock()
	}
}

// checkpoint runs one checkpoint of the given mode and returns the log's
// length in pages and how many of them are in the database file. An error
// (the database busy, say) is left for the next tick: nothing is lost by a
// checkpoint that did not run.
func (c *checkpointer) checkpoint(mode string) (frames, copied int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy int
	err = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied)
	return frames, copied, err
}

// stop ends the background checkpoints; the last connection to close
// checkpoints what is left.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.stopCh) })
	<-c.done
}
