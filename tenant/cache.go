package tenant

import (
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// The verified-key cache keeps the callers of recently verified keys for
// keyCacheTTL. A second bounds how long a key revoked on another node of a
// shared PostgreSQL keeps working here; on this node a revocation, a
// rename or a deletion of a tenant clears the cache at once.
const (
	keyCacheTTL  = time.Second
	keyCacheSize = 10000
)

type keyCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[[32]byte]keyCacheEntry
	// gen counts clears, so that a lookup that began before a clear does
	// not put back what the clear removed.
	gen uint64
}

type keyCacheEntry struct {
	caller  *hookline.Caller
	expires time.Time
}

func newKeyCache(ttl time.Duration, max int) *keyCache {
	return &keyCache{ttl: ttl, max: max, now: time.Now, entries: map[[32]byte]keyCacheEntry{}}
}

// get returns a copy of the cached caller, so that no request can change
// what another one sees.
func (k *keyCache) get(hash []byte) (*hookline.Caller, bool) {
	var h [32]byte
	copy(h[:], hash)
	k.mu.Lock()
	e, ok := k.entries[h]
	k.mu.Unlock()
	if !ok || k.now().After(e.expires) {
		return nil, false
	}
	return e.caller.Copy(), true
}

func (k *keyCache) generation() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.gen
}

// put caches c unless the cache was cleared since gen was read.
func (k *keyCache) put(hash []byte, c *hookline.Caller, gen uint64) {
	var h [32]byte
	copy(h[:], hash)
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if gen != k.gen {
		return
	}
	if len(k.entries) >= k.max {
		for key, e := range k.entries {
			if now.After(e.expires) {
				delete(k.entries, key)
			}
		}
		if len(k.entries) >= k.max {
			clear(k.entries)
		}
	}
	k.entries[h] = keyCacheEntry{caller: c.Copy(), expires: now.Add(k.ttl)}
}

func (k *keyCache) clear() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.entries)
	k.gen++
}
