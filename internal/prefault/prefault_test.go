package prefault

import (
	"bytes"
	"testing"
)

// The advice must never change what a buffer holds, whether it is fresh,
// already written, or a slice into the middle of a larger allocation.
func TestContentsUnchanged(t *testing.T) {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	want := bytes.Clone(big)
	Buffer(big[12345 : 12345+200000])
	Buffer(big)
	if !bytes.Equal(big, want) {
		t.Fatal("prefaulting changed the contents of a written buffer")
	}
	type pair struct {
		s string
		b []byte
	}
	ps := make([]pair, 10000)
	Slice(ps)
	for i := range ps {
		if ps[i].s != "" || ps[i].b != nil {
			t.Fatal("a fresh slice is not zero after prefaulting")
		}
	}
	Buffer(nil)
	Slice([]int(nil))
}

func BenchmarkFreshBuffer(b *testing.B) {
	for _, pre := range []bool{false, true} {
		name := "touch"
		if pre {
			name = "prefault"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				buf := make([]byte, 256<<10)
				if pre {
					Buffer(buf)
				}
				for i := 0; i < len(buf); i += 4096 {
					buf[i] = 1
				}
			}
		})
	}
}
