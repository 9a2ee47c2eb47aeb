package secret

import "errors"

// Sentinel errors. Backends wrap them with context (which backend, which file,
// which object) and callers match them with errors.Is. No error text produced
// by Moneypenny ever contains secret bytes.
var (
	// ErrNotFound: no item matched, or the named object does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLocked: the keyring, collection or item must be unlocked first.
	ErrLocked = errors.New("locked")
	// ErrDismissed: the user dismissed (cancelled) a prompt or portal request.
	ErrDismissed = errors.New("prompt dismissed")
	// ErrUnavailable: the backend cannot be used here (no bus, no service,
	// blocked syscall, wrong platform). The wrapping error says why.
	ErrUnavailable = errors.New("backend unavailable")
	// ErrWrongPassword: the password or key does not decrypt the keyring.
	ErrWrongPassword = errors.New("wrong password")
	// ErrCorrupt: stored data does not parse or does not verify.
	ErrCorrupt = errors.New("corrupt data")
	// ErrUnsupportedFormat: the data is valid but of a format or version this
	// code will not write (for example a gnome-keyring v0 file).
	ErrUnsupportedFormat = errors.New("unsupported format")
	// ErrTooLarge: a secret or item exceeds a limit of the backend, or a
	// kernel quota was hit.
	ErrTooLarge = errors.New("too large")
	// ErrReadOnly: the keyring or file cannot be written.
	ErrReadOnly = errors.New("read-only")
	// ErrNotSupported: the backend has no such operation (for example Lock on
	// the macOS Keychain adapter).
	ErrNotSupported = errors.New("not supported")
	// ErrClosed: the keyring was closed.
	ErrClosed = errors.New("keyring closed")
	// ErrExpired: the secret exists but its expiry time has passed. Reading
	// it never deletes it; the caller renews or removes it.
	ErrExpired = errors.New("expired")
	// ErrInvalidArgument: a caller-supplied value is not acceptable (an empty
	// attribute name, a label with a NUL byte, ...).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrRetired: a key version existed but is no longer usable: it was
	// evicted from a rotation ring or retired below the minimum decryption
	// version. Never answered with another key in its place.
	ErrRetired = errors.New("key retired")
)
