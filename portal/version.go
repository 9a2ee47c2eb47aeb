package portal

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
	"github.com/moneypenny-go/keyring/secret"
)

// Version returns the version property of the portal's
// org.freedesktop.portal.Secret interface. xdg-desktop-portal reports 1, and
// libsecret uses the portal only when it reads exactly 1; callers that want to
// agree with libsecret do the same.
//
// The error wraps ErrNoPortal when there is no bus, no portal service or no
// Secret interface (GDBus answers a Get for an unknown interface with
// InvalidArgs, which therefore counts as absent too).
func Version(ctx context.Context, opts ...Option) (uint32, error) {
	o := newOptions(opts)
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	conn, err := connect(ctx, o)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return version(ctx, conn)
}

func version(ctx context.Context, conn *dbus.Conn) (uint32, error) {
	var v dbus.Variant
	err := conn.Object(busName, objectPath).
		CallWithContext(ctx, ifaceProps+".Get", 0, ifaceSecret, "version").Store(&v)
	if err != nil {
		return 0, wrapCallError("read the Secret interface version", err, "org.freedesktop.DBus.Error.InvalidArgs")
	}
	n, ok := v.Value().(uint32)
	if !ok {
		return 0, fmt.Errorf("portal: the Secret interface version has type %s, not u: %w", v.Signature(), secret.ErrUnavailable)
	}
	return n, nil
}
