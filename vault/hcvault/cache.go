package hcvault

import (
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/vault"
)

// cache keeps the records Read returned for a while, so that a program
// that asks for the same API key on every request does not ask the server
// each time. Only Read is served from it: Stat, which the Vault's
// check-and-set writes start from, always asks the server, so a stale
// entry can never make a write lose an update. The engine's own writes and
// deletes drop the entry; writes by others are seen when it expires.
type cache struct {
	ttl time.Duration
	now func() time.Time

	mu  sync.Mutex
	m   map[string]cacheEntry
	gen uint64 // bumped by every invalidation, so a read that raced one is not stored
}

type cacheEntry struct {
	rec *vault.Record // value owned by the cache
	at  time.Time
}

// maxCacheEntries bounds the cache; past it, expired entries are swept and
// then the cache is emptied.
const maxCacheEntries = 4096

func newCache(ttl time.Duration) *cache {
	if ttl <= 0 {
		return nil
	}
	return &cache{ttl: ttl, now: time.Now, m: map[string]cacheEntry{}}
}

// get returns a copy of the cached record at key (the caller wipes its
// value), or nil.
func (c *cache) get(key string) *vault.Record {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ent, ok := c.m[key]
	if !ok {
		return nil
	}
	if c.now().Sub(ent.at) >= c.ttl {
		ent.rec.Value.Wipe()
		delete(c.m, key)
		return nil
	}
	r := *ent.rec
	r.Value = ent.rec.Value.Clone()
	return &r
}

// generation returns the value to pass to put for a read starting now.
func (c *cache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores a copy of rec unless an invalidation happened since gen.
func (c *cache) put(key string, rec *vault.Record, gen uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	now := c.now()
	if len(c.m) >= maxCacheEntries {
		for k, ent := range c.m {
			if now.Sub(ent.at) >= c.ttl {
				ent.rec.Value.Wipe()
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCacheEntries {
			c.clearLocked()
		}
	}
	if old, ok := c.m[key]; ok {
		old.rec.Value.Wipe()
	}
	r := *rec
	r.Value = rec.Value.Clone()
	c.m[key] = cacheEntry{rec: &r, at: now}
}

// invalidate drops the entry at key.
func (c *cache) invalidate(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if old, ok := c.m[key]; ok {
		old.rec.Value.Wipe()
		delete(c.m, key)
	}
}

// clear wipes and drops every entry.
func (c *cache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.clearLocked()
}

func (c *cache) clearLocked() {
	for k, ent := range c.m {
		ent.rec.Value.Wipe()
		delete(c.m, k)
	}
}
