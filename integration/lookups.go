package integration

import (
	"context"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// Lookups keeps, for lookupTTL, the connections and integrations that
// provider messages and their events look up: on SQLite, reading the
// integration (its row, its connections, its opened secrets) was the
// costliest part of taking a provider message after the writes, and the
// queue reads it again to send each event. A second bounds how long a
// change made by another process (another node on PostgreSQL) takes to
// apply here; every change through this process's service clears it at
// once, as the verified-key cache of API keys does. It is safe for
// concurrent use; the zero value is not usable, NewLookups makes one.
type Lookups struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu           sync.Mutex
	integrations map[int64]cached[*hookline.Integration]
	connections  map[connectionKey]cached[*hookline.Connection]
	// gen counts clears, so that a lookup that began before a clear does
	// not put back what the clear removed.
	gen uint64
}

const (
	lookupTTL  = time.Second
	lookupSize = 10000
)

type connectionKey struct {
	t    hookline.ConnectionType
	code string
}

type cached[T any] struct {
	v       T
	expires time.Time
}

// NewLookups returns an empty cache on clock now (time.Now if nil).
func NewLookups(now func() time.Time) *Lookups {
	if now == nil {
		now = time.Now
	}
	return &Lookups{ttl: lookupTTL, max: lookupSize, now: now,
		integrations: map[int64]cached[*hookline.Integration]{}, connections: map[connectionKey]cached[*hookline.Connection]{}}
}

// integration returns integration id as find reads it (with the admin's
// scope), or a copy of the one read less than a second ago; one of
// another company than companyID, unless it is 0, is not found.
func (l *Lookups) integration(ctx context.Context, companyID, id int64, find func(context.Context, hookline.Scope, int64) (*hookline.Integration, error)) (*hookline.Integration, error) {
	l.mu.Lock()
	e, ok := l.integrations[id]
	gen := l.gen
	l.mu.Unlock()
	var i *hookline.Integration
	if ok && l.now().Before(e.expires) {
		c := e.v.Clone()
		i = &c
	} else {
		var err error
		if i, err = find(ctx, hookline.AdminScope(), id); err != nil {
			return nil, err
		}
		keep := i.Clone()
		put(l, l.integrations, id, &keep, gen)
	}
	if companyID != 0 && i.CompanyID != companyID {
		return nil, hookline.NotFound("integration", id)
	}
	return i, nil
}

// connection returns the connection of an inbound path as find reads it.
func (l *Lookups) connection(ctx context.Context, t hookline.ConnectionType, code string, find func(context.Context, hookline.ConnectionType, string) (*hookline.Connection, error)) (*hookline.Connection, error) {
	key := connectionKey{t, code}
	l.mu.Lock()
	e, ok := l.connections[key]
	gen := l.gen
	l.mu.Unlock()
	if ok && l.now().Before(e.expires) {
		c := *e.v
		return &c, nil
	}
	c, err := find(ctx, t, code)
	if err != nil {
		return nil, err
	}
	keep := *c
	put(l, l.connections, key, &keep, gen)
	return c, nil
}

// put caches v unless the cache was cleared since gen was read.
func put[K comparable, T any](l *Lookups, m map[K]cached[T], key K, v T, gen uint64) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if gen != l.gen {
		return
	}
	if len(m) >= l.max {
		for k, e := range m {
			if !now.Before(e.expires) {
				delete(m, k)
			}
		}
		if len(m) >= l.max {
			clear(m)
		}
	}
	m[key] = cached[T]{v: v, expires: now.Add(l.ttl)}
}

// clear forgets everything: something changed through this process.
func (l *Lookups) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.integrations)
	clear(l.connections)
	l.gen++
}
