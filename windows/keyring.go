package windows

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Keyring is the Credential Manager of the current Windows user, seen through
// the target prefix. It implements secret.Store and is safe for concurrent
// use; Credential Manager itself serialises each call.
type Keyring struct {
	api    credAPI
	prefix string
	closed atomic.Bool
}

var _ secret.Store = (*Keyring)(nil)

// Open returns the current user's Credential Manager. It fails with an error
// wrapping secret.ErrUnavailable on systems other than Windows or when
// advapi32 lacks the Cred* functions.
func Open(ctx context.Context, opts ...Option) (*Keyring, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := config{prefix: DefaultTargetPrefix}
	for _, o := range opts {
		o(&c)
	}
	if err := validPrefix(c.prefix); err != nil {
		return nil, err
	}
	if c.api == nil {
		api, err := systemAPI()
		if err != nil {
			return nil, err
		}
		c.api = api
	}
	return &Keyring{api: c.api, prefix: c.prefix}, nil
}

// Info describes the backend.
func (k *Keyring) Info() secret.Info {
	return secret.Info{
		Name:       "credential-manager",
		Persistent: true,
		Location:   "Windows Credential Manager, generic credentials " + k.prefix + "*",
	}
}

// check fails once the keyring is closed or ctx is done.
func (k *Keyring) check(ctx context.Context) error {
	if k.closed.Load() {
		return fmt.Errorf("windows: %w", secret.ErrClosed)
	}
	return ctx.Err()
}

// Close marks the keyring closed; there is nothing to release.
func (k *Keyring) Close() error {
	k.closed.Store(true)
	return nil
}

// CreateItem stores a secret. With replace, an item with exactly attrs
// (including a go-keyring credential, see the package documentation) is
// overwritten and keeps its creation time; without it, a second item with the
// same attributes gets a target with a random suffix.
func (k *Keyring) CreateItem(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (secret.Item, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if err := attrs.Validate(); err != nil {
		return nil, fmt.Errorf("windows: %w", err)
	}
	now := time.Now().UTC().Round(0)
	rec := &record{
		header: header{Label: label, Attributes: attrs.Clone(), ContentType: v.ContentType(), Created: now, Modified: now},
		secret: v.Bytes(),
	}
	if replace {
		if it, done, err := k.replace(ctx, rec); done || err != nil {
			return it, err
		}
	}
	target, err := k.freeTarget(attrs)
	if err != nil {
		return nil, err
	}
	if err := k.store(ctx, target, rec, nil); err != nil {
		return nil, err
	}
	return &item{k: k, target: target}, nil
}

// replace overwrites the item whose attributes are exactly rec's, if there is
// one. done reports whether it did.
func (k *Keyring) replace(ctx context.Context, rec *record) (it secret.Item, done bool, err error) {
	target, old, err := k.findExact(ctx, rec.Attributes)
	if err != nil {
		return nil, false, err
	}
	if target != "" {
		rec.Created = old.Created
		if err := k.store(ctx, target, rec, &old.head); err != nil {
			return nil, false, err
		}
		return &item{k: k, target: target}, true, nil
	}
	service, user, ok := goKeyringPair(rec.Attributes)
	if !ok {
		return nil, false, nil
	}
	fi := &item{k: k, target: service + ":" + user, service: service, foreign: true}
	c, err := fi.readForeign(fi.target, service)
	if errors.Is(err, secret.ErrNotFound) { // none, or not go-keyring's
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer secret.Wipe(c.Blob)
	fi.target = c.Target
	if err := fi.writeForeign(ctx, c, rec); err != nil {
		return nil, false, err
	}
	return fi, true, nil
}

// findExact returns the target and head of this package's item whose
// attributes are exactly attrs: the derived target, or else a duplicate with a
// suffix. target is "" when there is none.
func (k *Keyring) findExact(ctx context.Context, attrs secret.Attributes) (string, *loaded, error) {
	base := TargetName(k.prefix, attrs)
	old, err := k.load(ctx, base, false)
	switch {
	case err == nil && old.Attributes.Equal(attrs):
		return base, old, nil
	case err != nil && !errors.Is(err, secret.ErrNotFound):
		return "", nil, err
	}
	dups, err := k.api.enumerate(base + string(dupSep))
	if err != nil {
		return "", nil, fmt.Errorf("windows: enumerate %q: %w", base, err)
	}
	defer wipeAll(dups)
	for _, c := range dups {
		if isPart(k.prefix, c.Target) {
			continue
		}
		if old, err := k.loadFrom(ctx, c, false); err == nil && old.Attributes.Equal(attrs) {
			return c.Target, old, nil
		}
	}
	return "", nil, nil
}

// freeTarget picks the target for a new item with attrs: the derived name,
// or that name with a random suffix when another item holds it.
func (k *Keyring) freeTarget(attrs secret.Attributes) (string, error) {
	base := TargetName(k.prefix, attrs)
	target := base
	for i := 0; ; i++ {
		_, err := k.api.read(target)
		if errors.Is(err, secret.ErrNotFound) {
			return target, nil
		}
		if err != nil {
			return "", fmt.Errorf("windows: read %q: %w", target, err)
		}
		if i == 10 {
			return "", fmt.Errorf("windows: no free target for %s", attrs)
		}
		target = base + string(dupSep) + newGeneration()
	}
}

// SearchItems returns this package's items whose attributes contain query,
// plus go-keyring credentials when query is {service} or {service, username}.
func (k *Keyring) SearchItems(ctx context.Context, query secret.Attributes) ([]secret.Item, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	creds, err := k.api.enumerate(k.prefix)
	if err != nil {
		return nil, fmt.Errorf("windows: enumerate %s*: %w", k.prefix, err)
	}
	defer wipeAll(creds)
	items := []secret.Item{}
	for _, c := range creds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if isPart(k.prefix, c.Target) {
			continue
		}
		l, err := k.loadFrom(ctx, c, false)
		if err != nil {
			// Not ours, of a newer format, or removed meanwhile: leave it out.
			continue
		}
		if l.Attributes.Matches(query) {
			items = append(items, &item{k: k, target: c.Target})
		}
	}
	foreign, err := k.searchGoKeyring(query)
	if err != nil {
		return nil, err
	}
	return append(items, foreign...), nil
}

// searchGoKeyring finds go-keyring credentials ("service:user") for a query
// naming a service and at most a username besides.
func (k *Keyring) searchGoKeyring(query secret.Attributes) ([]secret.Item, error) {
	service, hasService := query["service"]
	user, hasUser := query["username"]
	if !hasService || len(query) > 2 || (len(query) == 2 && !hasUser) {
		return nil, nil
	}
	var creds []*credential
	if hasUser {
		c, err := k.api.read(service + ":" + user)
		if err != nil && !errors.Is(err, secret.ErrNotFound) {
			return nil, fmt.Errorf("windows: read %q: %w", service+":"+user, err)
		}
		if err == nil {
			creds = append(creds, c)
		}
	} else if !containsWildcard(service) {
		var err error
		if creds, err = k.api.enumerate(service + ":"); err != nil {
			return nil, fmt.Errorf("windows: enumerate %q: %w", service+":*", err)
		}
	}
	defer wipeAll(creds)
	var items []secret.Item
	for _, c := range creds {
		if isGoKeyring(c, service) && (!hasUser || c.UserName == user) {
			items = append(items, &item{k: k, target: c.Target, service: service, foreign: true})
		}
	}
	return items, nil
}

// Items returns every item under the target prefix.
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

// CreateItems stores each item in turn: Credential Manager has no batch call.
func (k *Keyring) CreateItems(ctx context.Context, batch []secret.NewItem) ([]secret.Item, error) {
	return secret.CreateEach(ctx, k, batch)
}

// Lock is not supported: Credential Manager is unlocked with the user's session.
func (k *Keyring) Lock(ctx context.Context) error {
	return fmt.Errorf("windows: lock: %w", secret.ErrNotSupported)
}

// Unlock is not supported: Credential Manager is unlocked with the user's session.
func (k *Keyring) Unlock(ctx context.Context) error {
	return fmt.Errorf("windows: unlock: %w", secret.ErrNotSupported)
}

// IsLocked is always false.
func (k *Keyring) IsLocked(ctx context.Context) (bool, error) {
	if err := k.check(ctx); err != nil {
		return false, err
	}
	return false, nil
}

// Watch is not supported: Credential Manager sends no change notifications.
func (k *Keyring) Watch(ctx context.Context) (<-chan secret.Event, error) {
	return nil, fmt.Errorf("windows: watch: %w", secret.ErrNotSupported)
}

func wipeAll(creds []*credential) {
	for _, c := range creds {
		secret.Wipe(c.Blob)
	}
}
