// Package keyring keeps secrets for desktop apps, sandboxed Flatpak and Snap
// apps, command-line tools and servers, behind one small API.
//
// Open detects where the program runs and picks the backend a user of that
// system expects:
//
//   - inside a Flatpak or Snap sandbox whose Secrets portal answers version 1:
//     an encrypted file at $XDG_DATA_HOME/keyrings/default.keyring, keyed by
//     the app's master secret from the portal and byte-compatible with
//     libsecret's file backend, so C, Python and Rust apps using libsecret or
//     oo7 in the same sandbox share the items;
//   - on macOS: the login Keychain; on Windows: the Credential Manager;
//   - on a Linux host: the Secret Service (gnome-keyring, KeePassXC, KWallet)
//     over D-Bus, in the collection the "default" alias names;
//   - anywhere else: an error wrapping ErrUnavailable that says why each
//     backend was rejected. The password-protected file keyring and the
//     kernel keyring are used only when asked for, with WithBackend or
//     MONEYPENNY_BACKEND, because choosing them silently would store secrets
//     where the user does not expect them.
//
// Items are found by attributes, name/value pairs that are not secret:
//
//	kr, err := keyring.Open(ctx)
//	if err != nil { ... }
//	defer kr.Close()
//	_, err = kr.CreateItem(ctx, "GitHub token",
//		keyring.Attributes{"service": "github.com", "username": "alice"},
//		keyring.NewSecret(token), keyring.Replace)
//	items, err := kr.SearchItems(ctx, keyring.Attributes{"service": "github.com"})
//
// Every call that can block takes a context and honours its deadline: a
// prompt the user never answers is dismissed, a hung service is abandoned.
// Errors wrap the sentinels re-exported here (ErrNotFound, ErrLocked,
// ErrDismissed, ErrUnavailable, ...) and never contain secret bytes; a Secret
// prints as [REDACTED].
package keyring

import (
	"context"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// Keyring is an open collection of items in one backend. It is safe for
// concurrent use.
type Keyring struct {
	store secret.Store
	info  secret.Info
}

// Backend describes the backend in use: its name, whether items survive a
// reboot, whether it is read-only, where the items live, and why it was
// chosen.
func (k *Keyring) Backend() BackendInfo { return k.info }

// Store returns the backend's own Store, for operations only that backend
// has: type-assert it to *filekeyring.Keyring for Repair or ChangePassword,
// or to *dbusservice.Collection for collection labels and aliases.
func (k *Keyring) Store() secret.Store { return k.store }

// CreateOption modifies CreateItem.
type CreateOption int

// Replace makes CreateItem overwrite an item whose attributes are exactly the
// given ones (keeping its creation time) instead of adding a second item.
const Replace CreateOption = 1

// CreateItem stores a secret under a label and attributes. The Keyring takes
// ownership of s only for the duration of the call; the caller still wipes it.
func (k *Keyring) CreateItem(ctx context.Context, label string, attrs Attributes, s *Secret, opts ...CreateOption) (Item, error) {
	replace := false
	for _, o := range opts {
		if o == Replace {
			replace = true
		}
	}
	if err := attrs.Validate(); err != nil {
		return nil, fmt.Errorf("keyring: create item: %w", err)
	}
	return k.store.CreateItem(ctx, label, attrs, s, replace)
}

// CreateItems stores many items at once; the file keyring writes them in one
// atomic write.
func (k *Keyring) CreateItems(ctx context.Context, items []NewItem) ([]Item, error) {
	for _, it := range items {
		if err := it.Attributes.Validate(); err != nil {
			return nil, fmt.Errorf("keyring: create items: %w", err)
		}
	}
	return k.store.CreateItems(ctx, items)
}

// SearchItems returns the items whose attributes include every pair of
// query. An empty query matches every item; no match is an empty slice.
func (k *Keyring) SearchItems(ctx context.Context, query Attributes) ([]Item, error) {
	return k.store.SearchItems(ctx, query)
}

// Lookup returns the secret of the first item matching query, or an error
// wrapping ErrNotFound. The caller owns the returned Secret and should Wipe
// it.
func (k *Keyring) Lookup(ctx context.Context, query Attributes) (*Secret, error) {
	items, err := k.store.SearchItems(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("keyring: lookup %v: %w", query, ErrNotFound)
	}
	return items[0].Secret(ctx)
}

// Items returns every item.
func (k *Keyring) Items(ctx context.Context) ([]Item, error) { return k.store.Items(ctx) }

// Delete removes every item matching query and reports how many it removed.
func (k *Keyring) Delete(ctx context.Context, query Attributes) (int, error) {
	return k.store.Delete(ctx, query)
}

// Lock locks the keyring: the file keyring forgets its key, the Secret
// Service locks the collection. Backends without locking return an error
// wrapping ErrNotSupported.
func (k *Keyring) Lock(ctx context.Context) error { return k.store.Lock(ctx) }

// Unlock unlocks the keyring, prompting the user if the backend must.
func (k *Keyring) Unlock(ctx context.Context) error { return k.store.Unlock(ctx) }

// IsLocked reports whether the keyring is locked.
func (k *Keyring) IsLocked(ctx context.Context) (bool, error) { return k.store.IsLocked(ctx) }

// Watch delivers an Event for every item created, changed or deleted, by this
// process or another, until ctx is done.
func (k *Keyring) Watch(ctx context.Context) (<-chan Event, error) { return k.store.Watch(ctx) }

// Close releases the backend: connections, file watchers, keys in memory.
func (k *Keyring) Close() error { return k.store.Close() }
