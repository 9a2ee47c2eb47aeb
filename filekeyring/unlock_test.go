package filekeyring

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

// askedPrompt returns a prompt option that counts its calls and answers pw.
func askedPrompt(pw string, asked *int) Option {
	return WithPrompt(func(context.Context) ([]byte, error) {
		*asked++
		return []byte(pw), nil
	})
}

// A supplied password is checked by key derivation whether or not the cache
// holds the key; only a missing password is stood in for by the cache.
func TestKeyCacheChecksSuppliedPassword(t *testing.T) {
	ctx := context.Background()
	cache := &memCache{keys: map[string][]byte{}}
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	mustOpen(t, path, "moneypenny-v1", WithKeyCache(cache)) // warms the cache
	if len(cache.keys) != 1 {
		t.Fatalf("cache holds %d keys after an unlock", len(cache.keys))
	}
	if _, err := Open(ctx, path, []byte("wrong"), WithKeyCache(cache)); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("Open(wrong password) with a warm cache: %v, want ErrWrongPassword", err)
	}
	if len(cache.keys) != 1 {
		t.Fatal("a wrong password dropped the cached key")
	}
	asked := 0
	k, err := Open(ctx, path, nil, WithKeyCache(cache), askedPrompt("wrong", &asked))
	if err != nil || asked != 0 {
		t.Fatalf("Open(no password) with a warm cache: %v, prompted %d times; want the cached key, no prompt", err, asked)
	}
	k.Close()
	// UnlockWithPassword never trusts the cache either.
	k = mustOpen(t, path, "moneypenny-v1", WithKeyCache(cache))
	if err := k.UnlockWithPassword(ctx, []byte("wrong")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("UnlockWithPassword(wrong) with a warm cache: %v", err)
	}
}

// A file without items cannot check a password; the key cached by the last
// unlock can, so a warm cache refuses a password that derives another key.
func TestKeyCacheChecksPasswordOfEmptyKeyring(t *testing.T) {
	ctx := context.Background()
	cache := &memCache{keys: map[string][]byte{}}
	path := tempPath(t)
	k := mustOpen(t, path, "right", WithKeyCache(cache))
	if _, err := k.CreateItem(ctx, "L", secret.Attributes{"a": "b"}, secret.NewString("s"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Delete(ctx, secret.Attributes{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path, []byte("wrong"), WithKeyCache(cache)); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("Open(wrong) of an empty keyring with a warm cache: %v, want ErrWrongPassword", err)
	}
	mustOpen(t, path, "right", WithKeyCache(cache))
}

// A password change elsewhere changes the salt: the old entry no longer
// applies, so the next open without a password prompts.
func TestKeyCacheFollowsPasswordChangeElsewhere(t *testing.T) {
	ctx := context.Background()
	cache := &memCache{keys: map[string][]byte{}}
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	mustOpen(t, path, "moneypenny-v1", WithKeyCache(cache))
	other := mustOpen(t, path, "moneypenny-v1") // another process, no cache
	if err := other.ChangePassword(ctx, []byte("moneypenny-v1"), []byte("changed")); err != nil {
		t.Fatal(err)
	}
	asked := 0
	k, err := Open(ctx, path, nil, WithKeyCache(cache), askedPrompt("changed", &asked))
	if err != nil || asked != 1 {
		t.Fatalf("Open after a password change elsewhere: %v, prompted %d times; want one prompt", err, asked)
	}
	k.Close()
	if _, err := Open(ctx, path, []byte("moneypenny-v1"), WithKeyCache(cache)); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("the old password after a change elsewhere: %v", err)
	}
}

// ChangePassword checks the current password by key derivation even when
// the keyring was opened from the cache, and drops the old key's entry.
func TestChangePasswordChecksCurrent(t *testing.T) {
	ctx := context.Background()
	cache := &memCache{keys: map[string][]byte{}}
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	mustOpen(t, path, "moneypenny-v1", WithKeyCache(cache))
	k, err := Open(ctx, path, nil, WithKeyCache(cache))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	oldID := k.cacheID()
	before := mustRead(t, path)
	if err := k.ChangePassword(ctx, []byte("wrong"), []byte("attacker")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("ChangePassword(wrong current): %v, want ErrWrongPassword", err)
	}
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Fatal("ChangePassword with a wrong current password changed the file")
	}
	if err := k.ChangePassword(ctx, []byte("moneypenny-v1"), []byte("brand new")); err != nil {
		t.Fatal(err)
	}
	if _, ok := cache.keys[oldID]; ok {
		t.Fatal("ChangePassword kept the old key's cache entry")
	}
	if _, err := Open(ctx, path, []byte("moneypenny-v1"), WithKeyCache(cache)); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("old password after ChangePassword: %v", err)
	}
	mustOpen(t, path, "brand new", WithKeyCache(cache))
	// A locked keyring can be re-keyed with its current password.
	if err := k.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := k.ChangePassword(ctx, []byte("brand new"), []byte("third")); err != nil {
		t.Fatalf("ChangePassword while locked: %v", err)
	}
	mustOpen(t, path, "third")
}

// An empty password is refused unless asked for explicitly.
func TestEmptyPassword(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	if _, err := Open(ctx, path, []byte{}); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("Open with an empty password: %v, want ErrInvalidArgument", err)
	}
	asked := 0
	if _, err := Open(ctx, path, nil, askedPrompt("", &asked)); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("Open with an empty prompted password: %v, want ErrInvalidArgument", err)
	}
	k := mustOpen(t, path, "", WithAllowEmptyPassword())
	if _, err := k.CreateItem(ctx, "L", secret.Attributes{"a": "b"}, secret.NewString("s"), true); err != nil {
		t.Fatal(err)
	}
	k2 := mustOpen(t, path, "", WithAllowEmptyPassword())
	if err := k2.ChangePassword(ctx, []byte{}, []byte("set now")); err != nil {
		t.Fatal(err)
	}
	k3 := mustOpen(t, path, "set now")
	if err := k3.ChangePassword(ctx, []byte("set now"), nil); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("ChangePassword to empty: %v, want ErrInvalidArgument", err)
	}
}

// A file that does not exist yet is given its password by the new-keyring
// prompt; an existing one by the ordinary prompt.
func TestNewKeyringPrompt(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	var asked, askedNew int
	opts := []Option{askedPrompt("pw", &asked), WithNewKeyringPrompt(func(context.Context) ([]byte, error) {
		askedNew++
		return []byte("pw"), nil
	})}
	k, err := Open(ctx, path, nil, opts...)
	if err != nil || asked != 0 || askedNew != 1 {
		t.Fatalf("Open of a new file: %v, prompt %d, new-keyring prompt %d", err, asked, askedNew)
	}
	if _, err := k.CreateItem(ctx, "L", secret.Attributes{"a": "b"}, secret.NewString("s"), true); err != nil {
		t.Fatal(err)
	}
	k.Close()
	k, err = Open(ctx, path, nil, opts...)
	if err != nil || asked != 1 || askedNew != 1 {
		t.Fatalf("Open of an existing file: %v, prompt %d, new-keyring prompt %d", err, asked, askedNew)
	}
	k.Close()
}

// CheckPassword derives the key: a warm cache does not make a wrong
// password right.
func TestCheckPassword(t *testing.T) {
	ctx := context.Background()
	cache := &memCache{keys: map[string][]byte{}}
	path := copyFile(t, "../testdata/filekeyring/libsecret-v1.keyring")
	mustOpen(t, path, "moneypenny-v1", WithKeyCache(cache))
	k, err := Open(ctx, path, nil, WithKeyCache(cache))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.CheckPassword(ctx, []byte("wrong")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("CheckPassword(wrong) with a warm cache: %v", err)
	}
	if err := k.CheckPassword(ctx, []byte("moneypenny-v1")); err != nil {
		t.Fatalf("CheckPassword(right): %v", err)
	}
	if err := k.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := k.CheckPassword(ctx, []byte("wrong")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("CheckPassword(wrong) while locked: %v", err)
	}
	if err := k.CheckPassword(ctx, []byte("moneypenny-v1")); err != nil {
		t.Fatalf("CheckPassword(right) while locked: %v", err)
	}
	if got := lookup(t, k, secret.Attributes{"kind": "multiline"}); len(got) != 1 {
		t.Fatalf("after CheckPassword unlocked the keyring: %q", got)
	}
}
