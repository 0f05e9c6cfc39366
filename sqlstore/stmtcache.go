package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// stmtCache keeps one prepared statement per query text, so that the hot
// queries are parsed and planned once per connection instead of on every
// call. Statements are prepared on first use. The set of query texts is
// small and fixed (scope and filter conditions are made of constant
// fragments), but the cache stops growing at max all the same; queries
// beyond it run unprepared. It is safe for concurrent use; a nil cache
// caches nothing.
type stmtCache struct {
	db  *sql.DB
	max int

	mu     sync.RWMutex
	stmts  map[string]*sql.Stmt
	closed bool
	// preparing holds the queries prepareLater is preparing, background
	// counts those goroutines and stopPrepares cancels them: close waits
	// for them, since one still preparing after the database closed would
	// open a connection, and with it a new, empty database file where the
	// old one was.
	preparing    map[string]bool
	background   sync.WaitGroup
	prepares     context.Context
	stopPrepares context.CancelFunc
}

// prepareLater prepares query in the background, once, unless it is
// prepared or being prepared already.
func (c *stmtCache) prepareLater(query string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.stmts[query] != nil || c.preparing[query] || c.closed || len(c.stmts) >= c.max {
		c.mu.Unlock()
		return
	}
	if c.preparing == nil {
		c.preparing = map[string]bool{}
	}
	c.preparing[query] = true
	c.background.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.background.Done()
		ctx, cancel := context.WithTimeout(c.prepares, 30*time.Second)
		defer cancel()
		c.get(ctx, query)
		c.mu.Lock()
		delete(c.preparing, query)
		c.mu.Unlock()
	}()
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &stmtCache{db: db, max: max, stmts: map[string]*sql.Stmt{}, prepares: ctx, stopPrepares: cancel}
}

// lookup returns the statement of query if it has been prepared.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[query]
}

// get returns the statement of query, preparing it on first use, or nil
// when query is to run unprepared: the cache is full or closed, or the
// query does not prepare (running it unprepared then reports the error).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st, full := c.stmts[query], len(c.stmts) >= c.max || c.closed
	c.mu.RUnlock()
	if st != nil || full {
		return st
	}
	// Prepared outside the lock, which a slow prepare would otherwise hold
	// against every query; of two goroutines preparing the same text, the
	// second closes its statement and uses the first.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have := c.stmts[query]; have != nil || c.closed || len(c.stmts) >= c.max {
		st.Close()
		return have
	}
	c.stmts[query] = st
	return st
}

// close closes the cached statements, once the background preparations
// have ended; later calls run queries unprepared.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.stopPrepares()
	c.background.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
