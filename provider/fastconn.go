package provider

import (
	"bufio"
	"bytes"
	"net"
	"sync"
	"sync/atomic"

	"github.com/moneypenny-go/keyring/internal/dbuswire"
)

// fastConn is the byte stream godbus reads and writes on a connection that
// Connect made. It hands godbus every message but the few hot calls
// (GetSecrets, an item's GetSecret, SearchItems), which the server answers
// itself with replies encoded by hand: godbus's reflection encoder writes an
// ay one byte at a time and encodes every message twice, which was two
// thirds of the service's CPU for a GetSecrets of 100 items.
//
// Until godbus has written the BEGIN that ends authentication the stream is
// passed through untouched. From then on both directions are whole
// messages: what godbus writes is assembled into messages before it goes to
// the socket, so that a reply the server writes never lands inside one of
// godbus's.
type fastConn struct {
	sock net.Conn
	in   *bufio.Reader

	// hot answers a call, or reports false to leave it to godbus. It
	// runs on the reading goroutine: it must not block (it starts a
	// goroutine for the work) and must copy what it keeps of frame.
	hot atomic.Pointer[func(h *dbuswire.Header, frame []byte) bool]

	rmu     sync.Mutex // godbus reads from one goroutine; this keeps it so
	rbuf    []byte
	pending []byte // the rest of a message godbus is reading

	wmu    sync.Mutex // one whole message on the socket at a time
	wpart  []byte     // the start of a message godbus is writing
	authed atomic.Bool
	line   []byte // the authentication line godbus is writing
}

// maxKeptFrame is the largest read buffer kept between messages.
const maxKeptFrame = 1 << 20

func newFastConn(sock net.Conn) *fastConn {
	return &fastConn{sock: sock, in: bufio.NewReaderSize(sock, 64<<10)}
}

func (c *fastConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if !c.authed.Load() {
		return c.in.Read(p)
	}
	for len(c.pending) == 0 {
		frame, err := dbuswire.ReadFrame(c.in, c.rbuf[:0])
		if err != nil {
			return 0, err
		}
		// A big message's buffer is not kept for the next ones: a client
		// may send up to the bus's limit once.
		c.rbuf = nil
		if cap(frame) <= maxKeptFrame {
			c.rbuf = frame[:0]
		}
		if hot := c.hot.Load(); hot != nil {
			if h, err := dbuswire.ParseHeader(frame); err == nil && (*hot)(&h, frame) {
				continue
			}
		}
		c.pending = frame
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// Write takes godbus's bytes. After authentication they are messages:
// whole ones go to the socket as they are; a message written in pieces is
// gathered first.
func (c *fastConn) Write(p []byte) (int, error) {
	if !c.authed.Load() {
		return c.writeAuth(p)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n := len(p)
	if len(c.wpart) > 0 {
		c.wpart = append(c.wpart, p...)
		p = c.wpart
	}
	for len(p) >= 16 {
		size, err := dbuswire.FrameLen(p)
		if err != nil {
			return 0, err
		}
		if len(p) < size {
			break
		}
		if _, err := c.sock.Write(p[:size]); err != nil {
			return 0, err
		}
		p = p[size:]
	}
	if len(p) == 0 {
		c.wpart = c.wpart[:0]
	} else {
		c.wpart = append(c.wpart[:0], p...)
	}
	return n, nil
}

// writeAuth passes an authentication line through and notices the BEGIN
// that ends the exchange (the bus says nothing after it until the first
// message, so reading switches to messages here too).
func (c *fastConn) writeAuth(p []byte) (int, error) {
	n, err := c.sock.Write(p)
	if err != nil {
		return n, err
	}
	c.line = append(c.line, p...)
	for {
		i := bytes.Index(c.line, []byte("\r\n"))
		if i < 0 {
			break
		}
		l := bytes.TrimLeft(c.line[:i], "\x00")
		c.line = c.line[i+2:]
		if string(l) == "BEGIN" {
			c.line = nil
			c.authed.Store(true)
		}
	}
	return n, nil
}

// send writes one whole message the server encoded.
func (c *fastConn) send(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.sock.Write(msg)
	return err
}

func (c *fastConn) Close() error { return c.sock.Close() }
