package dbuswire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// fixedHeaderLen is the part of every message that FrameLen needs: the
// endianness, type, flags and version bytes, the body length, the serial
// and the length of the header-field array.
const fixedHeaderLen = 16

// readStep bounds how far ReadFrame grows its buffer beyond the bytes it has
// already received, so that a peer claiming a huge message costs memory only
// in proportion to what it actually sends.
const readStep = 64 << 10

// byteOrder returns the byte order named by a message's first byte.
func byteOrder(b byte) (binary.ByteOrder, bool) {
	switch b {
	case 'l':
		return binary.LittleEndian, true
	case 'B':
		return binary.BigEndian, true
	}
	return nil, false
}

// FrameLen returns the total length of the message whose first 16 bytes are
// hdr: the fixed header, the header-field array, the padding to 8 and the
// body. It fails with ErrMalformed for a bad endianness byte, a protocol
// version other than 1 or a header-field array over 64 MiB, and with
// ErrTooLarge for a message over MaxMessageSize.
func FrameLen(hdr []byte) (int, error) {
	if len(hdr) < fixedHeaderLen {
		return 0, fmt.Errorf("%w: %d bytes are too short for a header", ErrMalformed, len(hdr))
	}
	order, ok := byteOrder(hdr[0])
	if !ok {
		return 0, fmt.Errorf("%w: endianness byte %#02x", ErrMalformed, hdr[0])
	}
	if hdr[3] != 1 {
		return 0, fmt.Errorf("%w: protocol version %d", ErrMalformed, hdr[3])
	}
	body := uint64(order.Uint32(hdr[4:]))
	fields := uint64(order.Uint32(hdr[12:]))
	if fields > maxArrayLen {
		return 0, fmt.Errorf("%w: header fields claim %d bytes", ErrMalformed, fields)
	}
	total := align8(fixedHeaderLen+fields) + body
	if total > MaxMessageSize {
		return 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, total)
	}
	return int(total), nil
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

// ReadFrame reads one whole message from r into buf's storage (growing it if
// needed) and returns it. The claimed length never decides an allocation by
// itself: the buffer grows in steps of at most 64 KiB, or double what has
// been read, so a peer claiming 100 MB and sending 100 bytes costs little.
//
// It returns io.EOF only when r ends at a message boundary, and
// io.ErrUnexpectedEOF when it ends inside a message. It checks only what
// FrameLen checks; ParseHeader validates the rest. After an error the stream
// is no longer at a message boundary: the connection is lost.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	if cap(buf) < fixedHeaderLen {
		buf = make([]byte, fixedHeaderLen, 512)
	}
	buf = buf[:fixedHeaderLen]
	if _, err := io.ReadFull(r, buf); err != nil {
		// io.ReadFull gives io.EOF only when nothing was read.
		return nil, err
	}
	total, err := FrameLen(buf)
	if err != nil {
		return nil, err
	}
	have := fixedHeaderLen
	for have < total {
		next := total
		if cap(buf) < total {
			// Grow by what the peer has proved it sends, not by what it
			// claims.
			step := max(have, readStep)
			next = min(total, max(cap(buf), have+step))
			if next > cap(buf) {
				grown := make([]byte, have, next)
				copy(grown, buf[:have])
				buf = grown
			}
		}
		buf = buf[:next]
		n, err := io.ReadFull(r, buf[have:next])
		have += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf[:total], nil
}
