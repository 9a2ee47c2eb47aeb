package portal

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
	"github.com/moneypenny-go/keyring/secret"
)

var (
	// ErrNoPortal means there is no Secrets portal to ask: no session bus, no
	// org.freedesktop.portal.Desktop on it, or no org.freedesktop.portal.Secret
	// interface there. It wraps secret.ErrUnavailable. libsecret and oo7 fall
	// back to the host Secret Service in this case and only in this case.
	ErrNoPortal = fmt.Errorf("no Secrets portal: %w", secret.ErrUnavailable)

	// ErrRequestFailed means the portal answered Response code 2: its backend
	// could not produce the secret (gnome-keyring does this when the login
	// keyring is locked and cannot be unlocked with an empty password). It
	// wraps secret.ErrUnavailable. A cancelled request (code 1) is
	// secret.ErrDismissed instead.
	ErrRequestFailed = fmt.Errorf("the Secrets portal request failed: %w", secret.ErrUnavailable)
)

// D-Bus error names that mean "nothing here answers": the portal service, its
// object, or its Secret interface is missing.
var absentErrors = map[string]bool{
	"org.freedesktop.DBus.Error.ServiceUnknown":   true,
	"org.freedesktop.DBus.Error.NameHasNoOwner":   true,
	"org.freedesktop.DBus.Error.UnknownObject":    true,
	"org.freedesktop.DBus.Error.UnknownInterface": true,
	"org.freedesktop.DBus.Error.UnknownMethod":    true,
	"org.freedesktop.DBus.Error.UnknownProperty":  true,
}

// dbusErrorName returns the D-Bus error name carried by err, or "".
func dbusErrorName(err error) string {
	var v dbus.Error
	if errors.As(err, &v) {
		return v.Name
	}
	var p *dbus.Error
	if errors.As(err, &p) && p != nil {
		return p.Name
	}
	return ""
}

// wrapCallError turns the error of a D-Bus call into one of this package's
// errors. alsoAbsent lists extra error names that mean "no portal" for this
// particular call.
func wrapCallError(op string, err error, alsoAbsent ...string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("portal: %s: %w", op, err)
	}
	name := dbusErrorName(err)
	absent := absentErrors[name]
	for _, n := range alsoAbsent {
		absent = absent || n == name
	}
	if absent {
		return fmt.Errorf("portal: %s: %v: %w", op, err, ErrNoPortal)
	}
	if errors.Is(err, dbus.ErrClosed) {
		return fmt.Errorf("portal: %s: the bus connection is closed: %w", op, secret.ErrUnavailable)
	}
	return fmt.Errorf("portal: %s: %v: %w", op, err, secret.ErrUnavailable)
}
