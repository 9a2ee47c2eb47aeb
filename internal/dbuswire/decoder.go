package dbuswire

import (
	"encoding/binary"
	"fmt"
)

// Decoder reads the body of a message value by value, in the order of the
// body's signature, which the caller has checked (Header.Signature). Every
// read validates what it reads. The first error is sticky: every later call
// returns it again, so a caller may read all values and check once.
//
// Strings are copies; Bytes returns a subslice of the frame, valid as long
// as the frame is.
type Decoder struct {
	r   reader
	err error
}

// NewDecoder returns a Decoder for the body of frame, whose header is h (as
// ParseHeader returned it). Alignment is relative to frame[0].
func NewDecoder(h Header, frame []byte) *Decoder {
	d := &Decoder{r: reader{b: frame, pos: h.BodyOffset, end: len(frame), order: h.Order}}
	if h.Order == nil || h.BodyOffset < fixedHeaderLen || h.BodyOffset > len(frame) || h.BodyOffset%8 != 0 {
		d.err = fmt.Errorf("%w: the header does not belong to a frame of %d bytes", ErrMalformed, len(frame))
		d.r.order = binary.LittleEndian
	}
	return d
}

// Err returns the first error the Decoder met, or nil.
func (d *Decoder) Err() error { return d.err }

// Uint32 reads a u.
func (d *Decoder) Uint32() (uint32, error) {
	if d.err != nil {
		return 0, d.err
	}
	v, err := d.r.uint32()
	d.err = err
	return v, err
}

// String reads an s: valid UTF-8 without NUL.
func (d *Decoder) String() (string, error) {
	if d.err != nil {
		return "", d.err
	}
	s, err := d.r.string()
	d.err = err
	return s, err
}

// ObjectPath reads an o, whose syntax it checks.
func (d *Decoder) ObjectPath() (string, error) {
	if d.err != nil {
		return "", d.err
	}
	s, err := d.r.objectPath()
	d.err = err
	return s, err
}

// Signature reads a g, whose syntax it checks.
func (d *Decoder) Signature() (string, error) {
	if d.err != nil {
		return "", d.err
	}
	s, err := d.r.signature()
	d.err = err
	return s, err
}

// Bytes reads an ay and returns it as a subslice of the frame, without a
// copy. Its capacity ends with it, so appending to it never overwrites the
// frame.
func (d *Decoder) Bytes() ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	end, err := d.r.arrayStart(1)
	if err != nil {
		d.err = err
		return nil, err
	}
	b := d.r.b[d.r.pos:end:end]
	d.r.pos = end
	return b, nil
}

// minPathSize is the fewest bytes an o takes in an array, with the padding
// before the next one: a length (4), "/" and NUL (2), then 2 of padding.
const minPathSize = 8

// ObjectPaths reads an ao. The slice it returns is sized by the bytes the
// array holds, never by its length field alone.
func (d *Decoder) ObjectPaths() ([]string, error) {
	if d.err != nil {
		return nil, d.err
	}
	paths, err := d.objectPaths()
	d.err = err
	return paths, err
}

func (d *Decoder) objectPaths() ([]string, error) {
	r := &d.r
	end, err := r.arrayStart(4)
	if err != nil {
		return nil, err
	}
	if end == r.pos {
		return nil, nil
	}
	paths := make([]string, 0, (end-r.pos)/minPathSize+1)
	outer := r.end
	r.end = end
	for r.pos < end {
		p, err := r.objectPath()
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	r.end = outer
	return paths, nil
}

// minEntrySize is the fewest bytes a {ss} takes in an array, with the
// padding before the next one: two empty strings (5 bytes each, the second
// aligned to 4) are 9 bytes, padded to 16.
const minEntrySize = 16

// StringMap reads an a{ss}. A key that appears twice makes the message
// malformed: which value was meant is not for this package to guess.
func (d *Decoder) StringMap() (map[string]string, error) {
	if d.err != nil {
		return nil, d.err
	}
	m, err := d.stringMap()
	d.err = err
	return m, err
}

func (d *Decoder) stringMap() (map[string]string, error) {
	r := &d.r
	end, err := r.arrayStart(8)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, (end-r.pos)/minEntrySize+1)
	outer := r.end
	r.end = end
	for r.pos < end {
		if err := r.align(8); err != nil {
			return nil, err
		}
		k, err := r.string()
		if err != nil {
			return nil, err
		}
		v, err := r.string()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, r.fail("dictionary key %s appears twice", quote(k))
		}
		m[k] = v
	}
	r.end = outer
	return m, nil
}

// Done checks that the body has been read to its end.
func (d *Decoder) Done() error {
	if d.err != nil {
		return d.err
	}
	if d.r.pos != len(d.r.b) {
		d.err = d.r.fail("%d bytes left after the body", len(d.r.b)-d.r.pos)
	}
	return d.err
}
