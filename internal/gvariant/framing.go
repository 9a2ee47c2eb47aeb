package gvariant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
)

// ErrMalformed reports a buffer that is not a valid serialisation of the
// expected type.
var ErrMalformed = errors.New("gvariant: malformed data")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// align rounds n up to a multiple of a (a power of two).
func align(n, a int) int { return (n + a - 1) &^ (a - 1) }

// offsetSize is the width of the framing offsets of a container whose total
// size, offsets included, is size (GLib's gvs_get_offset_size).
func offsetSize(size int) int {
	switch {
	case size == 0:
		return 0
	case size <= 0xff:
		return 1
	case size <= 0xffff:
		return 2
	case uint64(size) <= 0xffffffff:
		return 4
	default:
		return 8
	}
}

// chooseOffsetSize is the width normal form requires for a container with
// body bytes and n offsets: the smallest that can address the whole
// container (GLib's gvs_calculate_total_size).
func chooseOffsetSize(body, n int) int {
	if n == 0 {
		return 0
	}
	for _, k := range []int{1, 2, 4} {
		if uint64(body+n*k) <= 1<<(8*k)-1 {
			return k
		}
	}
	return 8
}

func putOffset(dst []byte, v, k int) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	return append(dst, b[:k]...)
}

func readOffset(b []byte, k int) uint64 {
	var v [8]byte
	copy(v[:], b[:k])
	return binary.LittleEndian.Uint64(v[:])
}

// pad appends zero bytes until len(b) is a multiple of a.
func pad(b []byte, a int) []byte {
	for len(b)%a != 0 {
		b = append(b, 0)
	}
	return b
}

// child describes one member of a tuple being encoded.
type child struct {
	align    int
	data     []byte
	variable bool // has no fixed size, so needs a framing offset unless last
}

// encodeTuple lays out children in order and appends the end offsets of the
// variable-size ones (except the last child) in reverse order.
func encodeTuple(children []child) []byte {
	var body []byte
	var ends []int
	for i, c := range children {
		body = pad(body, c.align)
		body = append(body, c.data...)
		if c.variable && i != len(children)-1 {
			ends = append(ends, len(body))
		}
	}
	k := chooseOffsetSize(len(body), len(ends))
	for i := len(ends) - 1; i >= 0; i-- {
		body = putOffset(body, ends[i], k)
	}
	return body
}

// encodeArray lays out variable-size elements, each aligned, followed by
// their end offsets in element order. An empty array is zero bytes.
func encodeArray(elems [][]byte, elemAlign int) []byte {
	var body []byte
	ends := make([]int, 0, len(elems))
	for _, e := range elems {
		body = pad(body, elemAlign)
		body = append(body, e...)
		ends = append(ends, len(body))
	}
	k := chooseOffsetSize(len(body), len(ends))
	for _, e := range ends {
		body = putOffset(body, e, k)
	}
	return body
}

// member describes one member of a tuple being decoded.
type member struct {
	align int
	size  int // fixed size, or 0 for variable-size
}

// splitTuple appends the byte range of every member of a tuple to dst and
// returns it. Members with a fixed size need no framing; variable ones
// (except the last) each own one offset, read from the end of the buffer
// backwards. Callers pass a small array on their stack as dst, so that
// decoding a file of thousands of items does not allocate per tuple.
func splitTuple(dst [][]byte, b []byte, members []member) ([][]byte, error) {
	k := offsetSize(len(b))
	nOffsets := 0
	for i, m := range members {
		if m.size == 0 && i != len(members)-1 {
			nOffsets++
		}
	}
	if nOffsets*k > len(b) {
		return nil, malformed("tuple of %d bytes too short for its %d offsets", len(b), nOffsets)
	}
	limit := len(b) - nOffsets*k
	out := dst[:0]
	pos, used := 0, 0
	for i, m := range members {
		start := align(pos, m.align)
		var end int
		switch {
		case m.size > 0:
			end = start + m.size
		case i == len(members)-1:
			end = limit
		default:
			used++
			at := len(b) - used*k
			off := readOffset(b[at:], k)
			if off > uint64(limit) {
				return nil, malformed("tuple member %d ends at %d, past %d", i, off, limit)
			}
			end = int(off)
		}
		if start > end || end > limit {
			return nil, malformed("tuple member %d spans %d..%d of %d", i, start, end, limit)
		}
		out = append(out, b[start:end])
		pos = end
	}
	return out, nil
}

// arrayIter walks the elements of an array of variable-size elements
// without collecting them.
type arrayIter struct {
	b     []byte
	k     int    // offset width
	last  uint64 // where the offset table starts
	align int
	i, n  int
	prev  int
}

func newArrayIter(b []byte, elemAlign int) (arrayIter, error) {
	it := arrayIter{b: b, align: elemAlign}
	if len(b) == 0 {
		return it, nil
	}
	k := offsetSize(len(b))
	if k > len(b) {
		return it, malformed("array of %d bytes has no offset table", len(b))
	}
	last := readOffset(b[len(b)-k:], k)
	if last > uint64(len(b)-k) {
		return it, malformed("array offset table starts at %d, past %d", last, len(b))
	}
	table := len(b) - int(last)
	if table%k != 0 {
		return it, malformed("array offset table of %d bytes is not a multiple of %d", table, k)
	}
	it.k, it.last, it.n = k, last, table/k
	return it, nil
}

// elems yields the elements in order, then stops; a malformed element is
// yielded as an error, and ends the walk.
func (it *arrayIter) elems() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for ; it.i < it.n; it.i++ {
			end := readOffset(it.b[int(it.last)+it.i*it.k:], it.k)
			start := align(it.prev, it.align)
			if end > it.last || uint64(start) > end {
				yield(nil, malformed("array element %d spans %d..%d of %d", it.i, start, end, it.last))
				return
			}
			it.prev = int(end)
			if !yield(it.b[start:int(end)], nil) {
				return
			}
		}
	}
}
