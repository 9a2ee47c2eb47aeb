package legacykeyring

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/moneypenny-go/keyring/secret"
)

// reader walks a big-endian buffer. The first failure sticks: later reads
// return zero values, so parsing code reads straight through and checks err
// once per record instead of after every field.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("legacykeyring: %s at offset %d: %w", what, r.off, secret.ErrCorrupt)
	}
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) bytes(n int64) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > int64(r.remaining()) {
		r.fail(fmt.Sprintf("%d bytes wanted, %d left", n, r.remaining()))
		return nil
	}
	s := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// time reads gnome-keyring's 64-bit seconds, stored as two words, high first.
func (r *reader) time() time.Time {
	hi, lo := r.u32(), r.u32()
	secs := int64(uint64(hi)<<32 | uint64(lo))
	if r.err != nil || secs < 0 {
		return time.Time{}
	}
	return time.Unix(secs, 0)
}

// str reads a length-prefixed string; the length 0xffffffff stands for NULL
// and gives nil.
func (r *reader) str(what string) []byte {
	n := r.u32()
	if r.err != nil || n == 0xffffffff {
		return nil
	}
	b := r.bytes(int64(n))
	if b == nil && r.err != nil {
		r.err = nil
		r.fail(what + " runs past the end")
	}
	return b
}

// utf8 reads a string that must be text, as gnome-keyring requires for
// names, labels and attributes.
func (r *reader) utf8(what string) string {
	b := r.str(what)
	if !utf8.Valid(b) {
		r.fail(what + " is not UTF-8")
		return ""
	}
	return string(b)
}

// count reads an element count and rejects one that could not fit in the
// bytes left when each element needs at least min bytes, so a corrupt count
// can never cause a huge allocation.
func (r *reader) count(min int) int {
	n := r.u32()
	if r.err != nil {
		return 0
	}
	if int64(n)*int64(min) > int64(r.remaining()) {
		r.fail(fmt.Sprintf("count %d exceeds the data left", n))
		return 0
	}
	return int(n)
}
