package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Session locks keep the messages of one bot session strictly in order
// (issue 17): the runtime holds one for a whole step, webhooks included,
// without holding a transaction, so that a slow webhook stalls neither
// SQLite's one writer nor anything else.

// sessionLocker takes a named session lock, waiting for it when wait is
// set; ok is false when wait is not set and another holder has it.
type sessionLocker func(ctx context.Context, name string, wait bool) (unlock func(), ok bool, err error)

// keyedLocks are session locks within one process, for SQLite, whose data
// directory one process serves. Each lock is a channel of one slot, so
// that waiting can be cancelled; it is forgotten when no one holds or
// waits for it, so that a million sessions leave no million entries.
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	slot chan struct{}
	refs int // holders and waiters
}

func (l *keyedLocks) lock(ctx context.Context, name string, wait bool) (func(), bool, error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*keyedLock{}
	}
	k := l.locks[name]
	if k == nil {
		k = &keyedLock{slot: make(chan struct{}, 1)}
		l.locks[name] = k
	}
	k.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if k.refs--; k.refs == 0 {
			delete(l.locks, name)
		}
		l.mu.Unlock()
	}
	unlock := func() {
		<-k.slot
		release()
	}
	if !wait {
		select {
		case k.slot <- struct{}{}:
			return unlock, true, nil
		default:
			release()
			return nil, false, nil
		}
	}
	select {
	case k.slot <- struct{}{}:
		return unlock, true, nil
	case <-ctx.Done():
		release()
		return nil, false, ctx.Err()
	}
}

// held counts the locks held or waited for, for tests.
func (l *keyedLocks) held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.locks)
}

// sessionLockConns is the size of PostgreSQL's pool of lock connections:
// how many session steps one process runs at once. A step holds one of
// them for its whole length, so they come from a pool of their own: taken
// from the store's pool, steps waiting for a query connection while
// holding all of them would wait forever.
const sessionLockConns = 32

// unlockTimeout bounds the release of a PostgreSQL session lock.
const unlockTimeout = 5 * time.Second

// pgSessionLocker takes session-level advisory locks on connections of
// pool, keyed by a hash of the schema and the name like WithLock's. A
// connection holds its lock until unlock releases it; if the release
// fails, or taking the lock failed half-way (a cancelled wait may have
// been granted meanwhile), the connection is closed rather than returned
// to the pool, which releases whatever it held. A process that dies
// releases its locks with its connections.
func pgSessionLocker(pool *pgxpool.Pool) sessionLocker {
	const key = "hashtextextended(COALESCE(current_schema(), '') || '/bot-session/' || $1, 0)"
	return func(ctx context.Context, name string, wait bool) (func(), bool, error) {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return nil, false, postgresDialect.translate(fmt.Errorf("session lock: %w", err))
		}
		discard := func() {
			c := conn.Hijack()
			closeCtx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			c.Close(closeCtx)
			cancel()
		}
		ok := true
		if wait {
			_, err = conn.Exec(ctx, "SELECT pg_advisory_lock("+key+")", name)
		} else {
			err = conn.QueryRow(ctx, "SELECT pg_try_advisory_lock("+key+")", name).Scan(&ok)
		}
		if err != nil {
			discard()
			return nil, false, postgresDialect.translate(fmt.Errorf("session lock: %w", err))
		}
		if !ok {
			conn.Release()
			return nil, false, nil
		}
		unlock := func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			var released bool
			if err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock("+key+")", name).Scan(&released); err != nil || !released {
				discard()
				return
			}
			conn.Release()
		}
		return unlock, true, nil
	}
}
