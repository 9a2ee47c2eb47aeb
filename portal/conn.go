package portal

import (
	"context"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

// Names on the bus.
const (
	busName       = "org.freedesktop.portal.Desktop"
	objectPath    = dbus.ObjectPath("/org/freedesktop/portal/desktop")
	ifaceSecret   = "org.freedesktop.portal.Secret"
	ifaceRequest  = "org.freedesktop.portal.Request"
	ifaceProps    = "org.freedesktop.DBus.Properties"
	requestPrefix = "/org/freedesktop/portal/desktop/request/"
)

// connect opens a private connection to the session bus. It never uses the
// process-wide dbus.SessionBus() (closing that would break other users of it)
// and never autolaunches a bus: dbus.Connect only dials the transports named
// in the address, and an empty address is an error here.
func connect(ctx context.Context, o options) (*dbus.Conn, error) {
	addr := o.address
	if addr == "" {
		addr = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	}
	if addr == "" {
		return nil, fmt.Errorf("portal: no session bus (DBUS_SESSION_BUS_ADDRESS is empty, and a bus is never autolaunched): %w", ErrNoPortal)
	}
	type result struct {
		conn *dbus.Conn
		err  error
	}
	done := make(chan result, 1)
	// dbus.Connect takes no context: authentication and Hello can block on
	// an unresponsive bus. Run it aside and abandon it on cancellation; the
	// connection is closed whenever it does arrive.
	go func() {
		c, err := dbus.Connect(addr)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("portal: connect to the session bus: %v: %w", r.err, ErrNoPortal)
		}
		return r.conn, nil
	case <-ctx.Done():
		go func() {
			if r := <-done; r.conn != nil {
				_ = r.conn.Close()
			}
		}()
		return nil, fmt.Errorf("portal: connect to the session bus: %w", ctx.Err())
	}
}

// withTimeout applies the options' timeout on top of ctx.
func (o options) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout > 0 {
		return context.WithTimeout(ctx, o.timeout)
	}
	return context.WithCancel(ctx)
}
