package secret

import (
	"context"
	"time"
)

// Store is what every backend offers: one collection of items. The root
// package keyring wraps a Store in its Keyring type; advanced callers can use
// a backend's Store directly.
//
// Every method that can block takes a context and returns promptly when it is
// cancelled. A Store is safe for concurrent use.
type Store interface {
	// Info describes the backend.
	Info() Info
	// CreateItem stores a new item. With replace, an item whose attributes
	// are exactly attrs is overwritten (keeping its creation time) instead of
	// a second one being added.
	CreateItem(ctx context.Context, label string, attrs Attributes, v *Value, replace bool) (Item, error)
	// CreateItems stores many items in one operation where the backend can
	// (one file write for the file keyring).
	CreateItems(ctx context.Context, items []NewItem) ([]Item, error)
	// SearchItems returns the items whose attributes contain query (subset
	// match), in the backend's order. No match is an empty slice, not an error.
	SearchItems(ctx context.Context, query Attributes) ([]Item, error)
	// Items returns every item.
	Items(ctx context.Context) ([]Item, error)
	// Delete removes every item matching query and reports how many.
	Delete(ctx context.Context, query Attributes) (int, error)
	// Lock locks the collection (the file keyring forgets its key).
	Lock(ctx context.Context) error
	// Unlock unlocks the collection, prompting if the backend must.
	Unlock(ctx context.Context) error
	// IsLocked reports whether the collection is locked.
	IsLocked(ctx context.Context) (bool, error)
	// Watch delivers change events until ctx is done, then closes the channel.
	Watch(ctx context.Context) (<-chan Event, error)
	// Close releases connections, watchers and keys. Later calls fail with
	// ErrClosed.
	Close() error
}

// NewItem is one element of a CreateItems batch.
type NewItem struct {
	Label      string
	Attributes Attributes
	Secret     *Value
	Replace    bool
}

// Item is one stored secret with its metadata. Getters read the backend's
// current state; setters write through at once.
type Item interface {
	// ID identifies the item within this Store while it is open: a D-Bus
	// object path, a kernel key serial, a credential target name, or for the
	// file keyring (whose format has no identifiers) a handle assigned when
	// the item is loaded and carried across reloads and edits.
	ID() string
	Label(ctx context.Context) (string, error)
	SetLabel(ctx context.Context, label string) error
	Attributes(ctx context.Context) (Attributes, error)
	SetAttributes(ctx context.Context, attrs Attributes) error
	// Secret returns a fresh Value the caller owns and should Wipe.
	Secret(ctx context.Context) (*Value, error)
	SetSecret(ctx context.Context, v *Value) error
	Created(ctx context.Context) (time.Time, error)
	Modified(ctx context.Context) (time.Time, error)
	Delete(ctx context.Context) error
	IsLocked(ctx context.Context) (bool, error)
	Lock(ctx context.Context) error
	Unlock(ctx context.Context) error
}

// Info describes a backend for callers and for diagnose output.
type Info struct {
	// Name is the backend's identifier, as accepted by MONEYPENNY_BACKEND:
	// "file", "secret-service", "keyctl", "keychain", "credential-manager".
	Name string
	// Persistent is false for backends whose items do not survive a reboot
	// (keyctl).
	Persistent bool
	// ReadOnly is true when items cannot be written.
	ReadOnly bool
	// Location is where the items live: a file path, a collection path, a
	// keyring description.
	Location string
	// Note is a human-readable remark, for example why this backend was
	// chosen ("sandboxed: Secrets portal version 1").
	Note string
}

// EventKind says what happened to an item.
type EventKind int

const (
	ItemCreated EventKind = iota + 1
	ItemChanged
	ItemDeleted
)

func (k EventKind) String() string {
	switch k {
	case ItemCreated:
		return "created"
	case ItemChanged:
		return "changed"
	case ItemDeleted:
		return "deleted"
	}
	return "unknown"
}

// Event reports a change to one item, made by this process or another.
type Event struct {
	Kind EventKind
	// ItemID is the Item.ID of the item concerned.
	ItemID string
}
