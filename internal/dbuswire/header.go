package dbuswire

import (
	"encoding/binary"
	"fmt"
)

// Header is the header of a message, as ParseHeader reads it. A field that
// is absent from the message is the zero value.
type Header struct {
	Order       binary.ByteOrder // binary.LittleEndian or binary.BigEndian
	Type        Type
	Flags       byte
	Serial      uint32
	Path        string // object path, "" if absent
	Interface   string
	Member      string
	ErrorName   string
	Destination string
	Sender      string
	Signature   string // body signature, "" if absent
	ReplySerial uint32
	UnixFDs     uint32
	BodyOffset  int // the body is frame[BodyOffset:]
}

// The header field codes of the specification.
const (
	fieldPath        = 1
	fieldInterface   = 2
	fieldMember      = 3
	fieldErrorName   = 4
	fieldReplySerial = 5
	fieldDestination = 6
	fieldSender      = 7
	fieldSignature   = 8
	fieldUnixFDs     = 9
)

// fieldSignatures holds the variant signature each known field must have.
var fieldSignatures = [...]string{
	fieldPath:        "o",
	fieldInterface:   "s",
	fieldMember:      "s",
	fieldErrorName:   "s",
	fieldReplySerial: "u",
	fieldDestination: "s",
	fieldSender:      "s",
	fieldSignature:   "g",
	fieldUnixFDs:     "u",
}

// ParseHeader validates and reads the header of a whole frame, as ReadFrame
// returns it: the fixed header, every header field (each known code once at
// most, with its variant signature; unknown codes are validated and skipped,
// as the specification says), the zero padding before the body, and that the
// body length matches the frame exactly. It also checks that the fields a
// message type requires are present and that names are valid. Unknown
// message types are accepted without required fields, since the
// specification says a receiver must ignore them; the caller decides.
//
// Every error wraps ErrMalformed or ErrTooLarge, and comes with a zero
// Header. It never panics.
func ParseHeader(frame []byte) (Header, error) {
	h, err := parseHeader(frame)
	if err != nil {
		return Header{}, err
	}
	return h, nil
}

func parseHeader(frame []byte) (Header, error) {
	var h Header
	total, err := FrameLen(frame)
	if err != nil {
		return h, err
	}
	if total != len(frame) {
		return h, fmt.Errorf("%w: header claims %d bytes, the frame has %d", ErrMalformed, total, len(frame))
	}
	h.Order, _ = byteOrder(frame[0])
	h.Type = Type(frame[1])
	h.Flags = frame[2]
	h.Serial = h.Order.Uint32(frame[8:])
	if h.Type == 0 {
		return h, fmt.Errorf("%w: message type 0", ErrMalformed)
	}
	if h.Serial == 0 {
		return h, fmt.Errorf("%w: serial 0", ErrMalformed)
	}
	fieldsEnd := fixedHeaderLen + int(h.Order.Uint32(frame[12:]))
	h.BodyOffset = int(align8(uint64(fieldsEnd)))
	r := reader{b: frame, pos: fixedHeaderLen, end: fieldsEnd, order: h.Order}
	var seen uint16
	for r.pos < fieldsEnd {
		if err := r.align(8); err != nil {
			return h, err
		}
		code, err := r.byte()
		if err != nil {
			return h, err
		}
		sig, err := r.signature()
		if err != nil {
			return h, err
		}
		if code == 0 {
			return h, r.fail("header field code 0")
		}
		if int(code) >= len(fieldSignatures) {
			if err := checkSingleType(sig); err != nil {
				return h, r.fail("header field %d: %v", code, err)
			}
			if _, err := r.skip(sig, 0, 1); err != nil {
				return h, err
			}
			continue
		}
		if seen&(1<<code) != 0 {
			return h, r.fail("header field %d appears twice", code)
		}
		seen |= 1 << code
		if sig != fieldSignatures[code] {
			return h, r.fail("header field %d has signature %q, not %q", code, sig, fieldSignatures[code])
		}
		if err := h.readField(&r, code); err != nil {
			return h, err
		}
	}
	r.end = h.BodyOffset
	if err := r.align(8); err != nil {
		return h, err
	}
	if err := h.checkRequired(seen); err != nil {
		return h, err
	}
	if h.Signature == "" && h.BodyOffset != len(frame) {
		return h, fmt.Errorf("%w: a body of %d bytes without a signature", ErrMalformed, len(frame)-h.BodyOffset)
	}
	return h, nil
}

func (h *Header) readField(r *reader, code byte) error {
	var err error
	switch code {
	case fieldPath:
		h.Path, err = r.objectPath()
		return err
	case fieldSignature:
		h.Signature, err = r.signature()
		return err
	case fieldUnixFDs:
		h.UnixFDs, err = r.uint32()
		return err
	case fieldReplySerial:
		if h.ReplySerial, err = r.uint32(); err == nil && h.ReplySerial == 0 {
			err = r.fail("reply serial 0")
		}
		return err
	}
	var dst *string
	var check func(string) error
	switch code {
	case fieldInterface:
		dst, check = &h.Interface, checkInterface
	case fieldMember:
		dst, check = &h.Member, checkMember
	case fieldErrorName:
		dst, check = &h.ErrorName, checkErrorName
	case fieldDestination:
		dst, check = &h.Destination, checkBusName
	case fieldSender:
		dst, check = &h.Sender, checkBusName
	}
	s, err := r.string()
	if err != nil {
		return err
	}
	if err := check(s); err != nil {
		return fmt.Errorf("%w: header field %d: %v", ErrMalformed, code, err)
	}
	*dst = s
	return nil
}

// required holds, per message type, the header fields it must carry.
var required = [...]uint16{
	TypeMethodCall:   1<<fieldPath | 1<<fieldMember,
	TypeMethodReturn: 1 << fieldReplySerial,
	TypeError:        1<<fieldErrorName | 1<<fieldReplySerial,
	TypeSignal:       1<<fieldPath | 1<<fieldInterface | 1<<fieldMember,
}

// checkRequired checks the fields the specification requires per type.
func (h *Header) checkRequired(seen uint16) error {
	if int(h.Type) >= len(required) {
		return nil
	}
	need := required[h.Type]
	for code := 1; code < len(fieldSignatures); code++ {
		if need&(1<<code) != 0 && seen&(1<<code) == 0 {
			return fmt.Errorf("%w: %v without header field %d", ErrMalformed, h.Type, code)
		}
	}
	return nil
}
