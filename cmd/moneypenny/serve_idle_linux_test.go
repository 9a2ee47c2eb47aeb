package main

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestIdleRelease: memory is returned once after a burst, when the daemon
// has allocated next to nothing for a whole delay; not while it keeps
// allocating, not again without a new burst, never after close.
func TestIdleRelease(t *testing.T) {
	const delay = 50 * time.Millisecond
	var allocated atomic.Uint64
	var calls atomic.Int32
	released := make(chan struct{}, 10)
	r := newIdleRelease(delay, allocated.Load, func() {
		calls.Add(1)
		released <- struct{}{}
	})
	waitRelease := func(what string) {
		t.Helper()
		select {
		case <-released:
		case <-time.After(10 * time.Second):
			t.Fatalf("no release %s", what)
		}
	}

	time.Sleep(3 * delay)
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d releases before any activity", n)
	}

	// A burst: a collection, then allocations that go on for 10 delays,
	// far more than quietBytes per delay.
	r.busy()
	start := time.Now()
	for time.Since(start) < 10*delay {
		allocated.Add(quietBytes)
		time.Sleep(delay / 20)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d releases while the daemon kept allocating", n)
	}
	waitRelease("after the burst")
	// A signal or two while quiet is no burst.
	allocated.Add(quietBytes / 4)
	time.Sleep(4 * delay)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d releases after one burst, want 1", n)
	}

	r.busy()
	waitRelease("after a second burst")
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d releases after two bursts, want 2", n)
	}

	r.close()
	if r.busy() {
		t.Fatal("busy after close reports the releaser open")
	}
	time.Sleep(4 * delay)
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d releases after close, want 2", n)
	}
}

// TestHeapReleaserThreshold: a release returns memory (a collection) only
// when enough was allocated since the last one.
func TestHeapReleaserThreshold(t *testing.T) {
	release := heapReleaser()
	release() // whatever the test binary allocated so far
	gcs := numGC()
	release()
	if numGC() != gcs {
		t.Fatal("a release with nothing allocated since the last one collected")
	}
	for range 64 {
		allocSink = make([]byte, 32<<10) // 2 MiB in all
	}
	allocSink = nil
	gcs = numGC()
	release()
	if numGC() == gcs {
		t.Fatal("a release after 2 MiB of allocations did not collect")
	}
}

// TestOnEachGC: the function runs after each collection until it returns
// false.
func TestOnEachGC(t *testing.T) {
	calls := make(chan struct{}, 100)
	var n atomic.Int32
	onEachGC(func() bool {
		calls <- struct{}{}
		return n.Add(1) < 3
	})
	for i := range 3 {
		runtime.GC()
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("no call after collection %d", i+1)
		}
	}
	for range 3 {
		runtime.GC()
	}
	time.Sleep(100 * time.Millisecond)
	if got := n.Load(); got != 3 {
		t.Fatalf("%d calls, want 3: it went on after returning false", got)
	}
}

// allocSink makes the test's allocations escape to the heap.
var allocSink []byte

func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}
