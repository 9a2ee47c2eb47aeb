package keyctl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// cachePrefix starts the description of every cache entry; the rest is the
// SHA-256 of the caller's id, so that file paths do not show in /proc/keys
// and any id fits the kernel's description limit.
const cachePrefix = "moneypenny-cache:"

// KeyCache keeps derived keys (never passwords) in the kernel for a while,
// so that a short-lived process that opens the same password-protected file
// keyring as the one before it can skip the slow key derivation. Entries
// are user keys with owner-only permissions and a kernel-enforced expiry
// (KEYCTL_SET_TIMEOUT), in a keyring named "moneypenny-cache" linked into
// the session keyring, or into the user keyring when asked or when the
// process has no session keyring of its own.
//
// A KeyCache holds no state of its own: every call asks the kernel, so one
// value can be shared freely and several processes share the entries.
//
// The cache holds keys, not verdicts on passwords: it stands in for a
// password that was not supplied (sparing a prompt), never for checking one
// that was. The file keyring checks a supplied password by deriving the key
// from it, warm cache or not, and compares the result with the cached key
// when the file has no items of its own to check it against. Storing a
// cheaper verifier of the password beside the key (a hash, an HMAC under the
// key or under another secret kept here) would let anyone who can read the
// entry test guesses at the verifier's speed instead of the key
// derivation's, and the password may guard more than this file. The entry
// is keyed by the file's path and salt, so a password change, which changes
// the salt, leaves old entries unused until they expire.
type KeyCache struct {
	o cacheOptions
}

// NewKeyCache returns a cache; nothing is touched until it is used.
func NewKeyCache(opts ...CacheOption) *KeyCache {
	o := cacheOptions{timeout: DefaultCacheTimeout, name: DefaultCacheName}
	for _, f := range opts {
		f(&o)
	}
	return &KeyCache{o: o}
}

func cacheDescription(id string) string {
	sum := sha256.Sum256([]byte(id))
	return cachePrefix + hex.EncodeToString(sum[:])
}

// ring finds the cache keyring; with create it makes it when absent.
// Absent without create is (0, false, nil).
func (c *KeyCache) ring(create bool) (int, bool, error) {
	h, err := findHome(c.o.user)
	if err != nil {
		return 0, false, err
	}
	if create {
		id, err := findOrCreateKeyring(h.id, c.o.name)
		return id, err == nil, err
	}
	return findKeyring(h.id, c.o.name)
}

// Key returns a copy of the key cached under id, or false when there is
// none (never stored, expired, forgotten, or keyrings unavailable). The
// caller wipes the copy when done.
func (c *KeyCache) Key(ctx context.Context, id string) ([]byte, bool) {
	if ctx.Err() != nil {
		return nil, false
	}
	ring, ok, err := c.ring(false)
	if err != nil || !ok {
		return nil, false
	}
	kid, err := searchKeyring(ring, "user", cacheDescription(id))
	if err != nil {
		return nil, false
	}
	b, err := readKey(kid)
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return b, true // readKey's buffer is already a private copy
}

// StoreKey caches key under id for the cache's timeout, replacing an entry
// for the same id atomically. The key must be 1 to 32767 bytes.
func (c *KeyCache) StoreKey(ctx context.Context, id string, key []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyctl: cache key: %w", err)
	}
	if len(key) == 0 {
		return fmt.Errorf("keyctl: cache key: empty key: %w", secret.ErrInvalidArgument)
	}
	if len(key) > maxUserPayload {
		return fmt.Errorf("keyctl: cache key: %d bytes exceed the kernel's %d-byte limit for a user key: %w",
			len(key), maxUserPayload, secret.ErrTooLarge)
	}
	ring, _, err := c.ring(true)
	if err != nil {
		return fmt.Errorf("keyctl: cache key: %w", err)
	}
	secs := int((c.o.timeout + 999_999_999) / 1_000_000_000) // whole seconds, rounded up
	if _, err := addStaged("user", cacheDescription(id), key, ownerOnly, secs, ring); err != nil {
		return fmt.Errorf("keyctl: cache key: %w", err)
	}
	return nil
}

// ForgetKey drops the entry for id; an absent entry is not an error.
func (c *KeyCache) ForgetKey(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyctl: forget cached key: %w", err)
	}
	ring, ok, err := c.ring(false)
	if err != nil {
		return fmt.Errorf("keyctl: forget cached key: %w", err)
	}
	if !ok {
		return nil
	}
	kid, err := searchKeyring(ring, "user", cacheDescription(id))
	if errors.Is(err, secret.ErrNotFound) {
		return nil
	}
	if err == nil {
		err = unlinkKey(kid, ring)
		_ = invalidateKey(kid)
	}
	if err != nil && !errors.Is(err, secret.ErrNotFound) {
		return fmt.Errorf("keyctl: forget cached key: %w", err)
	}
	return nil
}

// Clear drops every entry of this cache (the CLI's `lock` for the file
// keyring). No cache keyring is not an error; kernel keyrings being
// unavailable is (wrapping secret.ErrUnavailable).
func (c *KeyCache) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyctl: clear key cache: %w", err)
	}
	ring, ok, err := c.ring(false)
	if err != nil {
		return fmt.Errorf("keyctl: clear key cache: %w", err)
	}
	if !ok {
		return nil
	}
	ids, err := listKeyring(ring)
	if err == nil {
		err = clearKeyring(ring)
	}
	if err != nil && !errors.Is(err, secret.ErrNotFound) {
		return fmt.Errorf("keyctl: clear key cache: %w", err)
	}
	// Invalidate too, so an entry someone linked elsewhere dies as well.
	for _, id := range ids {
		_ = invalidateKey(id)
	}
	return nil
}
