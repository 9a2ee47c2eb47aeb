package keyring

import (
	"context"
	"fmt"
)

// The password helpers use the attribute names zalando/go-keyring and
// python-keyring use on the Secret Service, "service" and "username", so a
// program moving to Moneypenny keeps finding the secrets those libraries
// stored, and its Set updates their item instead of adding a duplicate.

// passwordLabel is the label go-keyring and python-keyring give their items.
func passwordLabel(service, user string) string {
	return fmt.Sprintf("Password for '%s' on '%s'", user, service)
}

func passwordAttrs(service, user string) Attributes {
	return Attributes{"service": service, "username": user}
}

// SetPassword stores the secret for (service, user). If items for the pair
// exist (written by Moneypenny, go-keyring or python-keyring, perhaps with
// extra attributes such as python-keyring's "application"), the first one's
// secret is updated in place, keeping its attributes so that library still
// finds it; otherwise a new item is created.
func (k *Keyring) SetPassword(ctx context.Context, service, user string, password []byte) error {
	attrs := passwordAttrs(service, user)
	items, err := k.store.SearchItems(ctx, attrs)
	if err != nil {
		return err
	}
	if len(items) > 0 {
		return items[0].SetSecret(ctx, NewSecret(password))
	}
	_, err = k.CreateItem(ctx, passwordLabel(service, user), attrs, NewSecret(password), Replace)
	return err
}

// GetPassword returns the secret for (service, user), or an error wrapping
// ErrNotFound. The caller owns the Secret and should Wipe it.
func (k *Keyring) GetPassword(ctx context.Context, service, user string) (*Secret, error) {
	return k.Lookup(ctx, passwordAttrs(service, user))
}

// DeletePassword removes every item for (service, user); nothing to remove
// is an error wrapping ErrNotFound, as in go-keyring.
func (k *Keyring) DeletePassword(ctx context.Context, service, user string) error {
	n, err := k.store.Delete(ctx, passwordAttrs(service, user))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("keyring: delete password for %q on %q: %w", user, service, ErrNotFound)
	}
	return nil
}

// Set opens the keyring (see Open), stores password for (service, user) as
// SetPassword does, and closes it. The caller keeps ownership of password.
func Set(ctx context.Context, service, user string, password []byte, opts ...Option) error {
	kr, err := Open(ctx, opts...)
	if err != nil {
		return err
	}
	defer kr.Close()
	return kr.SetPassword(ctx, service, user, append([]byte(nil), password...))
}

// Get opens the keyring and returns the secret for (service, user).
func Get(ctx context.Context, service, user string, opts ...Option) (*Secret, error) {
	kr, err := Open(ctx, opts...)
	if err != nil {
		return nil, err
	}
	defer kr.Close()
	return kr.GetPassword(ctx, service, user)
}

// Delete opens the keyring and removes the secrets for (service, user).
func Delete(ctx context.Context, service, user string, opts ...Option) error {
	kr, err := Open(ctx, opts...)
	if err != nil {
		return err
	}
	defer kr.Close()
	return kr.DeletePassword(ctx, service, user)
}
