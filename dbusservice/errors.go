package dbusservice

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// D-Bus error names the client acts on.
const (
	errIsLocked     = "org.freedesktop.Secret.Error.IsLocked"
	errNoSession    = "org.freedesktop.Secret.Error.NoSession"
	errNoSuchObject = "org.freedesktop.Secret.Error.NoSuchObject"
	errDenied       = "org.gnome.keyring.Error.Denied"

	errUnknownObject    = "org.freedesktop.DBus.Error.UnknownObject"
	errUnknownInterface = "org.freedesktop.DBus.Error.UnknownInterface"
	errUnknownMethod    = "org.freedesktop.DBus.Error.UnknownMethod"
	errNotSupported     = "org.freedesktop.DBus.Error.NotSupported"
	errInvalidArgs      = "org.freedesktop.DBus.Error.InvalidArgs"
	errServiceUnknown   = "org.freedesktop.DBus.Error.ServiceUnknown"
	errNameHasNoOwner   = "org.freedesktop.DBus.Error.NameHasNoOwner"
	errNoReply          = "org.freedesktop.DBus.Error.NoReply"
	errDisconnected     = "org.freedesktop.DBus.Error.Disconnected"
	errTimeout          = "org.freedesktop.DBus.Error.Timeout"
	errTimedOut         = "org.freedesktop.DBus.Error.TimedOut"
	errNoServer         = "org.freedesktop.DBus.Error.NoServer"
	errAccessDenied     = "org.freedesktop.DBus.Error.AccessDenied"
	errSpawnFailed      = "org.freedesktop.DBus.Error.Spawn.Failed"
)

// Error is an error reply from the service (or from the bus on its behalf).
// It unwraps to the secret sentinel the name maps to, if any, so callers test
// it with errors.Is(err, secret.ErrLocked) and friends, and can still read the
// D-Bus name with errors.As.
type Error struct {
	// Name is the D-Bus error name, for example
	// "org.freedesktop.Secret.Error.IsLocked".
	Name string
	// Message is the human-readable text the service sent with it.
	Message string

	sentinel error
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Name
	}
	return e.Name + ": " + e.Message
}

// Unwrap returns the secret sentinel for Name, or nil.
func (e *Error) Unwrap() error { return e.sentinel }

// sentinelFor maps a D-Bus error name to the vocabulary of package secret.
// GDBus-based services (gnome-keyring) answer calls on an object that does
// not exist (a deleted item) with UnknownMethod "Object does not exist at
// path …", so that message counts as not found too.
func sentinelFor(name, msg string) error {
	switch name {
	case errIsLocked, errDenied:
		return secret.ErrLocked
	case errNoSuchObject, errUnknownObject, errUnknownInterface:
		return secret.ErrNotFound
	case errUnknownMethod:
		if strings.Contains(msg, "does not exist") || strings.Contains(msg, "No such interface") {
			return secret.ErrNotFound
		}
		return secret.ErrNotSupported
	case errNotSupported:
		return secret.ErrNotSupported
	case errInvalidArgs:
		return secret.ErrInvalidArgument
	case errServiceUnknown, errNameHasNoOwner, errNoReply, errDisconnected,
		errTimeout, errTimedOut, errNoServer, errAccessDenied, errSpawnFailed, errNoSession:
		return secret.ErrUnavailable
	}
	return nil
}

// mapError turns what a godbus call returned into this package's errors:
// the context's own error when ctx ended, an *Error for D-Bus error replies,
// secret.ErrClosed after Close, and secret.ErrUnavailable for a connection
// that broke underneath.
func (s *Service) mapError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	de, isDBus := asDBusError(err)
	if ctxErr := ctx.Err(); ctxErr != nil && (errors.Is(err, ctxErr) || !isDBus) {
		return ctxErr
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isDBus {
		return newError(de)
	}
	if s.isClosed() {
		return secret.ErrClosed
	}
	// Anything else is the transport: the bus went away or the connection
	// was closed under us.
	return fmt.Errorf("%w: connection lost: %v", secret.ErrUnavailable, err)
}

// asDBusError finds the error a D-Bus peer replied with in err's chain;
// godbus returns it by value or by pointer depending on the call.
func asDBusError(err error) (dbus.Error, bool) {
	var de dbus.Error
	if errors.As(err, &de) {
		return de, true
	}
	var dep *dbus.Error
	if errors.As(err, &dep) && dep != nil {
		return *dep, true
	}
	return dbus.Error{}, false
}

func newError(de dbus.Error) *Error {
	msg := ""
	if len(de.Body) > 0 {
		if m, ok := de.Body[0].(string); ok {
			msg = m
		}
	}
	return &Error{Name: de.Name, Message: msg, sentinel: sentinelFor(de.Name, msg)}
}

// isDBusName reports whether err is an *Error with the given D-Bus name.
func isDBusName(err error, name string) bool {
	var e *Error
	return errors.As(err, &e) && e.Name == name
}

// sessionLost reports whether err says the service no longer knows the
// client's session: NoSession from gnome-keyring, UnknownObject "Can't find
// session …" (or QtDBus's InvalidObjectPath) from kwalletd 5.
func sessionLost(err error) bool {
	if isDBusName(err, errNoSession) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && (e.Name == errUnknownObject || e.Name == "org.qtproject.QtDBus.Error.InvalidObjectPath") &&
		strings.Contains(e.Message, "find session")
}

// malformed is the error for a reply whose shape is not what the API
// specifies. It names the method and the expectation, never the content.
func malformed(what, want string) error {
	return fmt.Errorf("dbusservice: %s: malformed reply (want %s): %w", what, want, secret.ErrCorrupt)
}
