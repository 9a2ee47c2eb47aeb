package filekeyring

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Item is a handle on one item of a Keyring. It reads the current file on
// every call, so it sees other processes' edits of the same item.
type Item struct {
	k  *Keyring
	id string
}

var _ secret.Item = (*Item)(nil)

// ID identifies the item within this Keyring for as long as it is open. The
// format has no item identifiers, so IDs are assigned when items are loaded
// and carried across reloads and edits.
func (it *Item) ID() string { return it.id }

// find returns the item's current version, with k.mu held by the caller.
func (it *Item) find(ctx context.Context) (*stored, error) {
	k := it.k
	if err := k.readable(ctx); err != nil {
		return nil, err
	}
	s := k.find(it.id)
	if s == nil {
		return nil, fmt.Errorf("filekeyring: item %s: %w", it.id, secret.ErrNotFound)
	}
	return s, nil
}

// meta returns the item's label, attributes and times (shared; copy the
// attributes before handing them out).
func (it *Item) meta(ctx context.Context) (*decrypted, error) {
	it.k.mu.Lock()
	defer it.k.mu.Unlock()
	s, err := it.find(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.metadata(it.k.key)
	if err != nil {
		return nil, s.itemError(it.id, it.k.key, err)
	}
	return d, nil
}

func (it *Item) Label(ctx context.Context) (string, error) {
	d, err := it.meta(ctx)
	if err != nil {
		return "", err
	}
	return d.label, nil
}

func (it *Item) Attributes(ctx context.Context) (secret.Attributes, error) {
	d, err := it.meta(ctx)
	if err != nil {
		return nil, err
	}
	return d.attrs.Clone(), nil
}

// Secret returns a copy of the secret for the caller to wipe.
func (it *Item) Secret(ctx context.Context) (*secret.Value, error) {
	it.k.mu.Lock()
	defer it.k.mu.Unlock()
	s, err := it.find(ctx)
	if err != nil {
		return nil, err
	}
	block, err := it.k.itemBlock()
	if err != nil {
		return nil, err
	}
	v, err := s.openSecret(it.k.key, block)
	if err != nil {
		return nil, s.itemError(it.id, it.k.key, err)
	}
	return secret.New(v), nil
}

func (it *Item) Created(ctx context.Context) (time.Time, error) {
	d, err := it.meta(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(d.created), 0), nil
}

func (it *Item) Modified(ctx context.Context) (time.Time, error) {
	d, err := it.meta(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(d.modified), 0), nil
}

// edit re-encrypts the item in place with change applied; created stays,
// modified becomes now.
func (it *Item) edit(ctx context.Context, change func(d *decrypted)) error {
	k := it.k
	return k.update(ctx, func(c *contents) (bool, error) {
		for i, s := range c.items {
			if s.id != it.id {
				continue
			}
			d, err := s.decrypt(k.key)
			if err != nil {
				return false, s.itemError(it.id, k.key, err)
			}
			change(d)
			d.modified = k.now()
			n, err := encrypt(k.key, d)
			secret.Wipe(d.secret)
			if err != nil {
				return false, err
			}
			n.id = s.id
			c.items[i] = n
			c.usage++
			c.modified = k.now()
			return true, nil
		}
		return false, fmt.Errorf("filekeyring: item %s: %w", it.id, secret.ErrNotFound)
	}, nil)
}

func (it *Item) SetLabel(ctx context.Context, label string) error {
	return it.edit(ctx, func(d *decrypted) { d.label = label })
}

// SetAttributes replaces the item's whole attribute set.
func (it *Item) SetAttributes(ctx context.Context, attrs secret.Attributes) error {
	if err := attrs.Validate(); err != nil {
		return fmt.Errorf("filekeyring: %w", err)
	}
	attrs = attrs.Clone()
	return it.edit(ctx, func(d *decrypted) { d.attrs = attrs })
}

func (it *Item) SetSecret(ctx context.Context, v *secret.Value) error {
	if v == nil {
		return fmt.Errorf("filekeyring: nil secret: %w", secret.ErrInvalidArgument)
	}
	b := v.Bytes()
	return it.edit(ctx, func(d *decrypted) { secret.Wipe(d.secret); d.secret = bytes.Clone(b) })
}

// Delete removes the item.
func (it *Item) Delete(ctx context.Context) error {
	k := it.k
	return k.update(ctx, func(c *contents) (bool, error) {
		for i, s := range c.items {
			if s.id == it.id {
				if err := s.problem(k.key); err != nil {
					// Only Repair removes an item that does not verify:
					// this slot may hold another item's blob.
					return false, fmt.Errorf("filekeyring: item %s: not deleted (only Repair removes such items): %w", it.id, err)
				}
				c.items = append(c.items[:i:i], c.items[i+1:]...)
				return true, nil
			}
		}
		return false, fmt.Errorf("filekeyring: item %s: %w", it.id, secret.ErrNotFound)
	}, nil)
}

// IsLocked, Lock and Unlock act on the whole keyring: the format has one key.
func (it *Item) IsLocked(ctx context.Context) (bool, error) { return it.k.IsLocked(ctx) }
func (it *Item) Lock(ctx context.Context) error             { return it.k.Lock(ctx) }
func (it *Item) Unlock(ctx context.Context) error           { return it.k.Unlock(ctx) }
