package darwin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// item is one generic password, addressed by its primary key (service,
// account). Getters re-read it every time.
type item struct {
	k *Keyring

	mu               sync.Mutex
	service, account string
}

var _ secret.Item = (*item)(nil)

// ID is the quoted service and account. SetAttributes can change it.
func (it *item) ID() string {
	s, a := it.key()
	return strconv.Quote(s) + "/" + strconv.Quote(a)
}

func (it *item) String() string { return "keychain item " + it.ID() }

func (it *item) key() (string, string) {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.service, it.account
}

// read fetches the item's attributes, and its data when withData.
func (it *item) read(ctx context.Context, withData bool) (found, meta, error) {
	if err := it.k.check(ctx); err != nil {
		return found{}, meta{}, err
	}
	s, a := it.key()
	list, err := it.k.api.copyMatching(ctx, readQuery(it.k.group, s, a, withData))
	if err != nil {
		return found{}, meta{}, err
	}
	if len(list) == 0 {
		return found{}, meta{}, fmt.Errorf("darwin: item %s: %w", it.ID(), secret.ErrNotFound)
	}
	m, ok := describe(list[0])
	if !ok {
		return found{}, meta{}, fmt.Errorf("darwin: item %s is of an unknown format: %w", it.ID(), secret.ErrUnsupportedFormat)
	}
	return list[0], m, nil
}

func (it *item) Label(ctx context.Context) (string, error) {
	_, m, err := it.read(ctx, false)
	return m.label, err
}

func (it *item) Attributes(ctx context.Context) (secret.Attributes, error) {
	_, m, err := it.read(ctx, false)
	if err != nil {
		return nil, err
	}
	return m.attrs.Clone(), nil
}

// secretOf turns an item's data into a Value: raw for ours, go-keyring's
// encodings undone for others'.
func secretOf(f found, m meta) *secret.Value {
	if m.ours {
		return secret.NewWithContentType(append([]byte{}, f.Data...), m.contentType)
	}
	b := decodeForeign(f.Data)
	return secret.NewWithContentType(b, contentTypeOf(b))
}

func (it *item) Secret(ctx context.Context) (*secret.Value, error) {
	f, m, err := it.read(ctx, true)
	if err != nil {
		return nil, err
	}
	defer secret.Wipe(f.Data)
	return secretOf(f, m), nil
}

func (it *item) Created(ctx context.Context) (time.Time, error) {
	f, _, err := it.read(ctx, false)
	return f.Created, err
}

func (it *item) Modified(ctx context.Context) (time.Time, error) {
	f, _, err := it.read(ctx, false)
	return f.Modified, err
}

func (it *item) SetLabel(ctx context.Context, label string) error {
	if err := validLabel(label); err != nil {
		return err
	}
	if err := it.k.check(ctx); err != nil {
		return err
	}
	s, a := it.key()
	return it.k.api.update(ctx, primaryKey(it.k.group, s, a), changes(nil, nil, &label, nil, nil))
}

// SetSecret writes the data and our header (which records the content type;
// another program's item becomes ours, its data still raw bytes).
func (it *item) SetSecret(ctx context.Context, v *secret.Value) error {
	_, m, err := it.read(ctx, false)
	if err != nil {
		return err
	}
	s, a := it.key()
	gen := encodeGeneric(m.attrs, v.ContentType())
	return it.k.api.update(ctx, primaryKey(it.k.group, s, a), changes(nil, nil, nil, gen, dataOf(v)))
}

// SetAttributes moves the item to the service and account of its new
// attributes with SecItemUpdate, keeping its data, label, creation date and
// access list.
func (it *item) SetAttributes(ctx context.Context, attrs secret.Attributes) error {
	if err := attrs.Validate(); err != nil {
		return fmt.Errorf("darwin: %w", err)
	}
	f, m, err := it.read(ctx, true)
	if err != nil {
		return err
	}
	defer secret.Wipe(f.Data)
	v := secretOf(f, m) // another program's encoding is undone once, here
	defer v.Wipe()
	it.mu.Lock()
	defer it.mu.Unlock()
	service, account := attrs["service"], accountFor(attrs)
	gen := encodeGeneric(attrs, v.ContentType())
	for attempt := 0; ; attempt++ {
		ch := changes(&service, &account, nil, gen, dataOf(v))
		err := it.k.api.update(ctx, primaryKey(it.k.group, it.service, it.account), ch)
		if err == nil {
			it.service, it.account = service, account
			return nil
		}
		if !errors.Is(err, errDuplicate) || attempt == 5 {
			return err
		}
		account = duplicateAccount(attrs)
	}
}

func (it *item) Delete(ctx context.Context) error {
	if err := it.k.check(ctx); err != nil {
		return err
	}
	s, a := it.key()
	return it.k.api.delete(ctx, primaryKey(it.k.group, s, a))
}

func (it *item) IsLocked(ctx context.Context) (bool, error) { return false, it.k.check(ctx) }

func (it *item) Lock(ctx context.Context) error {
	return fmt.Errorf("darwin: lock item: %w", secret.ErrNotSupported)
}

func (it *item) Unlock(ctx context.Context) error {
	return fmt.Errorf("darwin: unlock item: %w", secret.ErrNotSupported)
}
