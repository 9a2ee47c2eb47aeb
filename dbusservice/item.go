package dbusservice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// Item is one item of the Secret Service, addressed by its object path. It
// implements secret.Item. Getters ask the service each time (another client
// may have changed the item); setters write through at once. Reading or
// writing the secret of a locked item unlocks it first when auto-unlock is
// on. An Item holds no secret itself and prints as its path.
type Item struct {
	svc  *Service
	path dbus.ObjectPath
}

var _ secret.Item = (*Item)(nil)

// Path returns the item's object path.
func (it *Item) Path() dbus.ObjectPath { return it.path }

// ID returns the object path as a string: stable for the item's life.
func (it *Item) ID() string { return string(it.path) }

func (it *Item) String() string { return "dbusservice.Item(" + string(it.path) + ")" }

// Label returns the item's label.
func (it *Item) Label(ctx context.Context) (string, error) {
	l, err := it.svc.stringProperty(ctx, it.path, ifaceItem, "Label")
	return l, err
}

// SetLabel changes the item's label.
func (it *Item) SetLabel(ctx context.Context, label string) error {
	if err := checkString("label", label); err != nil {
		return err
	}
	return it.set(ctx, "Label", label)
}

// Attributes returns the item's attributes, including any the service added
// (gnome-keyring adds xdg:schema to items stored without one).
func (it *Item) Attributes(ctx context.Context) (secret.Attributes, error) {
	a, err := it.svc.attributesProperty(ctx, it.path)
	return a, err
}

// SetAttributes replaces the item's attributes with exactly attrs (the
// provider may add its own, such as KeePassXC's Title or Uuid). What the
// service stored is read back: KeePassXC merges the new attributes into
// the old and never removes one, and then SetAttributes fails with an error
// wrapping secret.ErrNotSupported rather than claim a success.
func (it *Item) SetAttributes(ctx context.Context, attrs secret.Attributes) error {
	if err := checkAttributes(attrs); err != nil {
		return err
	}
	if err := it.set(ctx, "Attributes", attrMap(attrs)); err != nil {
		return err
	}
	have, err := it.Attributes(ctx)
	if err != nil {
		return wrapf(err, "SetAttributes: read back")
	}
	return checkStored(it, have, attrs)
}

// set writes one property of an unlocked item.
func (it *Item) set(ctx context.Context, name string, value any) error {
	if err := it.ensureUnlocked(ctx); err != nil {
		return err
	}
	err := it.svc.unlockAndRetry(ctx, it.path, func() error {
		return it.svc.setProperty(ctx, it.path, ifaceItem, name, value)
	})
	return err
}

// ensureUnlocked unlocks the item before a write or delete (see locked.go:
// kwalletd 5 reports success for writes to a locked item that it ignores).
func (it *Item) ensureUnlocked(ctx context.Context) error {
	err := it.svc.ensureUnlocked(ctx, it.path, ifaceItem, "item")
	if !isNotFound(err) {
		return err
	}
	if err := it.lockedAway(ctx, err); err != nil {
		return err
	}
	return it.svc.ensureUnlocked(ctx, it.path, ifaceItem, "item")
}

// lockedAway looks at an item the service does not know (err wraps
// secret.ErrNotFound): KeePassXC removes the objects of a locked database's
// items, so an item whose collection is locked and lists no items is
// locked, not gone. Then the collection is unlocked when auto-unlock is on
// (nil: try again) and the result is secret.ErrLocked otherwise; in every
// other case err is returned as it is.
func (it *Item) lockedAway(ctx context.Context, err error) error {
	i := strings.LastIndexByte(string(it.path), '/')
	if i <= 0 {
		return err
	}
	c := &Collection{svc: it.svc, path: it.path[:i]}
	hidden, herr := c.hidesItems(ctx)
	if herr != nil || !hidden {
		return err
	}
	if !it.svc.o.autoUnlock {
		return fmt.Errorf("dbusservice: item %s is locked (collection %s shows no items until unlocked): %w", it.path, c.path, secret.ErrLocked)
	}
	return it.svc.unlockOne(ctx, c.path, ifaceCollection, "collection")
}

// Secret reads the item's secret through the connection's session. The
// caller owns the returned value and should Wipe it. A locked item is
// unlocked first when auto-unlock is on and is secret.ErrLocked otherwise;
// an empty secret is returned only when the item is unlocked and its
// secret is empty (kwalletd 5 answers a locked item's GetSecret with an
// empty secret).
func (it *Item) Secret(ctx context.Context) (*secret.Value, error) {
	v, err := it.readSecret(ctx)
	if isNotFound(err) {
		if err = it.lockedAway(ctx, err); err != nil {
			return nil, err
		}
		v, err = it.readSecret(ctx)
	}
	if err != nil || v.Len() > 0 {
		return v, err
	}
	// Empty: truly empty, or kwalletd's answer for a locked item.
	locked, err := it.IsLocked(ctx)
	if err != nil {
		return nil, err
	}
	if !locked {
		return v, nil
	}
	if !it.svc.o.autoUnlock {
		return nil, fmt.Errorf("dbusservice: item %s is locked: %w", it.path, secret.ErrLocked)
	}
	if err := it.Unlock(ctx); err != nil {
		return nil, err
	}
	return it.readSecret(ctx)
}

func (it *Item) readSecret(ctx context.Context) (*secret.Value, error) {
	var v *secret.Value
	err := it.svc.unlockAndRetry(ctx, it.path, func() error {
		return it.svc.withSession(ctx, func(ss *session) error {
			body, err := it.svc.call(ctx, it.path, ifaceItem+".GetSecret", ss.path)
			if err != nil {
				return err
			}
			raw, ok := arg[[]any](body, 0)
			ws, ok2 := parseSecret(raw)
			if !ok || !ok2 || !exactly(body, 1) {
				return malformed("GetSecret", "(oayays)")
			}
			v, err = ss.decode(ws)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// SetSecret replaces the item's secret (and content type). A locked item is
// unlocked first when auto-unlock is on and is secret.ErrLocked otherwise.
func (it *Item) SetSecret(ctx context.Context, v *secret.Value) error {
	if err := checkString("content type", v.ContentType()); err != nil {
		return err
	}
	if err := it.ensureUnlocked(ctx); err != nil {
		return err
	}
	err := it.svc.unlockAndRetry(ctx, it.path, func() error {
		return it.svc.withSession(ctx, func(ss *session) error {
			ws, err := ss.encode(v)
			if err != nil {
				return err
			}
			defer ws.wipe()
			_, err = it.svc.call(ctx, it.path, ifaceItem+".SetSecret", ws)
			return err
		})
	})
	return err
}

// Created returns when the item was created.
func (it *Item) Created(ctx context.Context) (time.Time, error) {
	t, err := it.svc.timeProperty(ctx, it.path, ifaceItem, "Created")
	return t, err
}

// Modified returns when the item last changed.
func (it *Item) Modified(ctx context.Context) (time.Time, error) {
	t, err := it.svc.timeProperty(ctx, it.path, ifaceItem, "Modified")
	return t, err
}

// Delete deletes the item (the service may prompt; gnome-keyring does not).
// A locked item is unlocked first when auto-unlock is on and is
// secret.ErrLocked otherwise.
func (it *Item) Delete(ctx context.Context) error {
	if err := it.ensureUnlocked(ctx); err != nil {
		return err
	}
	return it.svc.unlockAndRetry(ctx, it.path, func() error {
		body, err := it.svc.call(ctx, it.path, ifaceItem+".Delete")
		if err != nil {
			return err
		}
		return it.svc.promptIfAny(ctx, "Item.Delete", body)
	})
}

// IsLocked reports the item's Locked property.
func (it *Item) IsLocked(ctx context.Context) (bool, error) {
	b, err := it.svc.boolProperty(ctx, it.path, ifaceItem, "Locked")
	return b, err
}

// Lock locks the item (with gnome-keyring: its whole collection). Locking
// a locked item succeeds.
func (it *Item) Lock(ctx context.Context) error {
	return it.svc.lockIdempotent(ctx, it.path, ifaceItem)
}

// Unlock unlocks the item, prompting if the service must.
func (it *Item) Unlock(ctx context.Context) error {
	return it.svc.unlockOne(ctx, it.path, ifaceItem, "item")
}
