package sqlstore

import (
	"sync"

	"github.com/hookline/hookline"
)

// definitionCache keeps opened definitions by their stored text, so that a
// webhook read to be run over and over is not decoded and unsealed each
// time: that decoding cost more than the query. The key is the stored JSON
// itself, sealed secrets included, so an entry can never be stale: any
// change, made by any process, stores another text. It is bounded by
// entries and by bytes; past a bound, arbitrary entries go. It is safe for
// concurrent use.
type definitionCache struct {
	maxEntries, maxBytes int

	mu      sync.Mutex
	entries map[string]hookline.WebhookDefinition
	bytes   int
}

// Definitions larger than maxCachedDefinition are decoded every time.
const (
	maxCachedDefinitions = 1024
	maxCachedDefBytes    = 8 << 20
	maxCachedDefinition  = 64 << 10
)

func newDefinitionCache() *definitionCache {
	return &definitionCache{maxEntries: maxCachedDefinitions, maxBytes: maxCachedDefBytes, entries: map[string]hookline.WebhookDefinition{}}
}

// get returns a copy of the definition stored as raw, which the caller may
// change.
func (c *definitionCache) get(raw string) (hookline.WebhookDefinition, bool) {
	c.mu.Lock()
	d, ok := c.entries[raw]
	c.mu.Unlock()
	if !ok {
		return hookline.WebhookDefinition{}, false
	}
	return d.Clone(), true
}

func (c *definitionCache) put(raw string, d hookline.WebhookDefinition) {
	if len(raw) > maxCachedDefinition {
		return
	}
	d = d.Clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[raw]; ok {
		return
	}
	for k := range c.entries {
		if len(c.entries) < c.maxEntries && c.bytes+len(raw) <= c.maxBytes {
			break
		}
		delete(c.entries, k)
		c.bytes -= len(k)
	}
	c.entries[raw] = d
	c.bytes += len(raw)
}
