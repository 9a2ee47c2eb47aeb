package provider

import (
	"errors"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// D-Bus error names the service answers with (the spec's, and the generic
// ones libsecret reacts to: it falls back to plain only on NotSupported).
const (
	ErrorIsLocked      = "org.freedesktop.Secret.Error.IsLocked"
	ErrorNoSession     = "org.freedesktop.Secret.Error.NoSession"
	ErrorNoSuchObject  = "org.freedesktop.Secret.Error.NoSuchObject"
	ErrorAlreadyExists = "org.freedesktop.Secret.Error.AlreadyExists"
	errorNotSupported  = "org.freedesktop.DBus.Error.NotSupported"
	errorInvalidArgs   = "org.freedesktop.DBus.Error.InvalidArgs"
	errorFailed        = "org.freedesktop.DBus.Error.Failed"
	errorUnknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"
	errorUnknownObject = "org.freedesktop.DBus.Error.UnknownObject"
	errorAccessDenied  = "org.freedesktop.DBus.Error.AccessDenied"
	errorPropReadOnly  = "org.freedesktop.DBus.Error.PropertyReadOnly"
	errorUnknownProp   = "org.freedesktop.DBus.Error.UnknownProperty"
)

func dbusErr(name, msg string) *dbus.Error { return dbus.NewError(name, []any{msg}) }

func noSuchObject(p dbus.ObjectPath) *dbus.Error {
	return dbusErr(ErrorNoSuchObject, "No such object: "+string(p))
}

func invalidArgs(msg string) *dbus.Error { return dbusErr(errorInvalidArgs, msg) }

func isLocked(p dbus.ObjectPath) *dbus.Error {
	return dbusErr(ErrorIsLocked, "Cannot do this while locked: "+string(p))
}

// storeErr turns a store's error into the D-Bus error a client expects. The
// text of store errors names files and items, never secret bytes, but it can
// name paths of the user's home: clients get the sentinel's text only.
func storeErr(p dbus.ObjectPath, err error) *dbus.Error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, secret.ErrLocked):
		return isLocked(p)
	case errors.Is(err, secret.ErrNotFound):
		return noSuchObject(p)
	case errors.Is(err, secret.ErrInvalidArgument):
		return invalidArgs("invalid argument")
	case errors.Is(err, secret.ErrNotSupported):
		return dbusErr(errorNotSupported, "not supported")
	case errors.Is(err, secret.ErrReadOnly):
		return dbusErr(errorAccessDenied, "the collection is read-only")
	case errors.Is(err, secret.ErrTooLarge):
		return invalidArgs("too large")
	}
	return dbusErr(errorFailed, "the collection's storage failed: "+safeReason(err))
}

// safeReason names the sentinel behind err, if any: something the user can
// act on without the full text (which the daemon logs).
func safeReason(err error) string {
	for _, s := range []error{secret.ErrCorrupt, secret.ErrWrongPassword, secret.ErrUnsupportedFormat,
		secret.ErrClosed, secret.ErrUnavailable, secret.ErrDismissed} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "see the service's log"
}
