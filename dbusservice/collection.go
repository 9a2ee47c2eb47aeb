package dbusservice

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// sessionCollection is gnome-keyring's in-memory collection (alias
// "session"): its items do not survive the daemon.
const sessionCollection = dbus.ObjectPath(collectionPfx + "session")

// Collection is one collection of the Secret Service. It implements
// secret.Store, so the rest of Moneypenny can use it like any other backend.
// It is safe for concurrent use.
type Collection struct {
	svc    *Service
	path   dbus.ObjectPath
	label  string // as read when opened, for Info
	owns   bool   // Close closes svc (OpenCollection)
	closed atomic.Bool

	doneOnce sync.Once
	done     chan struct{} // closed by Close: ends this collection's watches
}

var _ secret.Store = (*Collection)(nil)

// OpenCollection connects to the Secret Service and opens one collection
// (see Service.Collection for the names accepted). The collection owns the
// connection: Close closes both.
func OpenCollection(ctx context.Context, aliasOrPath string, opts ...Option) (*Collection, error) {
	svc, err := Connect(ctx, opts...)
	if err != nil {
		return nil, err
	}
	c, err := svc.Collection(ctx, aliasOrPath)
	if err != nil {
		_ = svc.Close()
		return nil, err
	}
	c.owns = true
	return c, nil
}

// Path returns the collection's object path (never an alias path).
func (c *Collection) Path() dbus.ObjectPath { return c.path }

// Service returns the connection the collection uses.
func (c *Collection) Service() *Service { return c.svc }

func (c *Collection) String() string { return "dbusservice.Collection(" + string(c.path) + ")" }

// check fails after Close, before any I/O.
func (c *Collection) check() error {
	if c.closed.Load() || c.svc.isClosed() {
		return fmt.Errorf("dbusservice: collection %s: %w", c.path, secret.ErrClosed)
	}
	return nil
}

// Info describes the backend: "secret-service", persistent unless this is
// gnome-keyring's in-memory session collection, located at the collection's
// path.
func (c *Collection) Info() secret.Info {
	info := secret.Info{
		Name:       "secret-service",
		Persistent: c.path != sessionCollection,
		Location:   string(c.path),
	}
	if c.label != "" {
		info.Note = fmt.Sprintf("collection %q of the Secret Service", c.label)
	}
	return info
}

// Label returns the collection's label (its display name).
func (c *Collection) Label(ctx context.Context) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	return c.svc.stringProperty(ctx, c.path, ifaceCollection, "Label")
}

// SetLabel renames the collection.
func (c *Collection) SetLabel(ctx context.Context, label string) error {
	if err := c.check(); err != nil {
		return err
	}
	if err := checkString("label", label); err != nil {
		return err
	}
	return c.svc.setProperty(ctx, c.path, ifaceCollection, "Label", label)
}

// Created returns when the collection was created.
func (c *Collection) Created(ctx context.Context) (time.Time, error) {
	if err := c.check(); err != nil {
		return time.Time{}, err
	}
	return c.svc.timeProperty(ctx, c.path, ifaceCollection, "Created")
}

// Modified returns when the collection last changed.
func (c *Collection) Modified(ctx context.Context) (time.Time, error) {
	if err := c.check(); err != nil {
		return time.Time{}, err
	}
	return c.svc.timeProperty(ctx, c.path, ifaceCollection, "Modified")
}

// CreateItem stores an item in the collection with exactly the attributes
// given (nothing is added here; gnome-keyring itself adds
// xdg:schema=org.freedesktop.Secret.Generic to items that have none, and
// KeePassXC its entry fields Title, UserName, URL, Notes, Path and Uuid).
// With replace, the item whose attributes are exactly attrs (apart from
// those the provider added) gets the new secret and label in place, keeping
// its creation time; the client finds it itself, since providers disagree
// on which item the API's replace means. A locked collection is unlocked
// first when auto-unlock is on, and is secret.ErrLocked otherwise.
func (c *Collection) CreateItem(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (secret.Item, error) {
	it, err := c.createItem(ctx, label, attrs, v, replace)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// Create is CreateItem returning the concrete *Item.
func (c *Collection) Create(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (*Item, error) {
	return c.createItem(ctx, label, attrs, v, replace)
}

func (c *Collection) createItem(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (*Item, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := checkString("label", label); err != nil {
		return nil, err
	}
	if err := checkAttributes(attrs); err != nil {
		return nil, err
	}
	if err := checkString("content type", v.ContentType()); err != nil {
		return nil, err
	}
	if replace {
		it, err := c.replaceExisting(ctx, label, attrs, v)
		if err != nil || it != nil {
			return it, err
		}
	}
	// Providers answer a locked collection differently (gnome-keyring
	// with IsLocked, KeePassXC with its unlock dialog): the client asks
	// first, so that without auto-unlock the answer is ErrLocked on each.
	if err := c.svc.ensureUnlocked(ctx, c.path, ifaceCollection, "collection"); err != nil {
		return nil, err
	}
	props := map[string]dbus.Variant{
		ifaceItem + ".Label":      dbus.MakeVariant(label),
		ifaceItem + ".Attributes": dbus.MakeVariant(attrMap(attrs)),
	}
	var path dbus.ObjectPath
	err := c.svc.unlockAndRetry(ctx, c.path, func() error {
		return c.svc.withSession(ctx, func(ss *session) error {
			ws, err := ss.encode(v)
			if err != nil {
				return err
			}
			defer ws.wipe()
			// replace=false: a matching item, if any, was updated above.
			body, err := c.svc.call(ctx, c.path, ifaceCollection+".CreateItem", props, ws, false)
			if err != nil {
				return err
			}
			p, err := c.svc.objectOrPrompt(ctx, "CreateItem", "an item", body)
			if err != nil {
				return err
			}
			path = p
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return c.svc.Item(path), nil
}

// CreateItems stores the items one by one (the API has no batch call). On
// error it returns the items created so far.
func (c *Collection) CreateItems(ctx context.Context, items []secret.NewItem) ([]secret.Item, error) {
	return secret.CreateEach(ctx, c, items)
}

// SearchItems returns the collection's items whose attributes contain query;
// an empty query returns every item. A locked collection is searched too
// where the service matches on attributes it keeps readable (gnome-keyring,
// KWallet); reading such an item's secret unlocks it first when
// auto-unlock is on. A locked collection that hides its items (a locked
// KeePassXC database) is unlocked first when auto-unlock is on and is
// secret.ErrLocked otherwise, never an empty result.
func (c *Collection) SearchItems(ctx context.Context, query secret.Attributes) ([]secret.Item, error) {
	items, err := c.Search(ctx, query)
	if err != nil {
		return nil, err
	}
	return asStoreItems(items), nil
}

// Search is SearchItems returning the concrete *Item values.
func (c *Collection) Search(ctx context.Context, query secret.Attributes) ([]*Item, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := checkAttributes(query); err != nil {
		return nil, err
	}
	paths, err := c.searchPaths(ctx, query)
	if err != nil || len(paths) > 0 {
		return c.svc.items(paths), err
	}
	hidden, err := c.hidesItems(ctx)
	if err != nil || !hidden {
		return c.svc.items(paths), err
	}
	if !c.svc.o.autoUnlock {
		return nil, fmt.Errorf("dbusservice: collection %s is locked and shows no items until unlocked: %w", c.path, secret.ErrLocked)
	}
	if err := c.svc.unlockOne(ctx, c.path, ifaceCollection, "collection"); err != nil {
		return nil, err
	}
	paths, err = c.searchPaths(ctx, query)
	return c.svc.items(paths), err
}

// searchPaths asks the service once. An empty query reads the Items
// property: KeePassXC matches nothing and kwalletd 5 skips items without
// attributes for SearchItems({}), where the API promises every item.
func (c *Collection) searchPaths(ctx context.Context, query secret.Attributes) ([]dbus.ObjectPath, error) {
	if len(query) == 0 {
		return c.svc.pathsProperty(ctx, c.path, ifaceCollection, "Items")
	}
	body, err := c.svc.call(ctx, c.path, ifaceCollection+".SearchItems", attrMap(query))
	if err != nil {
		return nil, err
	}
	paths, ok := arg[[]dbus.ObjectPath](body, 0)
	if !ok || !exactly(body, 1) {
		return nil, malformed("Collection.SearchItems", "ao")
	}
	return paths, nil
}

// Items returns every item of the collection; a locked collection that
// hides its items is handled as by SearchItems.
func (c *Collection) Items(ctx context.Context) ([]secret.Item, error) {
	return c.SearchItems(ctx, nil)
}

func asStoreItems(items []*Item) []secret.Item {
	out := make([]secret.Item, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// Delete deletes every item matching query and reports how many it deleted.
// An item that vanished meanwhile (deleted by someone else) is not counted
// and not an error.
func (c *Collection) Delete(ctx context.Context, query secret.Attributes) (int, error) {
	items, err := c.SearchItems(ctx, query)
	if err != nil {
		return 0, err
	}
	return secret.DeleteEach(ctx, items)
}

// Lock locks the collection. Locking a locked collection succeeds (kwalletd
// 5 refuses it with InvalidArgs).
func (c *Collection) Lock(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.svc.lockIdempotent(ctx, c.path, ifaceCollection)
}

// Unlock unlocks the collection, prompting for its password if the service
// must. A dismissed prompt is secret.ErrDismissed; a collection still locked
// afterwards is secret.ErrLocked.
func (c *Collection) Unlock(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.svc.unlockOne(ctx, c.path, ifaceCollection, "collection")
}

// IsLocked reports the collection's Locked property.
func (c *Collection) IsLocked(ctx context.Context) (bool, error) {
	if err := c.check(); err != nil {
		return false, err
	}
	return c.svc.boolProperty(ctx, c.path, ifaceCollection, "Locked")
}

// DeleteCollection deletes the collection and all its items (the service
// may prompt). The Collection is unusable afterwards.
func (c *Collection) DeleteCollection(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	body, err := c.svc.call(ctx, c.path, ifaceCollection+".Delete")
	if err != nil {
		return err
	}
	return c.svc.promptIfAny(ctx, "Collection.Delete", body)
}

// Watch delivers ItemCreated, ItemChanged and ItemDeleted events for this
// collection's items (made by any client) until ctx ends; then the channel
// is closed. Event.ItemID is the item's object path. Each change is one
// event, delivered once the provider's signals have been quiet for 100 ms
// (KeePassXC repeats each signal; see watchdedupe.go).
func (c *Collection) Watch(ctx context.Context) (<-chan secret.Event, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.svc.watch(ctx, c.path, c.doneChan())
}

func (c *Collection) doneChan() chan struct{} {
	c.doneOnce.Do(func() { c.done = make(chan struct{}) })
	return c.done
}

// Close releases the collection and ends its watches; if it was opened with
// OpenCollection, the connection is closed too. Later calls fail with
// secret.ErrClosed.
func (c *Collection) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	close(c.doneChan())
	if c.owns {
		return c.svc.Close()
	}
	return nil
}
