package rotation

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// An Encryptor protects key material at rest. Seal and Open bind the group
// and version: a row copied to another group or version must not open.
// Implementations are safe for concurrent use; a KMS-backed one may block,
// hence the context.
type Encryptor interface {
	// Seal encrypts key for (group, version) and returns a new slice.
	Seal(ctx context.Context, group string, version uint32, key []byte) ([]byte, error)
	// Open decrypts what Seal returned for the same group and version. A
	// row that does not open gives an error wrapping secret.ErrCorrupt.
	Open(ctx context.Context, group string, version uint32, sealed []byte) ([]byte, error)
}

// KEKSize is the size of LocalEncryptor's key-encryption key.
const KEKSize = 32

// sealedVersion is the first byte of every LocalEncryptor ciphertext, so
// that a future format can be told apart.
const sealedVersion = 1

// LocalEncryptor encrypts keys with AES-256-GCM-SIV under a 32-byte
// key-encryption key (KEK) that every node of the cluster holds. The
// associated data binds the group and the version. Sealed layout:
//
//	0x01 | nonce (12 random bytes) | ciphertext | tag (16 bytes)
//
// GCM-SIV is misuse resistant: a repeated random nonce reveals only that
// the same key was sealed twice, never the KEK or a keystream.
type LocalEncryptor struct {
	aead cipher.AEAD
}

// NewLocalEncryptor returns a LocalEncryptor for kek, which must be
// KEKSize bytes. kek is copied into the cipher's key schedule; the caller
// may wipe its slice afterwards.
func NewLocalEncryptor(kek []byte) (*LocalEncryptor, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("rotation: key-encryption key is %d bytes, want %d: %w", len(kek), KEKSize, secret.ErrInvalidArgument)
	}
	a, err := newGCMSIV(kek)
	if err != nil {
		return nil, err
	}
	return &LocalEncryptor{aead: a}, nil
}

// associatedData is "moneypenny/rotation/v1\x00" | group | 0x00 | version
// (big-endian); group names cannot contain NUL, so no two (group, version)
// pairs share it.
func associatedData(group string, version uint32) []byte {
	const prefix = "moneypenny/rotation/v1\x00"
	ad := make([]byte, 0, len(prefix)+len(group)+5)
	ad = append(ad, prefix...)
	ad = append(ad, group...)
	ad = append(ad, 0)
	return binary.BigEndian.AppendUint32(ad, version)
}

// Seal implements Encryptor.
func (e *LocalEncryptor) Seal(ctx context.Context, group string, version uint32, key []byte) ([]byte, error) {
	out := make([]byte, 1+sivNonceSize, 1+sivNonceSize+len(key)+sivTagSize)
	out[0] = sealedVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("rotation: nonce: %w", err)
	}
	return e.aead.Seal(out, out[1:], key, associatedData(group, version)), nil
}

// Open implements Encryptor. A wrong KEK, a changed byte, or a row moved
// to another group or version all fail with secret.ErrCorrupt.
func (e *LocalEncryptor) Open(ctx context.Context, group string, version uint32, sealed []byte) ([]byte, error) {
	if len(sealed) < 1+sivNonceSize+sivTagSize || sealed[0] != sealedVersion {
		return nil, fmt.Errorf("rotation: %s version %d: not a sealed key: %w", group, version, secret.ErrCorrupt)
	}
	key, err := e.aead.Open(nil, sealed[1:1+sivNonceSize], sealed[1+sivNonceSize:], associatedData(group, version))
	if err != nil {
		return nil, fmt.Errorf("rotation: %s version %d: does not decrypt (wrong key-encryption key, or the row was changed): %w", group, version, secret.ErrCorrupt)
	}
	return key, nil
}

// NoopEncryptor stores keys in the clear, for tests and for storage that is
// already encrypted as a whole. It still records the group and version and
// refuses a row that was moved, like LocalEncryptor.
type NoopEncryptor struct{}

var errNoop = errors.New("not a row of this group and version")

// Seal implements Encryptor.
func (NoopEncryptor) Seal(ctx context.Context, group string, version uint32, key []byte) ([]byte, error) {
	return append(associatedData(group, version), key...), nil
}

// Open implements Encryptor.
func (NoopEncryptor) Open(ctx context.Context, group string, version uint32, sealed []byte) ([]byte, error) {
	ad := associatedData(group, version)
	if len(sealed) < len(ad) || string(sealed[:len(ad)]) != string(ad) {
		return nil, fmt.Errorf("rotation: %s version %d: %w: %w", group, version, errNoop, secret.ErrCorrupt)
	}
	return append([]byte(nil), sealed[len(ad):]...), nil
}
