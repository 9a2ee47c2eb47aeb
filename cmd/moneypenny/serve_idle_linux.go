package main

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// A burst of calls (a client reading a thousand secrets, say) grows the
// heap for a moment, and the Go runtime keeps what it grew: its scavenger
// returns memory only down to a goal set at the last collection, and when
// the daemon falls idle no collection comes for two minutes. After one
// GetSecrets of 1,000 items that left 4 MB resident that nothing used.
// idleRelease notices when the bus has been quiet for a while after
// activity and then returns the memory once, instead of on every call.

// idleDelay is how long the bus must be quiet before memory is returned:
// long enough that a client's next call in a series does not pay for a
// collection, short enough that a daemon at rest is small.
const idleDelay = 2 * time.Second

// releaseMin is how much must have been allocated since the last release
// for another one to be worth a collection: a lone lookup allocates far
// less and leaves nothing worth returning.
const releaseMin = 1 << 20

// idleRelease calls release once the bus has been quiet for delay after
// messages came in. Busy reports each incoming message; it costs an atomic
// add and, once per quiet period, a timer.
type idleRelease struct {
	delay   time.Duration
	release func()

	msgs  atomic.Uint64
	armed atomic.Bool
	mu    sync.Mutex // serialises release
}

func newIdleRelease(delay time.Duration, release func()) *idleRelease {
	return &idleRelease{delay: delay, release: release}
}

// busy records activity; it is a dbus.Interceptor for incoming messages.
func (r *idleRelease) busy() {
	n := r.msgs.Add(1)
	if !r.armed.Load() && r.armed.CompareAndSwap(false, true) {
		r.arm(n)
	}
}

func (r *idleRelease) arm(seen uint64) {
	time.AfterFunc(r.delay, func() { r.check(seen) })
}

// check runs delay after arm: if messages came meanwhile the bus is not
// quiet yet, so it looks again later; otherwise it releases.
func (r *idleRelease) check(seen uint64) {
	if n := r.msgs.Load(); n != seen {
		r.arm(n)
		return
	}
	r.mu.Lock()
	r.release()
	r.mu.Unlock()
	r.armed.Store(false)
	// A message that came in while armed was still set armed nothing:
	// look once more so that its burst is not left unreleased.
	if n := r.msgs.Load(); n != seen && r.armed.CompareAndSwap(false, true) {
		r.arm(n)
	}
}

// heapReleaser returns a release function for idleRelease: it returns
// freed memory to the operating system (debug.FreeOSMemory, a collection
// and a scavenge) when at least releaseMin bytes were allocated since it
// last did.
func heapReleaser() func() {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	var last uint64
	return func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if now := sample[0].Value.Uint64(); now-last < releaseMin {
			return
		}
		debug.FreeOSMemory()
		metrics.Read(sample)
		last = sample[0].Value.Uint64()
	}
}
