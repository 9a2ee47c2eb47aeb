package filekeyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/pbkdf2"

	"github.com/moneypenny-go/keyring/internal/cbc"
	"github.com/moneypenny-go/keyring/internal/pkcs7"
	"github.com/moneypenny-go/keyring/secret"
)

// The constants libsecret writes. Readers use whatever the file says.
const (
	keySize           = 16 // AES-128; the same key also keys every HMAC
	saltSize          = 32
	defaultIterations = 100000
	ivSize            = aes.BlockSize
	macSize           = sha256.Size
	// maxIterations bounds the work a hostile file can demand from a
	// caller: 64× libsecret's value still derives in seconds.
	maxIterations = 64 * defaultIterations
)

// errMAC means an item was not encrypted under this key: a wrong password,
// or an item appended by a writer that used another password.
var errMAC = errors.New("filekeyring: item MAC does not verify")

// deriveKey is PBKDF2-HMAC-SHA256 with libsecret's 16-byte output.
func deriveKey(password, salt []byte, iterations uint32) []byte {
	return pbkdf2.Key(password, salt, int(iterations), keySize, sha256.New)
}

func newSalt() ([]byte, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("filekeyring: random salt: %w", err)
	}
	return salt, nil
}

// hashValue is the keyed hash libsecret stores in place of an attribute
// value. The attribute's name is not part of the input.
func hashValue(key []byte, value string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return m.Sum(nil)
}

// seal encrypts a serialised item: ciphertext ‖ IV ‖ HMAC(ciphertext ‖ IV).
func seal(key, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	padded := pkcs7.Pad(plaintext)
	out := make([]byte, len(padded), len(padded)+ivSize+macSize)
	iv := make([]byte, ivSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, fmt.Errorf("filekeyring: random IV: %w", err)
	}
	cbc.Encrypt(block, iv, out, padded)
	secret.Wipe(padded)
	out = append(out, iv...)
	m := hmac.New(sha256.New, key)
	m.Write(out)
	return m.Sum(out), nil
}

// verify checks an item's MAC without decrypting it.
func verify(key, blob []byte) bool {
	if len(blob) < ivSize+macSize+aes.BlockSize || (len(blob)-ivSize-macSize)%aes.BlockSize != 0 {
		return false
	}
	body := blob[:len(blob)-macSize]
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return hmac.Equal(m.Sum(nil), blob[len(blob)-macSize:])
}

// decryptBlob decrypts a blob whose MAC the caller has verified (see
// stored.valid, which checks each item once per key). The result holds the
// secret.
func decryptBlob(key, blob []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return decryptWith(block, blob)
}

// decryptWith is decryptBlob with the key's AES block at hand.
func decryptWith(block cipher.Block, blob []byte) ([]byte, error) {
	n := len(blob) - ivSize - macSize
	plain := make([]byte, n)
	cbc.Decrypt(block, blob[n:n+ivSize], plain, blob[:n])
	out, err := pkcs7.Unpad(plain)
	if err != nil {
		secret.Wipe(plain)
		return nil, fmt.Errorf("filekeyring: item padding: %w", err)
	}
	return out, nil
}

func randRead(b []byte) (int, error) { return rand.Read(b) }
