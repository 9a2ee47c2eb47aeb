// Package membound lets tests and fuzz targets assert that a decoder of
// untrusted bytes allocates no more than a small factor of its input.
//
// A decoder that sizes a slice or a map from a count it read, rather than
// from the bytes that count describes, can be made to allocate gigabytes by
// a file of a few kilobytes, and a Go out-of-memory is fatal: no recover
// catches it, so every program linking the decoder dies. The guard is to
// measure: runtime.MemStats.TotalAlloc counts every byte allocated on the
// heap, garbage included, so a bound on it is a bound on the peak too.
//
//	membound.Check(t, len(data), 16, func() { _, _ = Decode(data) })
//
// TotalAlloc is process-wide: allocations by other goroutines during fn are
// counted too, so the bound tests must not run in parallel with others, and
// a fixed slack absorbs the little that runtime background work allocates.
package membound

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

// Slack is the fixed allowance on top of the per-byte factor: the decoder's
// fixed costs (error values, small maps) and stray runtime allocations.
const Slack = 64 << 10

// TotalAlloc returns how many heap bytes were allocated while fn ran,
// exactly (runtime.ReadMemStats flushes every P's allocation cache).
func TotalAlloc(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const allocsMetric = "/gc/heap/allocs:bytes"

// Check runs fn, a decode of inputLen bytes, and fails t if it allocated
// more than factor bytes per input byte plus Slack. It returns what fn
// allocated, exactly.
func Check(t testing.TB, inputLen int, factor uint64, fn func()) uint64 {
	t.Helper()
	got := TotalAlloc(fn)
	if limit := factor*uint64(inputLen) + Slack; got > limit {
		t.Fatalf("decoding %d bytes allocated %d bytes (%.1f× the input); the bound is %d× + %d",
			inputLen, got, float64(got)/float64(max(inputLen, 1)), factor, Slack)
	}
	return got
}

// CheckQuick is Check for fuzz targets, where fn must be deterministic.
//
// fn first runs under the runtime/metrics allocation counter, which needs
// no stop-the-world and so keeps fuzzing (input minimisation above all)
// fast. That counter is approximate, a span of small objects at a time, so
// a run it finds over the bound is repeated under Check, and only the exact
// count fails t. A bomb is large allocations, which it counts at once.
func CheckQuick(t testing.TB, inputLen int, factor uint64, fn func()) {
	t.Helper()
	s := []metrics.Sample{{Name: allocsMetric}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	fn()
	metrics.Read(s)
	if s[0].Value.Uint64()-before <= factor*uint64(inputLen)+Slack {
		return
	}
	Check(t, inputLen, factor, fn)
}
