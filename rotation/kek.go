package rotation

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// The key-encryption key in a keyring is one item:
//
//	label:      "Moneypenny rotation key-encryption key (NAME)"
//	attributes: application = "moneypenny-rotation", kek = NAME
//	secret:     the 32 bytes in standard padded base64 (44 characters),
//	            text/plain, so that secret-tool can copy it between nodes:
//
//	secret-tool lookup application moneypenny-rotation kek default |
//	  ssh node2 secret-tool store --label='Moneypenny rotation key-encryption key (default)' \
//	      application moneypenny-rotation kek default
//
// Every node of a cluster needs the same KEK; NAME lets one keyring hold
// the KEKs of several clusters.
const (
	KEKApplication = "moneypenny-rotation"
	kekAttrApp     = "application"
	kekAttrName    = "kek"
)

func kekAttrs(name string) secret.Attributes {
	return secret.Attributes{kekAttrApp: KEKApplication, kekAttrName: name}
}

// LoadKEK reads the key-encryption key NAME from a keyring (for the root
// package's keyring.Keyring, pass kr.Store()). A missing item wraps
// secret.ErrNotFound; one that is not 32 base64-encoded bytes wraps
// secret.ErrCorrupt. The caller wipes the result.
func LoadKEK(ctx context.Context, store secret.Store, name string) ([]byte, error) {
	items, err := store.SearchItems(ctx, kekAttrs(name))
	if err != nil {
		return nil, fmt.Errorf("rotation: key-encryption key %q: %w", name, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("rotation: no key-encryption key %q in the keyring (attributes application=%s kek=%s): %w",
			name, KEKApplication, name, secret.ErrNotFound)
	}
	v, err := items[0].Secret(ctx)
	if err != nil {
		return nil, fmt.Errorf("rotation: key-encryption key %q: %w", name, err)
	}
	defer v.Wipe()
	text := bytes.TrimSpace(v.Bytes())
	kek := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(kek, text)
	if err != nil || n != KEKSize {
		clear(kek)
		return nil, fmt.Errorf("rotation: key-encryption key %q is not %d base64-encoded bytes: %w", name, KEKSize, secret.ErrCorrupt)
	}
	return kek[:n], nil
}

// StoreKEK writes kek (32 bytes) as the key-encryption key NAME,
// replacing one of the same name.
func StoreKEK(ctx context.Context, store secret.Store, name string, kek []byte) error {
	if len(kek) != KEKSize {
		return fmt.Errorf("rotation: key-encryption key is %d bytes, want %d: %w", len(kek), KEKSize, secret.ErrInvalidArgument)
	}
	text := make([]byte, base64.StdEncoding.EncodedLen(len(kek)))
	base64.StdEncoding.Encode(text, kek)
	v := secret.New(text)
	defer v.Wipe()
	label := fmt.Sprintf("Moneypenny rotation key-encryption key (%s)", name)
	if _, err := store.CreateItem(ctx, label, kekAttrs(name), v, true); err != nil {
		return fmt.Errorf("rotation: store key-encryption key %q: %w", name, err)
	}
	return nil
}

// EnsureKEK returns the key-encryption key NAME, generating and storing a
// new random one if the keyring has none (the first node of a cluster).
func EnsureKEK(ctx context.Context, store secret.Store, name string) (kek []byte, created bool, err error) {
	kek, err = LoadKEK(ctx, store, name)
	if err == nil || !isNotFound(err) {
		return kek, false, err
	}
	kek = make([]byte, KEKSize)
	if _, err := rand.Read(kek); err != nil {
		return nil, false, err
	}
	if err := StoreKEK(ctx, store, name, kek); err != nil {
		clear(kek)
		return nil, false, err
	}
	return kek, true, nil
}

// KeyringEncryptor returns a LocalEncryptor whose KEK is the item NAME of
// the keyring; the KEK's bytes are wiped once the cipher holds them.
func KeyringEncryptor(ctx context.Context, store secret.Store, name string) (*LocalEncryptor, error) {
	kek, err := LoadKEK(ctx, store, name)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	return NewLocalEncryptor(kek)
}

func isNotFound(err error) bool { return errors.Is(err, secret.ErrNotFound) }
