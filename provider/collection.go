package provider

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// collection is one exported collection and the store behind it. Object
// paths give items small numbers of their own (…/collection/login/7): a
// store's item IDs can be anything (a D-Bus path, a key serial), and
// numbers are what gnome-keyring's paths look like.
type collection struct {
	id    string
	store secret.Store
	// watched: the store's Watch reports every change, ours included, and
	// the item signals come from it; otherwise the handlers emit them.
	watched bool
	stop    context.CancelFunc

	mu    sync.Mutex
	label string
	// created and modified are the collection's times in this server's
	// memory: when it was first served and last changed. A store that
	// knows its own (secret.TimesStore) overrides them; see times.
	created  time.Time
	modified time.Time
	// relabeled is when a client last set the label, which no store
	// keeps: it moves Modified even of a store with times of its own.
	relabeled time.Time
	next      uint64
	byStore   map[string]uint64
	handles   map[uint64]secret.Item
	// snapshot keeps the attributes, labels and times of the items while the
	// store is locked, taken as it was locked: a locked file keyring can
	// match nothing (its attribute values are keyed hashes), but a client
	// searching a locked collection must be told which items to unlock.
	snapshot map[uint64]snap
}

type snap struct {
	label             string
	attrs             secret.Attributes
	created, modified time.Time
}

func newCollection(id, label string, st secret.Store) *collection {
	now := time.Now()
	return &collection{id: id, store: st, label: label, created: now, modified: now,
		byStore: map[string]uint64{}, handles: map[uint64]secret.Item{}}
}

func (c *collection) path() dbus.ObjectPath { return collectionPath(c.id) }

// number returns the item's number, assigning one to an item seen for the
// first time, and keeps the newest handle.
func (c *collection) number(it secret.Item) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.numberLocked(it.ID(), it)
}

func (c *collection) numberLocked(storeID string, it secret.Item) uint64 {
	n, ok := c.byStore[storeID]
	if !ok {
		c.next++
		n = c.next
		c.byStore[storeID] = n
	}
	if it != nil {
		c.handles[n] = it
	}
	return n
}

// numberOf looks up a store ID without assigning.
func (c *collection) numberOf(storeID string) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.byStore[storeID]
	return n, ok
}

// numbered reports whether n was given to an item that is still known.
func (c *collection) numbered(n uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n == 0 || n > c.next {
		return false
	}
	for _, m := range c.byStore {
		if m == n {
			return true
		}
	}
	return false
}

func (c *collection) item(n uint64) (secret.Item, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.handles[n]
	return it, ok
}

func (c *collection) forget(storeID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.byStore[storeID]; ok {
		delete(c.byStore, storeID)
		delete(c.handles, n)
		delete(c.snapshot, n)
	}
}

func (c *collection) touch() {
	c.mu.Lock()
	c.modified = time.Now()
	c.mu.Unlock()
}

// relabel sets the label a client gave.
func (c *collection) relabel(label string) {
	c.mu.Lock()
	c.label = label
	c.modified = time.Now()
	c.relabeled = c.modified
	c.mu.Unlock()
}

// times is the collection's Created and Modified. A store that knows them
// (secret.TimesStore: a keyring file, whose times are in and on the file)
// answers, so that they survive a restart of the server; where it knows
// none (a file not written yet) or fails, and for every other store (the
// memory one behind session), they are the time the server first served
// the collection and the time of the last change it made or saw.
func (c *collection) times(ctx context.Context) (created, modified time.Time) {
	c.mu.Lock()
	created, modified, relabeled := c.created, c.modified, c.relabeled
	c.mu.Unlock()
	ts, ok := c.store.(secret.TimesStore)
	if !ok {
		return created, modified
	}
	sc, sm, err := ts.Times(ctx)
	if err != nil {
		return created, modified
	}
	if !sc.IsZero() {
		created = sc
	}
	if !sm.IsZero() {
		modified = sm
		if relabeled.After(modified) {
			modified = relabeled
		}
	}
	return created, modified
}

func (c *collection) isLocked(ctx context.Context) bool {
	locked, err := c.store.IsLocked(ctx)
	return err != nil || locked
}

// search returns the matching items' paths. A locked store is searched in
// its snapshot; locked reports which list they belong in.
func (c *collection) search(ctx context.Context, query secret.Attributes) (paths []dbus.ObjectPath, locked bool, err error) {
	if c.isLocked(ctx) {
		c.mu.Lock()
		defer c.mu.Unlock()
		for n, s := range c.snapshot {
			if s.attrs.Matches(query) {
				paths = append(paths, itemPath(c.id, n))
			}
		}
		sortPaths(paths)
		return paths, true, nil
	}
	items, err := c.store.SearchItems(ctx, query)
	if errors.Is(err, secret.ErrLocked) {
		return c.search(ctx, query)
	}
	if err != nil {
		return nil, false, err
	}
	paths = make([]dbus.ObjectPath, 0, len(items))
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, it := range items {
		paths = append(paths, itemPath(c.id, c.numberLocked(it.ID(), it)))
	}
	return paths, false, nil
}

// allItems lists every item's path (for the Items property).
func (c *collection) allItems(ctx context.Context) ([]dbus.ObjectPath, error) {
	paths, _, err := c.search(ctx, nil)
	return paths, err
}

// takeSnapshot records labels and attributes before the store locks.
func (c *collection) takeSnapshot(ctx context.Context) {
	items, err := c.store.Items(ctx)
	if err != nil {
		return
	}
	snaps := make(map[uint64]snap, len(items))
	for _, it := range items {
		attrs, err := it.Attributes(ctx)
		if err != nil {
			continue
		}
		label, _ := it.Label(ctx)
		created, _ := it.Created(ctx)
		modified, _ := it.Modified(ctx)
		snaps[c.number(it)] = snap{label: label, attrs: attrs, created: created, modified: modified}
	}
	c.mu.Lock()
	c.snapshot = snaps
	c.mu.Unlock()
}

func (c *collection) snapshotOf(n uint64) (snap, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.snapshot[n]
	return s, ok
}

func sortPaths(p []dbus.ObjectPath) {
	// The order of a map walk must not show in replies.
	slices.SortFunc(p, func(a, b dbus.ObjectPath) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(string(a), string(b))
	})
}
