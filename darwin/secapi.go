package darwin

import "context"

// secAPI is the SecItem API in Go terms. On macOS it is the Security
// framework through purego; the unit tests use an in-memory model of it, so
// the keyring logic is tested on every system.
//
// Errors come from statusError: they wrap secret.ErrNotFound, errDuplicate,
// secret.ErrLocked, ... A call that is still blocked (on a dialog) when ctx is
// done returns ctx.Err().
type secAPI interface {
	add(ctx context.Context, attrs dict) error
	copyMatching(ctx context.Context, query dict) ([]found, error)
	update(ctx context.Context, query, changes dict) error
	delete(ctx context.Context, query dict) error
}
