package dbusservice

import (
	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// Replies are checked element by element against the Go types godbus
// decodes each D-Bus signature into (o → dbus.ObjectPath, ao →
// []dbus.ObjectPath, a{ss} → map[string]string, (…) → []any, v →
// dbus.Variant). dbus.Store is deliberately not used: it converts between
// kinds (a string into an object path, an int32 into a uint64), which would
// let a malformed reply through. A mismatch becomes secret.ErrCorrupt; a type
// assertion with ok never panics.

// arg returns body[i] as T.
func arg[T any](body []any, i int) (T, bool) {
	var zero T
	if i < 0 || i >= len(body) {
		return zero, false
	}
	v, ok := body[i].(T)
	return v, ok
}

// exactly reports whether body has n elements.
func exactly(body []any, n int) bool { return len(body) == n }

// variantOf returns the value inside a variant as T.
func variantOf[T any](v dbus.Variant) (T, bool) {
	t, ok := v.Value().(T)
	return t, ok
}

// wireSecret is the Secret struct (oayays) as godbus encodes it.
type wireSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// parseSecret reads a decoded (oayays), which godbus delivers as []any.
func parseSecret(v any) (wireSecret, bool) {
	fields, ok := v.([]any)
	if !ok || len(fields) != 4 {
		return wireSecret{}, false
	}
	var ws wireSecret
	var ok1, ok2, ok3, ok4 bool
	ws.Session, ok1 = fields[0].(dbus.ObjectPath)
	ws.Parameters, ok2 = fields[1].([]byte)
	ws.Value, ok3 = fields[2].([]byte)
	ws.ContentType, ok4 = fields[3].(string)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return wireSecret{}, false
	}
	return ws, true
}

// wipeWire zeroes the byte fields of decoded secrets that are not used, so a
// plain-session secret does not linger in the reply buffers.
func wipeWire(m map[dbus.ObjectPath][]any) {
	for _, fields := range m {
		for _, f := range fields {
			if b, ok := f.([]byte); ok {
				secret.Wipe(b)
			}
		}
	}
}
