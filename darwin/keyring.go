package darwin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/moneypenny-go/keyring/secret"
)

// Keyring is the user's Keychain search list seen through SecItem calls. It
// implements secret.Store and is safe for concurrent use.
type Keyring struct {
	api    secAPI
	group  string
	closed atomic.Bool
}

var _ secret.Store = (*Keyring)(nil)

// Open returns the Keychain. It fails with an error wrapping
// secret.ErrUnavailable on systems other than macOS or when the Security
// framework cannot be loaded.
func Open(ctx context.Context, opts ...Option) (*Keyring, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.api == nil {
		api, err := systemAPI()
		if err != nil {
			return nil, err
		}
		c.api = api
	}
	return &Keyring{api: c.api, group: c.accessGroup}, nil
}

// Info describes the backend.
func (k *Keyring) Info() secret.Info {
	loc := "macOS Keychain, generic passwords"
	if k.group != "" {
		loc += ", access group " + k.group
	}
	return secret.Info{Name: "keychain", Persistent: true, Location: loc}
}

func (k *Keyring) check(ctx context.Context) error {
	if k.closed.Load() {
		return fmt.Errorf("darwin: %w", secret.ErrClosed)
	}
	return ctx.Err()
}

// Close marks the keyring closed. The frameworks stay loaded: the system
// never unloads them anyway.
func (k *Keyring) Close() error {
	k.closed.Store(true)
	return nil
}

func validLabel(label string) error {
	if strings.IndexByte(label, 0) >= 0 {
		return fmt.Errorf("darwin: label contains a NUL byte: %w", secret.ErrInvalidArgument)
	}
	return nil
}

// dataOf returns v's bytes, never nil (an empty secret is still CFData).
func dataOf(v *secret.Value) []byte {
	if b := v.Bytes(); b != nil {
		return b
	}
	return []byte{}
}

// CreateItem stores a secret. With replace, the item whose attributes are
// exactly attrs is updated in place with SecItemUpdate (creation date and
// access list kept); without, a second item with the same attributes gets a
// suffixed account.
func (k *Keyring) CreateItem(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (secret.Item, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if err := attrs.Validate(); err != nil {
		return nil, fmt.Errorf("darwin: %w", err)
	}
	if err := validLabel(label); err != nil {
		return nil, err
	}
	gen := encodeGeneric(attrs, v.ContentType())
	update := func(f found) (secret.Item, error) {
		q := primaryKey(k.group, f.Service, f.Account)
		if err := k.api.update(ctx, q, changes(nil, nil, &label, gen, dataOf(v))); err != nil {
			return nil, err
		}
		return k.item(f.Service, f.Account), nil
	}
	if replace {
		f, ok, err := k.findExact(ctx, attrs)
		if err != nil {
			return nil, err
		}
		if ok {
			return update(f)
		}
	}
	n := found{Service: attrs["service"], Account: accountFor(attrs), Label: label, Generic: gen, Data: dataOf(v)}
	for attempt := 0; ; attempt++ {
		err := k.api.add(ctx, addQuery(k.group, n))
		if err == nil {
			return k.item(n.Service, n.Account), nil
		}
		if !errors.Is(err, errDuplicate) || attempt == 5 {
			return nil, err
		}
		if replace && attempt == 0 {
			// Another process added the same item since we looked.
			if f, ok, err := k.findExact(ctx, attrs); err != nil {
				return nil, err
			} else if ok {
				return update(f)
			}
		}
		n.Account = duplicateAccount(attrs)
	}
}

// findExact finds the item whose attributes are exactly attrs (for a
// pair-like set, another program's item counts).
func (k *Keyring) findExact(ctx context.Context, attrs secret.Attributes) (found, bool, error) {
	list, err := k.list(ctx, attrs["service"], true)
	if err != nil {
		return found{}, false, err
	}
	for _, f := range list {
		m, ok := describe(f)
		if ok && (m.ours || pairLike(attrs)) && m.attrs.Equal(attrs) {
			return f, true, nil
		}
	}
	return found{}, false, nil
}

// list returns the attributes of every generic password, narrowed natively
// on service when hasService.
func (k *Keyring) list(ctx context.Context, service string, hasService bool) ([]found, error) {
	list, err := k.api.copyMatching(ctx, searchQuery(k.group, service, hasService))
	if errors.Is(err, secret.ErrNotFound) {
		return nil, nil
	}
	return list, err
}

func (k *Keyring) item(service, account string) *item {
	return &item{k: k, service: service, account: account}
}

// SearchItems returns the items whose attributes contain query. Other
// programs' items take part only in searches for {service} or
// {service, username}.
func (k *Keyring) SearchItems(ctx context.Context, query secret.Attributes) ([]secret.Item, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	service, hasService := query["service"]
	list, err := k.list(ctx, service, hasService)
	if err != nil {
		return nil, err
	}
	items := []secret.Item{}
	for _, f := range list {
		m, ok := describe(f)
		if !ok || (!m.ours && !foreignVisible(query)) {
			continue
		}
		if m.attrs.Matches(query) {
			items = append(items, k.item(f.Service, f.Account))
		}
	}
	return items, nil
}

// Items returns every item this package stored.
func (k *Keyring) Items(ctx context.Context) ([]secret.Item, error) {
	return k.SearchItems(ctx, secret.Attributes{})
}

// Delete removes every item matching query and reports how many.
func (k *Keyring) Delete(ctx context.Context, query secret.Attributes) (int, error) {
	items, err := k.SearchItems(ctx, query)
	if err != nil {
		return 0, err
	}
	return secret.DeleteEach(ctx, items)
}

// CreateItems stores each item in turn: SecItemAdd has no batch form.
func (k *Keyring) CreateItems(ctx context.Context, batch []secret.NewItem) ([]secret.Item, error) {
	return secret.CreateEach(ctx, k, batch)
}

// Lock is not supported: the system locks the keychain.
func (k *Keyring) Lock(ctx context.Context) error {
	return fmt.Errorf("darwin: lock: %w", secret.ErrNotSupported)
}

// Unlock is not supported: the system unlocks the keychain, prompting when
// an item is read.
func (k *Keyring) Unlock(ctx context.Context) error {
	return fmt.Errorf("darwin: unlock: %w", secret.ErrNotSupported)
}

// IsLocked reports false: a locked keychain is unlocked by the system on use.
func (k *Keyring) IsLocked(ctx context.Context) (bool, error) {
	return false, k.check(ctx)
}

// Watch is not supported.
func (k *Keyring) Watch(ctx context.Context) (<-chan secret.Event, error) {
	return nil, fmt.Errorf("darwin: watch: %w", secret.ErrNotSupported)
}
