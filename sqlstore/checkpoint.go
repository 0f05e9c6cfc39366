package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
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
	// wal is the log's path, and log the log file, open once it exists,
	// to flush it to disk before a checkpoint under the writer mutex.
	wal    string
	log    *os.File
	stopCh chan struct{}
	done   chan struct{}
	once   sync.Once
}

// A passive checkpoint beside writers rarely lets the log start over: it
// copies the log up to where it stood when it began, and writers have
// added to it since; and when it did copy everything, the next writer
// starts the log over only if no reader is still in it, which under load
// some reader always is. The log then grows (to 400 MB in a few seconds of
// the bots' benchmark), and once it does start over, that writer truncates
// it back to journal_size_limit inside its commit, holding every write of
// the process for 85-100 ms. So once the log passes walSettleFrames the
// checkpointer restarts it under the writer mutex: RESTART copies what is
// left and waits for the readers in the log (each a short read) to leave
// it, so that the next write starts the log over, within the size limit.
//
// What a checkpoint under the mutex costs is mostly its two fsyncs, of the
// log and of the database file, each as long as the data it flushes. So
// before taking the mutex the checkpointer copies what came meanwhile in
// more passive passes (each shorter than the last, up to walCatchUpPasses
// of them, until fewer than walSettleRest pages are left) and flushes the
// log itself: under the mutex, both fsyncs find little left to write.
const (
	walSettleFrames  = 4096
	walSettleRest    = 256
	walCatchUpPasses = 3
)

func startCheckpointer(db *sql.DB, writes *sync.Mutex, interval time.Duration, wal string) *checkpointer {
	c := &checkpointer{db: db, writes: writes, interval: interval, wal: wal, stopCh: make(chan struct{}), done: make(chan struct{})}
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
		if err != nil || frames <= walSettleFrames {
			continue
		}
		for range walCatchUpPasses {
			if frames-copied < walSettleRest {
				break
			}
			if frames, copied, err = c.checkpoint("PASSIVE"); err != nil {
				break
			}
		}
		c.syncLog()
		c.writes.Lock()
		c.restart()
		c.writes.Unlock()
	}
}

// walSettleWait bounds how long a restart waits for the readers in the
// log, holding every write: a long read (a large page of a list) makes it
// give up and try again at the next tick instead.
const walSettleWait = 20 * time.Millisecond

// restart copies the rest of the log and waits, at most walSettleWait, for
// the readers still in it, so that the next write starts the log over.
func (c *checkpointer) restart() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", walSettleWait.Milliseconds())); err != nil {
		return
	}
	_, _, _ = walCheckpoint(ctx, conn, "RESTART")
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", sqliteBusyTimeout.Milliseconds())); err != nil {
		// A connection left with the short timeout would fail other
		// callers' statements early: it is not given back to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// checkpoint runs one checkpoint of the given mode and returns the log's
// length in pages and how many of them are in the database file. An error
// (the database busy, say) is left for the next tick: nothing is lost by a
// checkpoint that did not run.
func (c *checkpointer) checkpoint(mode string) (frames, copied int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return walCheckpoint(ctx, c.db, mode)
}

// walCheckpoint runs PRAGMA wal_checkpoint(mode) on q (the pool, or one
// connection of it) and returns the log's length in pages and how many of
// them are in the database file.
func walCheckpoint(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, mode string) (frames, copied int, err error) {
	var busy int
	err = q.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied)
	return frames, copied, err
}

// syncLog flushes the log file to disk (fsync flushes a file's data
// whichever descriptor wrote it). A log not there yet, or a failed flush,
// leaves the work to the checkpoint's own fsync.
func (c *checkpointer) syncLog() {
	if c.log == nil {
		f, err := os.Open(c.wal)
		if err != nil {
			return
		}
		c.log = f
	}
	_ = c.log.Sync()
}

// stop ends the background checkpoints; the last connection to close
// checkpoints what is left.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.stopCh) })
	<-c.done
	if c.log != nil {
		c.log.Close()
	}
}
