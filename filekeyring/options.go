package filekeyring

import "context"

// Option configures Open.
type Option func(*options)

type options struct {
	prompt     func(ctx context.Context) ([]byte, error)
	newPrompt  func(ctx context.Context) ([]byte, error)
	readOnly   bool
	allowEmpty bool
	cache      KeyCache
	now        func() int64
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

// WithNewKeyringPrompt sets where the password comes from, instead of
// WithPrompt's function, when the file does not exist yet and so the
// password is being chosen rather than checked: a terminal prompt asks twice
// there, since a typo would lock the user out of everything stored after.
func WithNewKeyringPrompt(f func(ctx context.Context) ([]byte, error)) Option {
	return func(o *options) { o.newPrompt = f }
}

// WithReadOnly makes every write fail with secret.ErrReadOnly; the file is
// never created or modified.
func WithReadOnly() Option { return func(o *options) { o.readOnly = true } }

// WithKeyCache caches the derived key in c, keyed by the file's absolute
// path, salt and iteration count, so that an Open without a password (one
// that would prompt) can use the key an earlier unlock derived and skip both
// the prompt and the key derivation.
//
// The cache never vouches for a password: a password given to Open or
// UnlockWithPassword is always checked by deriving the key from it, so a
// wrong one fails with secret.ErrWrongPassword whether or not the cache is
// warm, and ChangePassword checks the current password the same way. A
// cheaper check would need a verifier of the password stored beside the key,
// and any verifier cheaper than the key derivation is an equally cheaper way
// to guess the password for whoever can read the entry; the password may
// well be used elsewhere too. A change of password (here or by another
// process) changes the salt, so the old entry no longer applies;
// ChangePassword and Lock also drop it.
func WithKeyCache(c KeyCache) Option { return func(o *options) { o.cache = c } }

// WithAllowEmptyPassword accepts an empty password for Open, Unlock and
// ChangePassword. Without it an empty password fails with
// secret.ErrInvalidArgument: it is far more often an unset variable or a
// stray Enter than a choice.
func WithAllowEmptyPassword() Option { return func(o *options) { o.allowEmpty = true } }

// withClock replaces the time source, for tests of timestamps.
func withClock(now func() int64) Option { return func(o *options) { o.now = now } }
