package windows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/moneypenny-go/keyring/secret"
)

// item is one stored secret: this package's head credential, or a go-keyring
// credential (foreign). Getters re-read the credential every time.
type item struct {
	k *Keyring

	mu      sync.Mutex
	target  string // head target; SetAttributes moves the item
	foreign bool   // a go-keyring "service:user" credential
	service string // for foreign items: the service part of target
}

var _ secret.Item = (*item)(nil)

// ID is the item's target name. Because the name is derived from the
// attributes, SetAttributes changes it.
func (it *item) ID() string {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.target
}

// String names the item by target; it never shows the secret.
func (it *item) String() string { return "credential " + it.ID() }

func (it *item) snapshot(ctx context.Context) (target string, foreign bool, service string, err error) {
	if err := it.k.check(ctx); err != nil {
		return "", false, "", err
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.target, it.foreign, it.service, nil
}

// readForeign reads a go-keyring credential and checks it still is one.
func (it *item) readForeign(target, service string) (*credential, error) {
	c, err := it.k.api.read(target)
	if err != nil {
		return nil, fmt.Errorf("windows: read %q: %w", target, err)
	}
	if !isGoKeyring(c, service) {
		secret.Wipe(c.Blob)
		return nil, fmt.Errorf("windows: %q changed format: %w", target, secret.ErrNotFound)
	}
	return c, nil
}

// foreignHeader is the metadata a go-keyring credential implies.
func foreignHeader(c *credential, service string) header {
	label := c.Comment
	if label == "" {
		label = c.Target
	}
	ct := secret.ContentTypeText
	if !utf8.Valid(c.Blob) {
		ct = secret.ContentTypeBinary
	}
	return header{
		Label:       label,
		Attributes:  secret.Attributes{"service": service, "username": c.UserName},
		ContentType: ct,
		Created:     c.LastWritten,
		Modified:    c.LastWritten,
		Size:        len(c.Blob),
	}
}

// meta returns the item's metadata (and its secret when withSecret).
func (it *item) meta(ctx context.Context, withSecret bool) (*loaded, error) {
	target, foreign, service, err := it.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if !foreign {
		return it.k.load(ctx, target, withSecret)
	}
	c, err := it.readForeign(target, service)
	if err != nil {
		return nil, err
	}
	l := &loaded{header: foreignHeader(c, service)}
	if withSecret {
		l.secret = c.Blob
	} else {
		secret.Wipe(c.Blob)
	}
	return l, nil
}

func (it *item) Label(ctx context.Context) (string, error) {
	l, err := it.meta(ctx, false)
	if err != nil {
		return "", err
	}
	return l.Label, nil
}

func (it *item) Attributes(ctx context.Context) (secret.Attributes, error) {
	l, err := it.meta(ctx, false)
	if err != nil {
		return nil, err
	}
	return l.Attributes.Clone(), nil
}

func (it *item) Secret(ctx context.Context) (*secret.Value, error) {
	l, err := it.meta(ctx, true)
	if err != nil {
		return nil, err
	}
	return secret.NewWithContentType(l.secret, l.ContentType), nil
}

func (it *item) Created(ctx context.Context) (time.Time, error) {
	l, err := it.meta(ctx, false)
	if err != nil {
		return time.Time{}, err
	}
	return l.Created, nil
}

func (it *item) Modified(ctx context.Context) (time.Time, error) {
	l, err := it.meta(ctx, false)
	if err != nil {
		return time.Time{}, err
	}
	return l.Modified, nil
}

func (it *item) SetLabel(ctx context.Context, label string) error {
	return it.update(ctx, func(r *record) { r.Label = label })
}

func (it *item) SetSecret(ctx context.Context, v *secret.Value) error {
	return it.update(ctx, func(r *record) {
		secret.Wipe(r.secret)
		r.secret = append([]byte{}, v.Bytes()...) // update wipes its copy
		r.ContentType = v.ContentType()
	})
}

// SetAttributes moves the item to the target of its new attributes (a
// go-keyring credential becomes one of this package's), keeping its label,
// secret and creation time.
func (it *item) SetAttributes(ctx context.Context, attrs secret.Attributes) error {
	if err := attrs.Validate(); err != nil {
		return fmt.Errorf("windows: %w", err)
	}
	return it.update(ctx, func(r *record) { r.Attributes = attrs.Clone() })
}

// update reads the whole item, applies change, and writes it back: in place
// when the attributes stay, else at a new target before the old one is
// removed.
func (it *item) update(ctx context.Context, change func(*record)) error {
	if err := it.k.check(ctx); err != nil {
		return err
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	var (
		rec     record
		oldHead *headInfo
		fc      *credential
	)
	if it.foreign {
		c, err := it.readForeign(it.target, it.service)
		if err != nil {
			return err
		}
		defer secret.Wipe(c.Blob)
		fc = c
		rec = record{header: foreignHeader(c, it.service), secret: append([]byte(nil), c.Blob...)}
	} else {
		l, err := it.k.load(ctx, it.target, true)
		if err != nil {
			return err
		}
		rec, oldHead = record{header: l.header, secret: l.secret}, &l.head
	}
	oldAttrs := rec.Attributes.Clone()
	change(&rec)
	defer secret.Wipe(rec.secret)
	rec.Modified = time.Now().UTC().Round(0)
	if rec.Modified.Before(rec.Created) {
		rec.Modified = rec.Created
	}
	moved := !rec.Attributes.Equal(oldAttrs)

	switch {
	case it.foreign && !moved:
		return it.writeForeign(ctx, fc, &rec)
	case !moved:
		return it.k.store(ctx, it.target, &rec, oldHead)
	}
	return it.moveTo(ctx, &rec)
}

// moveTo gives the item a new target of this package's own, for attributes
// that changed or a secret too large for a go-keyring blob: it writes r
// there, then removes the old credential.
func (it *item) moveTo(ctx context.Context, r *record) error {
	target, err := it.k.freeTarget(r.Attributes)
	if err != nil {
		return err
	}
	if err := it.k.store(ctx, target, r, nil); err != nil {
		return err
	}
	var rmErr error
	if it.foreign {
		rmErr = it.k.api.remove(it.target)
	} else {
		rmErr = it.k.removeItem(it.target)
	}
	it.target, it.foreign, it.service = target, false, ""
	if rmErr != nil && !errors.Is(rmErr, secret.ErrNotFound) {
		return fmt.Errorf("windows: moved the item but could not remove the old credential: %w", rmErr)
	}
	return nil
}

// writeForeign overwrites a go-keyring credential in its own format (raw
// blob, UserName kept, label in Comment) so the program that wrote it still
// reads it. A secret too large for one blob turns it into one of this
// package's items.
func (it *item) writeForeign(ctx context.Context, c *credential, r *record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(r.secret) > MaxBlobSize {
		return it.moveTo(ctx, r)
	}
	w := &credential{Target: c.Target, Comment: displayString(r.Label, maxCommentLen), UserName: c.UserName, Blob: r.secret}
	if err := it.k.api.write(w); err != nil {
		return fmt.Errorf("windows: write %q: %w", c.Target, err)
	}
	return nil
}

func (it *item) Delete(ctx context.Context) error {
	target, foreign, _, err := it.snapshot(ctx)
	if err != nil {
		return err
	}
	if foreign {
		if err := it.k.api.remove(target); err != nil {
			return fmt.Errorf("windows: delete %q: %w", target, err)
		}
		return nil
	}
	return it.k.removeItem(target)
}

func (it *item) IsLocked(ctx context.Context) (bool, error) { return false, it.k.check(ctx) }

func (it *item) Lock(ctx context.Context) error {
	return fmt.Errorf("windows: lock item: %w", secret.ErrNotSupported)
}

func (it *item) Unlock(ctx context.Context) error {
	return fmt.Errorf("windows: unlock item: %w", secret.ErrNotSupported)
}
