package keyctl

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Item is one secret: a user key in our keyring. Its ID is the key's serial
// number, which never changes (setters rewrite the payload in place) and is
// valid from any process of the owner. Getters read the key afresh.
type Item struct {
	k  *Keyring
	id int
}

var _ secret.Item = (*Item)(nil)

// ID is the key serial in decimal, as `keyctl` prints it.
func (it *Item) ID() string { return strconv.Itoa(it.id) }

// Serial is the kernel key serial number.
func (it *Item) Serial() int { return it.id }

// String names the item by serial; it never reads the secret.
func (it *Item) String() string { return "keyctl item " + it.ID() }

// read returns the current record; the caller wipes rec.secret.
func (it *Item) read(ctx context.Context, op string) (*record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keyctl: item %d: %s: %w", it.id, op, err)
	}
	if err := it.k.lock(); err != nil {
		return nil, fmt.Errorf("keyctl: item %d: %s: %w", it.id, op, err)
	}
	defer it.k.mu.Unlock()
	rec, err := readItem(it.id)
	if err != nil {
		return nil, fmt.Errorf("keyctl: item %d: %s: %w", it.id, op, err)
	}
	return rec, nil
}

// meta is read without keeping the secret.
func (it *Item) meta(ctx context.Context, op string) (*record, error) {
	rec, err := it.read(ctx, op)
	if err != nil {
		return nil, err
	}
	secret.Wipe(rec.secret)
	rec.secret = nil
	return rec, nil
}

// update rewrites the payload after change, bumping modified. Only the old
// secret is wiped: a new one set by change belongs to the caller.
func (it *Item) update(ctx context.Context, op string, change func(*record)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyctl: item %d: %s: %w", it.id, op, err)
	}
	if err := it.k.lock(); err != nil {
		return fmt.Errorf("keyctl: item %d: %s: %w", it.id, op, err)
	}
	defer it.k.mu.Unlock()
	rec, err := readItem(it.id)
	if err != nil {
		return fmt.Errorf("keyctl: item %d: %s: %w", it.id, op, err)
	}
	old := rec.secret
	defer secret.Wipe(old)
	change(rec)
	rec.modified = time.Now()
	payload, err := rec.encode()
	if err != nil {
		return fmt.Errorf("keyctl: item %d: %s: %w", it.id, op, err)
	}
	defer secret.Wipe(payload)
	if err := updateKey(it.id, it.k.ring, payload); err != nil {
		return fmt.Errorf("keyctl: item %d: %s: %w", it.id, op, err)
	}
	return nil
}

func (it *Item) Label(ctx context.Context) (string, error) {
	rec, err := it.meta(ctx, "label")
	if err != nil {
		return "", err
	}
	return rec.label, nil
}

func (it *Item) SetLabel(ctx context.Context, label string) error {
	return it.update(ctx, "set label", func(r *record) { r.label = label })
}

func (it *Item) Attributes(ctx context.Context) (secret.Attributes, error) {
	rec, err := it.meta(ctx, "attributes")
	if err != nil {
		return nil, err
	}
	return rec.attrs, nil
}

// SetAttributes replaces the attribute set. It does not merge with, or
// replace, another item that has the same set.
func (it *Item) SetAttributes(ctx context.Context, attrs secret.Attributes) error {
	if err := attrs.Validate(); err != nil {
		return fmt.Errorf("keyctl: item %d: set attributes: %w", it.id, err)
	}
	return it.update(ctx, "set attributes", func(r *record) { r.attrs = attrs.Clone() })
}

// Secret returns a fresh Value the caller owns and should Wipe.
func (it *Item) Secret(ctx context.Context) (*secret.Value, error) {
	rec, err := it.read(ctx, "secret")
	if err != nil {
		return nil, err
	}
	return secret.NewWithContentType(rec.secret, rec.contentType), nil
}

func (it *Item) SetSecret(ctx context.Context, v *secret.Value) error {
	return it.update(ctx, "set secret", func(r *record) {
		r.secret, r.contentType = v.Bytes(), v.ContentType()
	})
}

func (it *Item) Created(ctx context.Context) (time.Time, error) {
	rec, err := it.meta(ctx, "created")
	if err != nil {
		return time.Time{}, err
	}
	return rec.created, nil
}

func (it *Item) Modified(ctx context.Context) (time.Time, error) {
	rec, err := it.meta(ctx, "modified")
	if err != nil {
		return time.Time{}, err
	}
	return rec.modified, nil
}

// Delete unlinks and invalidates the key; the kernel frees (and zeroes)
// its payload.
func (it *Item) Delete(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyctl: item %d: delete: %w", it.id, err)
	}
	if err := it.k.lock(); err != nil {
		return fmt.Errorf("keyctl: item %d: delete: %w", it.id, err)
	}
	defer it.k.mu.Unlock()
	if err := it.k.removeLocked(it.id); err != nil {
		return fmt.Errorf("keyctl: item %d: delete: %w", it.id, err)
	}
	return nil
}

// IsLocked is always false: kernel keys have no locked state.
func (it *Item) IsLocked(context.Context) (bool, error) { return false, nil }

// Lock is not supported.
func (it *Item) Lock(context.Context) error {
	return fmt.Errorf("keyctl: item %d: lock: %w", it.id, secret.ErrNotSupported)
}

// Unlock is not supported.
func (it *Item) Unlock(context.Context) error {
	return fmt.Errorf("keyctl: item %d: unlock: %w", it.id, secret.ErrNotSupported)
}
