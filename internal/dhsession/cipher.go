package dhsession

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/moneypenny-go/keyring/internal/cbc"
	"github.com/moneypenny-go/keyring/internal/pkcs7"
	"github.com/moneypenny-go/keyring/secret"
)

// IVSize is the length of the per-secret initialisation vector, the Secret
// struct's "parameters".
const IVSize = aes.BlockSize

// Cipher encrypts and decrypts secrets with a session's AES-128 key. It is
// safe for concurrent use: every call builds its own CBC state.
type Cipher struct {
	key   []byte
	block cipher.Block
}

// NewCipher takes a copy of a 16-byte key from SharedKey.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("dhsession: key is %d bytes, want %d: %w", len(key), KeySize, secret.ErrInvalidArgument)
	}
	k := append([]byte(nil), key...)
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("dhsession: %w", err)
	}
	return &Cipher{key: k, block: b}, nil
}

// Encrypt pads plaintext with PKCS#7 and encrypts it under a fresh random IV
// read from random (crypto/rand.Reader when nil). A secret never shares an IV
// with another.
func (c *Cipher) Encrypt(random io.Reader, plaintext []byte) (iv, ciphertext []byte, err error) {
	if random == nil {
		random = rand.Reader
	}
	iv = make([]byte, IVSize)
	if _, err := io.ReadFull(random, iv); err != nil {
		return nil, nil, fmt.Errorf("dhsession: random IV: %w", err)
	}
	ct, err := c.EncryptWithIV(iv, plaintext)
	if err != nil {
		return nil, nil, err
	}
	return iv, ct, nil
}

// EncryptWithIV is Encrypt with a caller-chosen IV, for known-answer tests.
func (c *Cipher) EncryptWithIV(iv, plaintext []byte) ([]byte, error) {
	if len(iv) != IVSize {
		return nil, fmt.Errorf("dhsession: IV is %d bytes, want %d: %w", len(iv), IVSize, secret.ErrInvalidArgument)
	}
	if c.block == nil {
		return nil, fmt.Errorf("dhsession: cipher used after Wipe: %w", secret.ErrClosed)
	}
	buf := pkcs7.Pad(plaintext)
	cbc.Encrypt(c.block, iv, buf, buf)
	return buf, nil
}

// Decrypt checks what libsecret checks (a 16-byte IV, a non-empty whole
// number of blocks, well-formed padding) and returns the plaintext in a new
// buffer the caller owns. A failure says only that the secret is corrupt.
func (c *Cipher) Decrypt(iv, ciphertext []byte) ([]byte, error) {
	if len(iv) != IVSize {
		return nil, fmt.Errorf("dhsession: IV is %d bytes, want %d: %w", len(iv), IVSize, secret.ErrCorrupt)
	}
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("dhsession: encrypted secret is %d bytes, not a whole number of blocks: %w", len(ciphertext), secret.ErrCorrupt)
	}
	if c.block == nil {
		return nil, fmt.Errorf("dhsession: cipher used after Wipe: %w", secret.ErrClosed)
	}
	buf := make([]byte, len(ciphertext))
	cbc.Decrypt(c.block, iv, buf, ciphertext)
	plain, err := pkcs7.Unpad(buf)
	if err != nil {
		secret.Wipe(buf)
		return nil, fmt.Errorf("dhsession: encrypted secret has bad padding (wrong session key?): %w", secret.ErrCorrupt)
	}
	// Zero the padding left past the end so only the plaintext remains.
	secret.Wipe(buf[len(plain):])
	return plain, nil
}

// Wipe zeroes the key. The cipher is unusable afterwards; Wipe must not run
// concurrently with Encrypt or Decrypt.
func (c *Cipher) Wipe() {
	if c == nil {
		return
	}
	secret.Wipe(c.key)
	c.key = nil
	c.block = nil
}
