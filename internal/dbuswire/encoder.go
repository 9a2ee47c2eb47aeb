package dbuswire

import (
	"encoding/binary"
	"fmt"
)

// Encoder builds a little-endian message in a caller's buffer. Values are
// appended in the order of the signature given when it was started; the
// caller is responsible for that order. The first error (an invalid string
// or object path, an array over 64 MiB) is sticky and returned by Finish.
//
// Alignment is relative to the start of the message, which is the start of
// the buffer, so the bytes appended are already the final wire form.
type Encoder struct {
	buf       []byte
	err       error
	bodyStart int
	// lastPath is the last object path found valid: a reply repeats the
	// same session path in every secret, and checking it once is enough.
	lastPath string
}

// offBodyLen is the offset of the body length in the fixed header.
const offBodyLen = 4

// start appends the fixed header and begins the header-field array; fields
// follow, then endFields.
func (e *Encoder) start(typ Type, serial uint32) int {
	if serial == 0 {
		e.fail(fmt.Errorf("serial 0"))
	}
	e.buf = append(e.buf, 'l', byte(typ), 0, 1, 0, 0, 0, 0)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, serial)
	return e.BeginArray(8)
}

func (e *Encoder) field(code byte, sig byte) {
	e.BeginStruct()
	e.buf = append(e.buf, code, 1, sig, 0)
}

func (e *Encoder) fieldString(code byte, sig byte, s string) {
	e.field(code, sig)
	switch sig {
	case 'g':
		e.Signature(s)
	case 'o':
		e.ObjectPath(s)
	default:
		e.String(s)
	}
}

func (e *Encoder) fieldUint32(code byte, v uint32) {
	e.field(code, 'u')
	e.Uint32(v)
}

func (e *Encoder) endFields(mark int, signature string) {
	if signature != "" {
		e.fieldString(fieldSignature, 'g', signature)
	}
	e.EndArray(mark)
	e.pad(8)
	e.bodyStart = len(e.buf)
}

// NewMethodReturn starts a METHOD_RETURN message in buf[:0], with the header
// fields REPLY_SERIAL, DESTINATION (omitted when "") and SIGNATURE (omitted
// when ""). The body follows, written by the Encoder's methods.
func NewMethodReturn(buf []byte, serial, replySerial uint32, destination, signature string) *Encoder {
	e := &Encoder{buf: buf[:0]}
	mark := e.start(TypeMethodReturn, serial)
	e.replyFields(replySerial, destination)
	e.endFields(mark, signature)
	return e
}

func (e *Encoder) replyFields(replySerial uint32, destination string) {
	if replySerial == 0 {
		e.fail(fmt.Errorf("reply serial 0"))
	}
	e.fieldUint32(fieldReplySerial, replySerial)
	if destination != "" {
		if err := checkBusName(destination); err != nil {
			e.fail(err)
		}
		e.fieldString(fieldDestination, 's', destination)
	}
}

// AppendError builds a whole ERROR message into buf[:0] and returns it: the
// header fields ERROR_NAME, REPLY_SERIAL, DESTINATION (omitted when "") and
// SIGNATURE "s", and message as the body.
func AppendError(buf []byte, serial, replySerial uint32, destination, errorName, message string) ([]byte, error) {
	e := &Encoder{buf: buf[:0]}
	mark := e.start(TypeError, serial)
	if err := checkErrorName(errorName); err != nil {
		e.fail(err)
	}
	e.fieldString(fieldErrorName, 's', errorName)
	e.replyFields(replySerial, destination)
	e.endFields(mark, "s")
	e.String(message)
	return e.Finish()
}

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = fmt.Errorf("dbuswire: encoding: %w", err)
	}
}

// Err returns the first error the Encoder met, or nil.
func (e *Encoder) Err() error { return e.err }

// zeros is padding.
const zeros = "\x00\x00\x00\x00\x00\x00\x00\x00"

func (e *Encoder) pad(n int) {
	if r := len(e.buf) % n; r != 0 {
		e.buf = append(e.buf, zeros[:n-r]...)
	}
}

// Uint32 appends a u.
func (e *Encoder) Uint32(v uint32) {
	e.pad(4)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, v)
}

// String appends an s. A string that is not valid UTF-8 or contains NUL is
// an error.
func (e *Encoder) String(s string) {
	if err := checkString(s); err != nil {
		e.fail(err)
	}
	e.appendString(s)
}

func (e *Encoder) appendString(s string) {
	e.pad(4)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(s)))
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, 0)
}

// ObjectPath appends an o. An invalid object path is an error.
func (e *Encoder) ObjectPath(p string) {
	if p != e.lastPath || p == "" {
		if err := checkObjectPath(p); err != nil {
			e.fail(err)
		} else {
			e.lastPath = p
		}
	}
	e.appendString(p)
}

// Signature appends a g. An invalid signature is an error.
func (e *Encoder) Signature(s string) {
	if err := checkSignature(s); err != nil {
		e.fail(err)
		s = ""
	}
	e.buf = append(e.buf, byte(len(s)))
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, 0)
}

// Bytes appends an ay with a single copy of b.
func (e *Encoder) Bytes(b []byte) {
	if len(b) > maxArrayLen {
		e.fail(fmt.Errorf("%w: byte array of %d bytes", ErrTooLarge, len(b)))
		return
	}
	e.pad(4)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// BeginArray starts an array whose elements have the alignment elemAlign
// (1, 2, 4 or 8: 8 for structs and dict entries) and returns a mark for
// EndArray. The padding to the first element follows the length even when
// the array stays empty, as the specification says.
func (e *Encoder) BeginArray(elemAlign int) int {
	switch elemAlign {
	case 1, 2, 4, 8:
	default:
		e.fail(fmt.Errorf("array element alignment %d", elemAlign))
		elemAlign = 1
	}
	e.pad(4)
	lenPos := len(e.buf)
	e.buf = append(e.buf, 0, 0, 0, 0)
	e.pad(elemAlign)
	start := len(e.buf)
	// The mark carries both the length's offset and the first element's:
	// they differ by 4 or 8.
	return start<<4 | (start - lenPos)
}

// EndArray ends the array BeginArray returned mark for, patching its length.
// An array over 64 MiB is an error.
func (e *Encoder) EndArray(mark int) {
	start, lenPos := mark>>4, mark>>4-mark&15
	if gap := start - lenPos; mark < 0 || lenPos < 0 || lenPos%4 != 0 || start > len(e.buf) || gap != 4 && gap != 8 {
		e.fail(fmt.Errorf("array mark %d is not from this encoder", mark))
		return
	}
	n := len(e.buf) - start
	if n > maxArrayLen {
		e.fail(fmt.Errorf("%w: array of %d bytes", ErrTooLarge, n))
		return
	}
	binary.LittleEndian.PutUint32(e.buf[lenPos:], uint32(n))
}

// BeginStruct starts a struct or a dict entry: both are aligned to 8. They
// need no end.
func (e *Encoder) BeginStruct() { e.pad(8) }

// Buffer is what has been appended so far, whole or not, error or not: a
// caller whose message held secrets wipes it, even when Finish failed.
func (e *Encoder) Buffer() []byte { return e.buf }

// Finish patches the body length and returns the whole message, which
// shares the storage of the buffer the Encoder was started with.
func (e *Encoder) Finish() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	if len(e.buf) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(e.buf))
	}
	binary.LittleEndian.PutUint32(e.buf[offBodyLen:], uint32(len(e.buf)-e.bodyStart))
	return e.buf, nil
}
