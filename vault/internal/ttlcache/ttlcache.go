// Package ttlcache is the read cache of the remote vault engines (AWS
// Secrets Manager, HashiCorp Vault): entries that expire a fixed time after
// they were stored, handed out as copies, and dropped (wiped) when they
// expire, are replaced or removed, or the cache is cleared.
//
// It is generic in the cached value so that each engine caches its own
// record type; it knows nothing about secrets except that a value it lets
// go of is passed to the drop function, which is where an engine wipes it.
package ttlcache

import (
	"sync"
	"time"
)

// DefaultTTL is the lifetime remote engines use when the caller does not
// choose one.
const DefaultTTL = 5 * time.Minute

// Cache maps string keys to values of type V for TTL each. It is safe for
// concurrent use. The zero Cache is not usable; call New.
type Cache[V any] struct {
	ttl   time.Duration
	now   func() time.Time
	clone func(V) V
	drop  func(V)

	mu      sync.Mutex
	entries map[string]entry[V]
	puts    int
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a cache whose entries live for ttl. clone makes the copy Get
// hands out (the cached value itself never leaves the cache, so dropping it
// cannot pull a value from under a caller); drop, which may be nil, is
// called on every value the cache lets go of. A ttl of zero or less gives a
// cache that stores nothing. now is the clock (time.Now when nil).
func New[V any](ttl time.Duration, now func() time.Time, clone func(V) V, drop func(V)) *Cache[V] {
	if now == nil {
		now = time.Now
	}
	if drop == nil {
		drop = func(V) {}
	}
	return &Cache[V]{ttl: ttl, now: now, clone: clone, drop: drop, entries: map[string]entry[V]{}}
}

// TTL is the lifetime of an entry; zero or less when the cache is off.
func (c *Cache[V]) TTL() time.Duration { return c.ttl }

// Get returns a copy of the value stored under key, if it has not expired.
func (c *Cache[V]) Get(key string) (V, bool) {
	var zero V
	if c.ttl <= 0 {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return zero, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, key)
		c.drop(e.v)
		return zero, false
	}
	return c.clone(e.v), true
}

// Put stores a copy of v under key for the TTL, replacing (and dropping)
// what was there. Every so often it also drops the entries that expired
// without being read again, so the cache holds no more than what was read
// within one TTL.
func (c *Cache[V]) Put(key string, v V) {
	if c.ttl <= 0 {
		return
	}
	cp := c.clone(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if old, ok := c.entries[key]; ok {
		c.drop(old.v)
	}
	c.entries[key] = entry[V]{v: cp, expires: now.Add(c.ttl)}
	c.puts++
	if c.puts%64 == 0 {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
				c.drop(e.v)
			}
		}
	}
}

// Delete drops the entry under key, if any: engines call it on every write
// and delete of that key, so a process reads its own writes.
func (c *Cache[V]) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		delete(c.entries, key)
		c.drop(e.v)
	}
}

// Clear drops every entry.
func (c *Cache[V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		delete(c.entries, k)
		c.drop(e.v)
	}
}

// Len is the number of entries held, expired ones included until they are
// dropped.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
