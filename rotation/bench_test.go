package rotation

import (
	"testing"
	"time"
)

func benchRing(b *testing.B) *Ring {
	r := NewRing("bench")
	snap := Snapshot{Config: GroupConfig{Name: "bench", KeySize: 32, Interval: time.Hour}, Latest: 16}
	t0 := time.Now().Add(-time.Hour)
	for v := uint32(1); v <= 16; v++ {
		snap.Rows = append(snap.Rows, Row{Version: v, Created: t0, Activated: t0, Sealed: []byte{byte(v)}})
	}
	r.Update(snap, func(row Row) ([]byte, error) { return make([]byte, 32), nil })
	return r
}

// BenchmarkCurrent: one goroutine; the floor is 50 million calls
// per second on one core (20 ns/op) and no allocation.
func BenchmarkCurrent(b *testing.B) {
	r := benchRing(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Current(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCurrentParallel: GOMAXPROCS goroutines reading at once (run
// with -cpu 1,2,4 to see the scaling).
func BenchmarkCurrentParallel(b *testing.B) {
	r := benchRing(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Current(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkResolve: a binary search over 16 versions.
func BenchmarkResolve(b *testing.B) {
	r := benchRing(b)
	b.ReportAllocs()
	v := uint32(0)
	for b.Loop() {
		v = v%16 + 1
		if _, err := r.Resolve(v); err != nil {
			b.Fatal(err)
		}
	}
}
