package darwin

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/moneypenny-go/keyring/secret"
)

// genericMagic starts kSecAttrGeneric of every item this package writes.
const genericMagic = "moneypenny/1\n"

// generic is the JSON that follows genericMagic.
type generic struct {
	Attributes  secret.Attributes `json:"attributes"`
	ContentType string            `json:"contentType,omitempty"`
}

// encodeGeneric serialises the full attribute set (and the content type,
// which the Keychain has no field for). encoding/json sorts map keys, so the
// bytes are canonical.
func encodeGeneric(attrs secret.Attributes, contentType string) []byte {
	if attrs == nil {
		attrs = secret.Attributes{}
	}
	b, _ := json.Marshal(generic{Attributes: attrs, ContentType: contentType})
	return append([]byte(genericMagic), b...)
}

// decodeGeneric parses kSecAttrGeneric. ours is false for items other
// programs wrote; err is set when ours but unreadable.
func decodeGeneric(b []byte) (g generic, ours bool, err error) {
	if !bytes.HasPrefix(b, []byte("moneypenny/")) {
		return g, false, nil
	}
	if !bytes.HasPrefix(b, []byte(genericMagic)) {
		return g, true, fmt.Errorf("darwin: item of a newer format: %w", secret.ErrUnsupportedFormat)
	}
	if err := json.Unmarshal(b[len(genericMagic):], &g); err != nil {
		return g, true, fmt.Errorf("darwin: item metadata: %w", secret.ErrCorrupt)
	}
	if g.Attributes == nil {
		g.Attributes = secret.Attributes{}
	}
	return g, true, nil
}

// pairLike reports whether attrs hold nothing but service and username:
// the sets other libraries store, whose account is the bare username.
func pairLike(attrs secret.Attributes) bool {
	for k := range attrs {
		if k != "service" && k != "username" {
			return false
		}
	}
	return true
}

// accountFor is the kSecAttrAccount of an item with attrs: the username for
// pair-like sets, else the username, " #" and 8 hex digits of the SHA-256 of
// the attribute JSON, so that sets sharing service and username stay apart.
func accountFor(attrs secret.Attributes) string {
	user := attrs["username"]
	if pairLike(attrs) {
		return user
	}
	b, _ := json.Marshal(attrs)
	sum := sha256.Sum256(b)
	return user + " #" + hex.EncodeToString(sum[:4])
}

// duplicateAccount is the account for a second item with the same
// attributes, stored without replace: the username with a random suffix in
// place of accountFor's attribute hash.
func duplicateAccount(attrs secret.Attributes) string {
	r := make([]byte, 4)
	_, _ = rand.Read(r)
	return attrs["username"] + " #" + hex.EncodeToString(r)
}

// meta is an item's metadata as this package presents it.
type meta struct {
	label       string
	attrs       secret.Attributes
	contentType string
	ours        bool
}

// describe turns a found item into its metadata. Items of other programs get
// {service, username} from kSecAttrService and kSecAttrAccount. ok is false
// for our items of a newer or damaged format, which are left alone.
func describe(f found) (m meta, ok bool) {
	g, ours, err := decodeGeneric(f.Generic)
	if err != nil {
		return m, false
	}
	if ours {
		return meta{label: f.Label, attrs: g.Attributes, contentType: g.ContentType, ours: true}, true
	}
	return meta{label: f.Label, attrs: secret.Attributes{"service": f.Service, "username": f.Account}}, true
}

// foreignVisible reports whether a search for query may return other
// programs' items: only a query for {service} or {service, username}, so a
// listing never wanders through every application's passwords.
func foreignVisible(query secret.Attributes) bool {
	_, hasService := query["service"]
	return hasService && pairLike(query)
}

// Prefixes zalando/go-keyring puts before values it stores through
// /usr/bin/security.
const (
	goKeyringBase64 = "go-keyring-base64:"
	goKeyringHex    = "go-keyring-encoded:"
)

// decodeForeign undoes go-keyring's encodings of another program's item
// data; other data is returned as it is. The result is a new slice.
func decodeForeign(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte(goKeyringBase64)):
		src := data[len(goKeyringBase64):]
		out := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
		if n, err := base64.StdEncoding.Decode(out, src); err == nil {
			return out[:n]
		}
	case bytes.HasPrefix(data, []byte(goKeyringHex)):
		src := data[len(goKeyringHex):]
		out := make([]byte, hex.DecodedLen(len(src)))
		if n, err := hex.Decode(out, src); err == nil {
			return out[:n]
		}
	}
	return append([]byte{}, data...)
}

// contentTypeOf guesses the content type of another program's data.
func contentTypeOf(data []byte) string {
	if utf8.Valid(data) {
		return secret.ContentTypeText
	}
	return secret.ContentTypeBinary
}
