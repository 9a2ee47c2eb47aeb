package filekeyring

import "context"

// Option configures Open.
type Option func(*options)

type options struct {
	prompt   func(ctx context.Context) ([]byte, error)
	readOnly bool
	cache    KeyCache
	now      func() int64
}

// KeyCache keeps derived keys between processes so that repeated opens skip
// the deliberately slow key derivation. It never sees the password. The
// keyctl package provides one backed by the kernel keyring.
type KeyCache interface {
	// Key returns a copy of the cached key for id, if any.
	Key(ctx context.Context, id string) ([]byte, bool)
	StoreKey(ctx context.Context, id string, key []byte) error
	ForgetKey(ctx context.Context, id string) error
}

// WithPrompt sets where the password comes from when Open is given none,
// when the key cache has no key, and for Unlock after Lock. The returned
// slice is wiped after use.
func WithPrompt(f func(ctx context.Context) ([]byte, error)) Option {
	return func(o *options) { o.prompt = f }
}

// WithReadOnly makes every write fail with secret.ErrReadOnly; the file is
// never created or modified.
func WithReadOnly() Option { return func(o *options) { o.readOnly = true } }

// WithKeyCache caches the derived key in c, keyed by the file's absolute
// path and salt.
func WithKeyCache(c KeyCache) Option { return func(o *options) { o.cache = c } }

// withClock replaces the time source, for tests of timestamps.
func withClock(now func() int64) Option { return func(o *options) { o.now = now } }
