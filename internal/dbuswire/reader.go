package dbuswire

import (
	"encoding/binary"
	"fmt"
)

// reader walks a frame with bounds and padding checks. Positions are
// offsets into the whole frame, so alignment is relative to the message
// start. Its errors are not yet wrapped: the caller adds ErrMalformed.
type reader struct {
	b     []byte
	pos   int
	end   int // the current container's end; b[end:] is out of reach
	order binary.ByteOrder
}

func (r *reader) fail(format string, args ...any) error {
	return r.failAt(r.pos, format, args...)
}

func (r *reader) failAt(pos int, format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, pos, fmt.Sprintf(format, args...))
}

// align skips the padding to a multiple of n, which must be zero.
func (r *reader) align(n int) error {
	next := (r.pos + n - 1) &^ (n - 1)
	if next > r.end {
		return r.fail("padding runs past the end")
	}
	for _, c := range r.b[r.pos:next] {
		if c != 0 {
			return r.fail("non-zero padding")
		}
	}
	r.pos = next
	return nil
}

func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || n > r.end-r.pos {
		return nil, r.fail("%d bytes needed, %d left", n, r.end-r.pos)
	}
	p := r.b[r.pos : r.pos+n]
	r.pos += n
	return p, nil
}

func (r *reader) byte() (byte, error) {
	p, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

func (r *reader) uint32() (uint32, error) {
	if err := r.align(4); err != nil {
		return 0, err
	}
	p, err := r.take(4)
	if err != nil {
		return 0, err
	}
	return r.order.Uint32(p), nil
}

// rawString reads the bytes of an s or o (a uint32 length, the bytes, a NUL)
// without copying them.
func (r *reader) rawString() ([]byte, error) {
	n, err := r.uint32()
	if err != nil {
		return nil, err
	}
	if uint64(n) >= uint64(r.end-r.pos) {
		return nil, r.fail("string of %d bytes with %d left", n, r.end-r.pos)
	}
	p := r.b[r.pos : r.pos+int(n)]
	if r.b[r.pos+int(n)] != 0 {
		return nil, r.fail("string not terminated by NUL")
	}
	r.pos += int(n) + 1
	return p, nil
}

func (r *reader) string() (string, error) {
	start := r.pos
	p, err := r.rawString()
	if err != nil {
		return "", err
	}
	s := string(p)
	if err := checkString(s); err != nil {
		return "", r.failAt(start, "%v", err)
	}
	return s, nil
}

func (r *reader) objectPath() (string, error) {
	start := r.pos
	p, err := r.rawString()
	if err != nil {
		return "", err
	}
	s := string(p)
	if err := checkObjectPath(s); err != nil {
		return "", r.failAt(start, "%v", err)
	}
	return s, nil
}

func (r *reader) signature() (string, error) {
	n, err := r.byte()
	if err != nil {
		return "", err
	}
	if int(n) >= r.end-r.pos {
		return "", r.fail("signature of %d bytes with %d left", n, r.end-r.pos)
	}
	p := r.b[r.pos : r.pos+int(n)]
	if r.b[r.pos+int(n)] != 0 {
		return "", r.fail("signature not terminated by NUL")
	}
	s := string(p)
	if err := checkSignature(s); err != nil {
		return "", r.fail("%v", err)
	}
	r.pos += int(n) + 1
	return s, nil
}

// arrayStart reads an array's length and the padding before its first
// element, and returns where the array ends.
func (r *reader) arrayStart(elemAlign int) (int, error) {
	n, err := r.uint32()
	if err != nil {
		return 0, err
	}
	if n > maxArrayLen {
		return 0, r.fail("array of %d bytes", n)
	}
	// The padding before the first element is there even for an empty
	// array, and is not counted in its length.
	if err := r.align(elemAlign); err != nil {
		return 0, err
	}
	if int(n) > r.end-r.pos {
		return 0, r.fail("array of %d bytes with %d left", n, r.end-r.pos)
	}
	return r.pos + int(n), nil
}

// alignOf returns the alignment of the complete type starting with c.
func alignOf(c byte) int {
	switch c {
	case 'y', 'g', 'v':
		return 1
	case 'n', 'q':
		return 2
	case 'b', 'i', 'u', 'h', 's', 'o', 'a':
		return 4
	}
	return 8 // x, t, d, (, {
}

// fixedSize returns the wire size of a fixed-size basic type, or 0.
func fixedSize(c byte) int {
	switch c {
	case 'y':
		return 1
	case 'n', 'q':
		return 2
	case 'b', 'i', 'u', 'h':
		return 4
	case 'x', 't', 'd':
		return 8
	}
	return 0
}

// skip validates and steps over one value of the complete type at sig[i:],
// which checkSignature has accepted, and returns the index after that type.
// depth counts the containers around it, variants included.
func (r *reader) skip(sig string, i, depth int) (int, error) {
	c := sig[i]
	if n := fixedSize(c); n > 0 {
		if err := r.align(n); err != nil {
			return 0, err
		}
		p, err := r.take(n)
		if err != nil {
			return 0, err
		}
		if c == 'b' && r.order.Uint32(p) > 1 {
			return 0, r.fail("boolean %d", r.order.Uint32(p))
		}
		return i + 1, nil
	}
	if depth >= maxDepth && (c == 'a' || c == '(' || c == 'v') {
		return 0, r.fail("values nested more than %d deep", maxDepth)
	}
	switch c {
	case 's':
		_, err := r.string()
		return i + 1, err
	case 'o':
		_, err := r.objectPath()
		return i + 1, err
	case 'g':
		_, err := r.signature()
		return i + 1, err
	case 'v':
		vs, err := r.signature()
		if err != nil {
			return 0, err
		}
		if err := checkSingleType(vs); err != nil {
			return 0, r.fail("%v", err)
		}
		if _, err := r.skip(vs, 0, depth+1); err != nil {
			return 0, err
		}
		return i + 1, nil
	case '(':
		if err := r.align(8); err != nil {
			return 0, err
		}
		j := i + 1
		for sig[j] != ')' {
			var err error
			if j, err = r.skip(sig, j, depth+1); err != nil {
				return 0, err
			}
		}
		return j + 1, nil
	case 'a':
		elem := i + 1
		align := alignOf(sig[elem])
		end, err := r.arrayStart(align)
		if err != nil {
			return 0, err
		}
		after, err := typeEnd(sig, i)
		if err != nil {
			return 0, r.fail("%v", err)
		}
		if n := fixedSize(sig[elem]); n > 0 && sig[elem] != 'b' {
			// No value of these types is invalid: check only that the
			// length is whole elements, in O(1), as for ay.
			if (end-r.pos)%n != 0 {
				return 0, r.fail("array of %d bytes holds no whole number of %d-byte elements", end-r.pos, n)
			}
			r.pos = end
			return after, nil
		}
		outer := r.end
		r.end = end
		for r.pos < end {
			if sig[elem] == '{' {
				if err := r.align(8); err != nil {
					return 0, err
				}
				if _, err := r.skip(sig, elem+1, depth+2); err != nil {
					return 0, err
				}
				if _, err := r.skip(sig, elem+2, depth+2); err != nil {
					return 0, err
				}
				continue
			}
			if _, err := r.skip(sig, elem, depth+1); err != nil {
				return 0, err
			}
		}
		r.end = outer
		return after, nil
	}
	return 0, r.fail("type code %q", c)
}

// typeEnd returns the index after the complete type at sig[i:].
func typeEnd(sig string, i int) (int, error) {
	return completeType(sig, i, 0, 0)
}
