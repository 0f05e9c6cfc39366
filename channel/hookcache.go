package channel

import (
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// The hook cache keeps, for hookCacheTTL, the channels hook calls found:
// a call names its bot and channel, and reading the channel with its
// app's secrets was the costliest query of a sync hook call (about 40 µs
// of a message's 250 µs of CPU on SQLite). A second bounds how long a
// change made by another process (another node on PostgreSQL, or
// hookline channel approve) takes to apply here; on this node every change
// through the service clears the cache at once, as the verified-key cache
// of API keys does.
const (
	hookCacheTTL  = time.Second
	hookCacheSize = 10000
)

type hookKey struct{ botID, id int64 }

type hookCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[hookKey]hookEntry
	// gen counts clears, so that a lookup that began before a clear does
	// not put back what the clear removed.
	gen uint64
}

type hookEntry struct {
	ch      hookline.HookChannel
	expires time.Time
}

func newHookCache(ttl time.Duration, max int, now func() time.Time) *hookCache {
	return &hookCache{ttl: ttl, max: max, now: now, entries: map[hookKey]hookEntry{}}
}

// get returns a copy of the cached channel, so that no call changes what
// another one sees, and the generation a put after a miss must name.
func (h *hookCache) get(botID, id int64) (*hookline.HookChannel, uint64) {
	h.mu.Lock()
	e, ok := h.entries[hookKey{botID, id}]
	gen := h.gen
	h.mu.Unlock()
	if !ok || !h.now().Before(e.expires) {
		return nil, gen
	}
	ch := e.ch
	return &ch, gen
}

// put caches ch unless the cache was cleared since gen was read.
func (h *hookCache) put(botID, id int64, ch *hookline.HookChannel, gen uint64) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen != h.gen {
		return
	}
	if len(h.entries) >= h.max {
		for k, e := range h.entries {
			if !now.Before(e.expires) {
				delete(h.entries, k)
			}
		}
		if len(h.entries) >= h.max {
			clear(h.entries)
		}
	}
	h.entries[hookKey{botID, id}] = hookEntry{ch: *ch, expires: now.Add(h.ttl)}
}

func (h *hookCache) clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.entries)
	h.gen++
}
