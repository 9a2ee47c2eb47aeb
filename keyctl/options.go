package keyctl

import "time"

// DefaultName is the description of the keyring that holds the items.
const DefaultName = "moneypenny"

// Option configures Open.
type Option func(*options)

type options struct {
	name string
	user bool
}

// WithName sets the description of our keyring (default "moneypenny").
// Programs that want their items apart from other Moneypenny users pick
// their own name; an empty name keeps the default.
func WithName(name string) Option {
	return func(o *options) {
		if name != "" {
			o.name = name
		}
	}
}

// WithUserKeyring links our keyring into the user keyring (@u) instead of
// the session keyring: items are then shared by every process of the user
// and last until reboot.
func WithUserKeyring() Option { return func(o *options) { o.user = true } }

// DefaultCacheTimeout is how long a KeyCache entry lives unless WithTimeout
// says otherwise.
const DefaultCacheTimeout = 5 * time.Minute

// DefaultCacheName is the description of the KeyCache's keyring.
const DefaultCacheName = "moneypenny-cache"

// CacheOption configures NewKeyCache.
type CacheOption func(*cacheOptions)

type cacheOptions struct {
	timeout time.Duration
	user    bool
	name    string
}

// WithTimeout sets how long a cached key lives (KEYCTL_SET_TIMEOUT, whole
// seconds, rounded up). Zero or less keeps the default of 5 minutes: a
// cached key never lives forever.
func WithTimeout(d time.Duration) CacheOption {
	return func(o *cacheOptions) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithCacheKeyring chooses the user keyring (true) or the session keyring
// (false, the default) for the cache, with the same fallback as Open: a
// process without a session keyring of its own uses the user keyring.
func WithCacheKeyring(user bool) CacheOption { return func(o *cacheOptions) { o.user = user } }

// WithCacheName sets the description of the cache's keyring (default
// "moneypenny-cache"); tests use it to stay apart from a real cache.
func WithCacheName(name string) CacheOption {
	return func(o *cacheOptions) {
		if name != "" {
			o.name = name
		}
	}
}
