package main

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestIdleRelease: memory is returned once after a burst of messages, when
// the bus has been quiet for the delay; not while messages keep coming, not
// again without new messages, and again after the next burst.
func TestIdleRelease(t *testing.T) {
	const delay = 100 * time.Millisecond
	var calls atomic.Int32
	released := make(chan struct{}, 10)
	r := newIdleRelease(delay, func() {
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
		t.Fatalf("%d releases before any message", n)
	}

	// Messages every delay/10 for 8 delays: the bus is never quiet for a
	// whole delay until they stop.
	start := time.Now()
	for time.Since(start) < 8*delay {
		r.busy()
		time.Sleep(delay / 10)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d releases while messages kept coming", n)
	}
	waitRelease("after the burst")
	time.Sleep(3 * delay)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d releases after one burst, want 1", n)
	}

	r.busy()
	waitRelease("after a second burst")
	time.Sleep(3 * delay)
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d releases after two bursts, want 2", n)
	}
}

// TestHeapReleaserThreshold: a release returns memory only when enough was
// allocated since the last one; it reports whether it did through the
// runtime's count of collections.
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

// allocSink makes the test's allocations escape to the heap.
var allocSink []byte

func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}
