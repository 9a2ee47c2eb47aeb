package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dbuswire"
	"github.com/moneypenny-go/keyring/secret"
)

// Connect connects to the bus at address (a D-Bus address such as
// "unix:path=/run/user/1000/bus"; "" is the session bus:
// $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus) and serves there:
// it is New on a connection of the server's own, which Close closes.
//
// On that connection the server reads every message before godbus does and
// answers the calls that carry many secrets or paths itself: GetSecrets, an
// item's GetSecret and SearchItems, with replies encoded without
// reflection, at a fraction of the CPU and garbage, and with every reply
// that held a secret wiped once written. Everything else goes to godbus.
// The connection passes no unix fds, so the portal backend needs a
// connection of its own (see ExportPortal). An address this package cannot
// dial itself (unixexec:, launchd:, autolaunch:, nonce-tcp:) is dialled by
// godbus, without the fast path.
//
// ctx bounds connecting and authenticating, not the server's life.
func Connect(ctx context.Context, address string, o Options) (*Server, error) {
	if address == "" {
		var err error
		if address, err = sessionBus(); err != nil {
			return nil, err
		}
	}
	sock, err := dbuswire.Dial(address)
	if errors.Is(err, dbuswire.ErrUnsupportedAddress) {
		conn, err := dbus.Connect(address)
		if err != nil {
			return nil, fmt.Errorf("provider: connect to %s: %w", address, err)
		}
		return own(conn, nil, o)
	}
	if err != nil {
		return nil, fmt.Errorf("provider: connect to %s: %w", address, err)
	}
	conn, fc, err := handshake(ctx, sock)
	if err != nil {
		_ = sock.Close()
		return nil, fmt.Errorf("provider: connect to %s: %w", address, err)
	}
	return own(conn, fc, o)
}

// handshake authenticates on sock and says Hello, within ctx.
func handshake(ctx context.Context, sock net.Conn) (*dbus.Conn, *fastConn, error) {
	// Reads and writes fail at once when ctx ends (after it has ended, so
	// that the error says why).
	stop := context.AfterFunc(ctx, func() { _ = sock.SetDeadline(time.Unix(1, 0)) })
	fc := newFastConn(sock)
	conn, err := dbus.NewConn(fc)
	if err == nil {
		if err = conn.Auth(nil); err == nil {
			err = conn.Hello()
		}
	}
	stop()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		return nil, nil, err
	}
	_ = sock.SetDeadline(time.Time{})
	return conn, fc, nil
}

// own makes the server of a connection it owns; fc is nil when godbus
// dialled.
func own(conn *dbus.Conn, fc *fastConn, o Options) (*Server, error) {
	s, err := New(conn, o)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	s.ownConn = true
	if fc != nil {
		s.fast = fc
		hot := s.takeHot
		fc.hot.Store(&hot)
	}
	return s, nil
}

// sessionBus is the session bus's address, never the system bus's or an
// autolaunched one.
func sessionBus() (string, error) {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a, nil
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		p := filepath.Join(rt, "bus")
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + p, nil
		}
	}
	return "", fmt.Errorf("provider: no session bus (DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus does not exist): %w", secret.ErrUnavailable)
}
