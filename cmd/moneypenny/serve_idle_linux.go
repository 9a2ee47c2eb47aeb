package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// A burst of calls (a client reading a thousand secrets, say) grows the
// heap for a moment, and the Go runtime keeps what it grew: its scavenger
// returns memory only down to a goal set at the last collection, and when
// the daemon falls idle no collection comes for two minutes. After one
// GetSecrets of 1,000 items that left 3 to 4 MB resident that nothing used.
//
// idleRelease notices such a burst by the collections it causes, waits
// until the daemon has stopped allocating, and then returns the memory
// once, instead of on every call. It needs no hook in the server: a daemon
// that allocates is a daemon at work, and one that allocates nothing has
// nothing to give back.

// idleDelay is how long the daemon must have allocated next to nothing
// before memory is returned: long enough that a client's next call in a
// series does not pay for a collection, short enough that a daemon at
// rest is small.
const idleDelay = 2 * time.Second

// quietBytes is what the daemon may allocate during idleDelay and still
// count as quiet: a D-Bus signal or two, a timer.
const quietBytes = 64 << 10

// releaseMin is how much must have been allocated since the last release
// for another one to be worth a collection.
const releaseMin = 1 << 20

// idleRelease calls release once allocs, a running count of bytes
// allocated, grew by at most quietBytes over a whole delay after busy was
// called. busy is cheap: an atomic load and, once per burst, a timer.
type idleRelease struct {
	delay   time.Duration
	allocs  func() uint64
	release func()

	armed  atomic.Bool
	closed atomic.Bool
}

func newIdleRelease(delay time.Duration, allocs func() uint64, release func()) *idleRelease {
	return &idleRelease{delay: delay, allocs: allocs, release: release}
}

// busy reports activity (onEachGC calls it after each collection). It
// returns false once the releaser is closed.
func (r *idleRelease) busy() bool {
	if r.closed.Load() {
		return false
	}
	if !r.armed.Load() && r.armed.CompareAndSwap(false, true) {
		r.arm(r.allocs())
	}
	return true
}

// close stops the releaser: no release runs after the one in flight.
func (r *idleRelease) close() { r.closed.Store(true) }

func (r *idleRelease) arm(seen uint64) {
	time.AfterFunc(r.delay, func() { r.check(seen) })
}

// check runs delay after arm: if the daemon allocated more than quietBytes
// meanwhile it is still busy, so it looks again later; otherwise it
// releases, and waits for the next burst.
func (r *idleRelease) check(seen uint64) {
	if r.closed.Load() {
		return
	}
	if now := r.allocs(); now-seen > quietBytes {
		r.arm(now)
		return
	}
	r.release()
	r.armed.Store(false)
}

// heapAllocs is the runtime's count of bytes allocated on the heap so far.
func heapAllocs() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// heapReleaser returns a release function for idleRelease: it returns
// freed memory to the operating system (debug.FreeOSMemory: a collection
// and a scavenge) when at least releaseMin bytes were allocated since it
// last did.
func heapReleaser() func() {
	var last uint64
	return func() {
		if heapAllocs()-last < releaseMin {
			return
		}
		debug.FreeOSMemory()
		last = heapAllocs()
	}
}

// onEachGC calls f after every garbage collection, until f returns false.
// A sentinel object is collected by each cycle, and its cleanup, which runs
// on the runtime's cleanup goroutine, calls f and plants the next one.
func onEachGC(f func() bool) {
	s := new(gcSentinel)
	runtime.AddCleanup(s, func(f func() bool) {
		if f() {
			onEachGC(f)
		}
	}, f)
}

// gcSentinel holds a pointer, so that it is never batched with other small
// objects by the tiny allocator and dies with the first cycle after it is
// made.
type gcSentinel struct{ _ *byte }
