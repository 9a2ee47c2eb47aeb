package dbusservice

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// busAddress picks the address to dial: the option, else
// $DBUS_SESSION_BUS_ADDRESS. Entries that would start a bus (autolaunch:) or
// that mean "no bus" (disabled:) are dropped: a keyring library must never
// spawn dbus-launch behind a program's back, the trap that makes other
// clients hang or pop up X11 errors on headless machines.
func busAddress(o options) (string, error) {
	addr := o.address
	from := "WithAddress"
	if addr == "" {
		addr = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
		from = "DBUS_SESSION_BUS_ADDRESS"
	}
	if addr == "" {
		return "", fmt.Errorf("dbusservice: no session bus (DBUS_SESSION_BUS_ADDRESS is not set): %w", secret.ErrUnavailable)
	}
	var keep []string
	for _, entry := range strings.Split(addr, ";") {
		t, _, _ := strings.Cut(entry, ":")
		if entry == "" || t == "autolaunch" || t == "disabled" {
			continue
		}
		keep = append(keep, entry)
	}
	if len(keep) == 0 {
		return "", fmt.Errorf("dbusservice: %s names no bus to connect to (autolaunch is never used): %w", from, secret.ErrUnavailable)
	}
	return strings.Join(keep, ";"), nil
}

// dial opens a private connection (Dial + Auth + Hello through dbus.Connect)
// bounded by ctx. godbus's handshake takes no context, so it runs in a
// goroutine with the connection tied to connCtx: cancelling that closes the
// socket and unblocks a handshake stuck on a bus that accepted the
// connection but never answers. The returned cancel func is the connection's
// lifetime; Service.Close calls it.
func dial(ctx context.Context, addr string) (*dbus.Conn, context.CancelFunc, error) {
	connCtx, cancel := context.WithCancel(context.Background())
	type result struct {
		conn *dbus.Conn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, err := dbus.Connect(addr, dbus.WithContext(connCtx))
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			cancel()
			return nil, nil, fmt.Errorf("dbusservice: connect to the session bus: %w: %v", secret.ErrUnavailable, r.err)
		}
		return r.conn, cancel, nil
	case <-ctx.Done():
		cancel()
		go func() {
			if r := <-done; r.conn != nil {
				_ = r.conn.Close()
			}
		}()
		return nil, nil, fmt.Errorf("dbusservice: connect to the session bus: %w (%w)", secret.ErrUnavailable, ctx.Err())
	}
}
