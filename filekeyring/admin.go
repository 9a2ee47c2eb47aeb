package filekeyring

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// IsLocked reports whether the key has been forgotten.
func (k *Keyring) IsLocked(ctx context.Context) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return false, fmt.Errorf("filekeyring: %w", secret.ErrClosed)
	}
	return k.key == nil && k.password == nil, nil
}

// Lock forgets the key and the password, and drops the key from the key
// cache, so the next use needs the password again.
func (k *Keyring) Lock(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return fmt.Errorf("filekeyring: %w", secret.ErrClosed)
	}
	if k.opts.cache != nil && k.c != nil {
		_ = k.opts.cache.ForgetKey(ctx, k.cacheID())
	}
	k.forgetKey()
	secret.Wipe(k.password)
	k.password = nil
	return nil
}

// Unlock asks the WithPrompt function for the password. Without one, use
// UnlockWithPassword.
func (k *Keyring) Unlock(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(ctx); err != nil {
		return err
	}
	if k.key != nil || k.password != nil {
		// Unlocked, or the key only needs deriving again from the password.
		return k.rekeyIfNeeded(ctx)
	}
	if k.opts.prompt == nil && k.opts.newPrompt == nil {
		return k.fail("locked and no password prompt configured (use UnlockWithPassword): %w", secret.ErrLocked)
	}
	return k.unlock(ctx, nil)
}

// UnlockWithPassword derives the key from password, whatever the key cache
// holds. A password under which no item decrypts fails with
// secret.ErrWrongPassword and changes nothing.
func (k *Keyring) UnlockWithPassword(ctx context.Context, password []byte) error {
	if err := k.acceptable(password); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(ctx); err != nil {
		return err
	}
	old, oldPW := k.key, k.password
	k.key, k.password = nil, nil
	if err := k.unlockWith(ctx, bytes.Clone(password)); err != nil {
		k.key, k.password = old, oldPW
		return err
	}
	secret.Wipe(old)
	secret.Wipe(oldPW)
	return nil
}

// Broken counts the items that do not decrypt with the current key: items
// another writer added under a different password, or damaged ones. They
// are kept in the file untouched until Repair removes them.
func (k *Keyring) Broken(ctx context.Context) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.readable(ctx); err != nil {
		return 0, err
	}
	n := 0
	for _, s := range k.c.items {
		if !s.valid(k.key) {
			n++
		}
	}
	return n, nil
}

// Repair removes the items that do not decrypt with the current key and
// reports how many it removed. It is the only operation that deletes them.
func (k *Keyring) Repair(ctx context.Context) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	err := k.update(ctx, func(c *contents) (bool, error) {
		kept := c.items[:0:0]
		n = 0
		for _, s := range c.items {
			if _, err := s.metadata(k.key); err == nil {
				kept = append(kept, s)
				continue
			}
			n++
		}
		c.items = kept
		return n > 0, nil
	})
	return n, err
}

// ChangePassword re-encrypts every item under a key derived from password
// with a new salt, in one write. current must be the keyring's password now:
// it is checked by deriving the key from it even when the keyring was
// unlocked from the key cache (a warm cache must not let anyone re-key the
// file), and a wrong one fails with secret.ErrWrongPassword and changes
// nothing. A locked keyring is unlocked with current. The old key's cache
// entry is dropped. ChangePassword refuses while items that do not decrypt
// remain (they would be lost): run Repair first if they are expendable.
func (k *Keyring) ChangePassword(ctx context.Context, current, password []byte) error {
	if err := k.acceptable(password); err != nil {
		return fmt.Errorf("new password: %w", err)
	}
	if err := k.acceptable(current); err != nil {
		return fmt.Errorf("current password: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.verifyCurrent(ctx, current); err != nil {
		return err
	}
	// Derive once, outside update: a retry after another writer's change
	// re-encrypts, it does not repeat the key derivation.
	salt, err := newSalt()
	if err != nil {
		return err
	}
	newKey := deriveKey(password, salt, defaultIterations)
	oldID := k.cacheID()
	err = k.update(ctx, func(c *contents) (bool, error) {
		items := make([]*stored, 0, len(c.items))
		for _, s := range c.items {
			d, err := s.decrypt(k.key)
			if err != nil {
				return false, fmt.Errorf("an item does not decrypt with the current password (run repair to drop such items first): %w",
					secret.ErrCorrupt)
			}
			n, err := encrypt(newKey, d)
			secret.Wipe(d.secret)
			if err != nil {
				return false, err
			}
			n.id = s.id
			items = append(items, n)
		}
		c.salt, c.iterations, c.usage, c.items = salt, defaultIterations, 0, items
		c.modified = k.now()
		return true, nil
	})
	if err != nil {
		secret.Wipe(newKey)
		return err
	}
	if k.opts.cache != nil {
		_ = k.opts.cache.ForgetKey(ctx, oldID)
		_ = k.opts.cache.StoreKey(ctx, k.cacheID(), newKey)
	}
	secret.Wipe(k.key)
	secret.Wipe(k.password)
	k.key, k.password = newKey, bytes.Clone(password)
	return nil
}

// CheckPassword checks, by deriving the key from it, that password is the
// keyring's current password, whatever the key cache holds: a wrong one
// fails with secret.ErrWrongPassword. A locked keyring is unlocked by the
// right one. Callers about to ask for a new password check the current one
// first, so that a mistake is reported before the new one is typed.
func (k *Keyring) CheckPassword(ctx context.Context, password []byte) error {
	if err := k.acceptable(password); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.verifyCurrent(ctx, password)
}

// verifyCurrent checks that current derives the key the keyring holds, or
// unlocks a locked keyring with it, and keeps it as the password, so that a
// re-key by another writer before the update is followed with the verified
// password only. Called with k.mu held.
func (k *Keyring) verifyCurrent(ctx context.Context, current []byte) error {
	if err := k.refresh(ctx); err != nil {
		return err
	}
	if k.key == nil {
		kept := k.password
		k.password = nil
		if err := k.unlockWith(ctx, bytes.Clone(current)); err != nil {
			k.password = kept // a wrong password changes nothing
			return err
		}
		secret.Wipe(kept)
		return nil
	}
	derived := deriveKey(current, k.c.salt, k.c.iterations)
	same := subtle.ConstantTimeCompare(derived, k.key) == 1
	secret.Wipe(derived)
	if !same {
		return k.fail("the current password is wrong: %w", secret.ErrWrongPassword)
	}
	secret.Wipe(k.password)
	k.password = bytes.Clone(current)
	return ctx.Err()
}
