package legacykeyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strconv"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// magic is the 16-byte signature every gnome-keyring binary file starts with;
// the two bytes after it are the major and minor format version.
const magic = "GnomeKeyring\n\r\x00\n"

// maxIterations bounds the key derivation work a hostile file can demand.
// gnome-keyring itself picks 1000–4095 iterations; the bound leaves ample room
// while keeping a crafted header from stalling the caller for minutes.
const maxIterations = 1 << 20

// Record is one item of a legacy keyring, decrypted.
type Record struct {
	Label      string
	Attributes secret.Attributes
	// Secret is the caller's to keep and to wipe (secret.Wipe) when done.
	Secret   []byte
	Created  time.Time
	Modified time.Time
}

// IsLegacy reports whether data starts like a gnome-keyring v0 file: the
// magic followed by version 00 00. Use it to tell such a file from
// libsecret's format, whose magic differs.
func IsLegacy(data []byte) bool {
	return len(data) >= len(magic)+2 && string(data[:len(magic)]) == magic &&
		data[len(magic)] == 0 && data[len(magic)+1] == 0
}

// Parse decrypts data with password and returns the keyring's name and its
// items, in file order. A password that does not decrypt the file gives an
// error wrapping secret.ErrWrongPassword; data that is not a well-formed v0
// file gives one wrapping secret.ErrCorrupt (or secret.ErrUnsupportedFormat
// for a valid header naming another algorithm).
func Parse(data []byte, password []byte) (name string, recs []Record, err error) {
	if !IsLegacy(data) {
		return "", nil, fmt.Errorf("legacykeyring: not a gnome-keyring v0 file: %w", secret.ErrCorrupt)
	}
	h, err := parseHeader(&reader{b: data, off: len(magic) + 2})
	if err != nil {
		return "", nil, err
	}
	plain, err := decrypt(h, password)
	if err != nil {
		return "", nil, err
	}
	defer secret.Wipe(plain)
	recs, err = parseItems(&reader{b: plain, off: md5.Size}, h.numItems)
	if err != nil {
		return "", nil, err
	}
	return h.name, recs, nil
}

// header is what Parse needs from the clear part of the file.
type header struct {
	name       string
	iterations uint32
	salt       []byte
	numItems   int
	encrypted  []byte
}

func parseHeader(r *reader) (*header, error) {
	crypto, hash := r.u8(), r.u8()
	if r.err == nil && (crypto != 0 || hash != 0) {
		return nil, fmt.Errorf("legacykeyring: crypto algorithm %d, hash %d (only AES and MD5 exist): %w",
			crypto, hash, secret.ErrUnsupportedFormat)
	}
	h := &header{}
	h.name = r.utf8("keyring name")
	r.time() // ctime
	r.time() // mtime
	r.u32()  // flags
	r.u32()  // lock timeout
	h.iterations = r.u32()
	h.salt = r.bytes(8)
	for range 4 {
		r.u32() // reserved
	}
	n := r.count(12) // id, type and attribute count: 12 bytes per item at least
	for i := 0; i < n && r.err == nil; i++ {
		r.u32() // id
		r.u32() // type
		na := r.count(minAttribute)
		for j := 0; j < na && r.err == nil; j++ {
			r.str("hashed attribute name")
			switch t := r.u32(); t {
			case 0:
				r.str("hashed attribute value")
			case 1:
				r.u32()
			default:
				r.fail(fmt.Sprintf("hashed attribute of unknown type %d", t))
			}
		}
	}
	h.numItems = n
	size := r.u32()
	h.encrypted = r.bytes(int64(size))
	if r.err != nil {
		return nil, r.err
	}
	if len(h.encrypted) < md5.Size || len(h.encrypted)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("legacykeyring: encrypted block of %d bytes is not a positive multiple of %d: %w",
			len(h.encrypted), aes.BlockSize, secret.ErrCorrupt)
	}
	if h.iterations > maxIterations {
		return nil, fmt.Errorf("legacykeyring: %d hash iterations exceeds the limit of %d: %w",
			h.iterations, maxIterations, secret.ErrCorrupt)
	}
	return h, nil
}

// deriveKey is egg_symkey_generate_simple for AES-128 with SHA-256: one
// digest is exactly 16 bytes of key followed by 16 bytes of IV, so a single
// pass is all gnome-keyring ever computes.
func deriveKey(password, salt []byte, iterations uint32) (key, iv []byte) {
	h := sha256.New()
	h.Write(password)
	h.Write(salt)
	d := h.Sum(make([]byte, 0, sha256.Size))
	for i := uint32(1); i < iterations; i++ {
		h.Reset()
		h.Write(d)
		d = h.Sum(d[:0])
	}
	return d[:16], d[16:32]
}

// decrypt returns the verified plaintext, checksum included.
func decrypt(h *header, password []byte) ([]byte, error) {
	key, iv := deriveKey(password, h.salt, h.iterations)
	defer secret.Wipe(key[:cap(key)])
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("legacykeyring: %v: %w", err, secret.ErrCorrupt)
	}
	plain := make([]byte, len(h.encrypted))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, h.encrypted)
	sum := md5.Sum(plain[md5.Size:])
	if subtle.ConstantTimeCompare(sum[:], plain[:md5.Size]) != 1 {
		secret.Wipe(plain)
		return nil, fmt.Errorf("legacykeyring: checksum mismatch: %w", secret.ErrWrongPassword)
	}
	return plain, nil
}

func parseItems(r *reader, n int) ([]Record, error) {
	recs := make([]Record, 0, min(n, r.remaining()/40))
	fail := func() ([]Record, error) {
		for _, rec := range recs {
			secret.Wipe(rec.Secret)
		}
		return nil, r.err
	}
	for i := 0; i < n; i++ {
		var rec Record
		rec.Label = r.utf8("label")
		if s := r.str("secret"); s != nil {
			rec.Secret = bytes.Clone(s)
		}
		rec.Created = r.time()
		rec.Modified = r.time()
		r.str("reserved string")
		for range 4 {
			r.u32() // reserved
		}
		rec.Attributes = readAttributes(r)
		skipACL(r)
		if r.err != nil {
			secret.Wipe(rec.Secret)
			return fail()
		}
		if err := rec.Attributes.Validate(); err != nil {
			r.err = fmt.Errorf("legacykeyring: item %d: %v: %w", i, err, secret.ErrCorrupt)
			secret.Wipe(rec.Secret)
			return fail()
		}
		recs = append(recs, rec)
	}
	// What follows the last item is the zero padding up to the AES block
	// size; anything else means the item count and the data disagree.
	for _, b := range r.b[r.off:] {
		if b != 0 {
			r.fail("data after the last item")
			return fail()
		}
	}
	return recs, nil
}

// minAttribute is the fewest bytes an attribute takes, in the header and in
// an item: a name's length word, the type word, and a value's length word
// or the uint32 itself. A count is checked against it before it sizes the
// attribute map.
const minAttribute = 12

func readAttributes(r *reader) secret.Attributes {
	n := r.count(minAttribute)
	attrs := make(secret.Attributes, n)
	for i := 0; i < n && r.err == nil; i++ {
		name := r.utf8("attribute name")
		switch t := r.u32(); t {
		case 0:
			attrs[name] = r.utf8("attribute value")
		case 1:
			attrs[name] = strconv.FormatUint(uint64(r.u32()), 10)
		default:
			r.fail(fmt.Sprintf("attribute of unknown type %d", t))
		}
	}
	return attrs
}

// skipACL passes over the access-control entries: they name applications of
// the old gnome-keyring API and mean nothing to the Secret Service or to the
// file keyring.
func skipACL(r *reader) {
	n := r.count(16)
	for i := 0; i < n && r.err == nil; i++ {
		r.u32()            // flags
		r.str("acl name")  // display name
		r.str("acl path")  // path name
		r.str("acl extra") // reserved
		r.u32()            // reserved
	}
}
