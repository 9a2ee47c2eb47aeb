// Package dbuswire reads and writes D-Bus messages at the byte level, for the
// few hot method calls that the provider answers without going through
// godbus's reflection-based encoder and decoder.
//
// It is not a general D-Bus library. It knows the message framing (the fixed
// 16-byte header, the header-field array, padding to 8 and the body), the
// header fields of the specification, and a handful of body shapes: basic
// strings, object paths, signatures, uint32, byte arrays (ay), arrays of
// object paths (ao) and string dictionaries (a{ss}) for reading; the same
// plus arrays and structs of any nesting for writing. Everything else (the
// authentication handshake, method dispatch, signals, Unix file descriptors,
// variants in bodies) stays with godbus.
//
// A D-Bus connection carries a stream of messages. ReadFrame cuts one whole
// message out of it, ParseHeader checks and reads its header, and a Decoder
// reads the body in the order of its signature:
//
//	frame, err := dbuswire.ReadFrame(conn, buf)
//	h, err := dbuswire.ParseHeader(frame)
//	if h.Member == "GetSecrets" && h.Signature == "aoo" {
//		d := dbuswire.NewDecoder(h, frame)
//		items, _ := d.ObjectPaths()
//		session, _ := d.ObjectPath()
//		if err := d.Done(); err != nil { ... }
//	}
//
// A message whose Header.UnixFDs is not zero came with file descriptors,
// which travel beside the bytes and which this package never sees: such a
// message belongs to godbus.
//
// An Encoder writes a reply in little-endian byte order into a caller's
// buffer: NewMethodReturn writes the header, the caller appends the body
// value by value (BeginArray/EndArray and BeginStruct for containers), and
// Finish patches the lengths.
//
// Dial connects to a bus address of the specification's "Server Addresses"
// form (unix:path=, unix:abstract=, tcp:) and leaves the authentication
// handshake to the caller; other transports fail with ErrUnsupportedAddress,
// for the caller to hand to godbus.
//
// Input is hostile. Every length is checked against the bytes that are
// actually there before it is used, padding must be zero (as libdbus
// requires), strings must be valid UTF-8 without NUL, object paths and
// signatures must have valid syntax, and no claimed length decides an
// allocation before the bytes have arrived. A malformed message is an error
// wrapping ErrMalformed, never a panic.
//
// Alignment is relative to the start of the message, as the specification
// says, which is why a Decoder and an Encoder work on the whole frame and not
// on the body alone. The wire format is described in the D-Bus
// specification's sections "Type System" and "Message Protocol":
// https://dbus.freedesktop.org/doc/dbus-specification.html
package dbuswire

import (
	"errors"
	"strconv"
)

// MaxMessageSize is the largest message the specification allows, header and
// body together: 128 MiB.
const MaxMessageSize = 1 << 27

// maxArrayLen is the largest array the specification allows, in bytes,
// excluding the padding before the first element: 64 MiB.
const maxArrayLen = 1 << 26

var (
	// ErrMalformed reports a message that breaks the wire format. The
	// wrapping error says where.
	ErrMalformed = errors.New("dbuswire: malformed message")
	// ErrTooLarge reports a message, or an array being written, over the
	// specification's size limits.
	ErrTooLarge = errors.New("dbuswire: message too large")
)

// Type is a message type, the second byte of every message.
type Type byte

// The message types of the specification.
const (
	TypeMethodCall   Type = 1
	TypeMethodReturn Type = 2
	TypeError        Type = 3
	TypeSignal       Type = 4
)

// String returns the specification's name of t.
func (t Type) String() string {
	switch t {
	case TypeMethodCall:
		return "method_call"
	case TypeMethodReturn:
		return "method_return"
	case TypeError:
		return "error"
	case TypeSignal:
		return "signal"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// FlagNoReplyExpected is the header flag by which a caller says it wants no
// reply to its method call.
const FlagNoReplyExpected byte = 0x1
