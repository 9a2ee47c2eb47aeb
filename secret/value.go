package secret

import "fmt"

// Content types understood everywhere. The Secret Service carries a content
// type with every secret (gnome-keyring always answers text/plain); libsecret's
// file format does not store one and reads everything back as text/plain.
const (
	ContentTypeText   = "text/plain"
	ContentTypeBinary = "application/octet-stream"
)

// Value is a secret: its bytes and a content type. The zero Value is an empty
// text/plain secret.
//
// A Value formats as [REDACTED] with every fmt verb, so it can travel through
// structs that get logged. Bytes returns the live buffer (not a copy): callers
// that are done with a secret call Wipe to zero it.
type Value struct {
	b           []byte
	contentType string
}

// New returns a text/plain Value that takes ownership of b: later Wipe calls
// zero b itself. Pass a copy if the caller keeps using b.
func New(b []byte) *Value { return &Value{b: b} }

// NewWithContentType is New with an explicit content type; an empty type means
// text/plain.
func NewWithContentType(b []byte, contentType string) *Value {
	return &Value{b: b, contentType: contentType}
}

// NewString returns a text/plain Value holding a copy of s. Go strings cannot
// be wiped, so prefer New with a []byte for secrets read from a user.
func NewString(s string) *Value { return &Value{b: []byte(s)} }

// Bytes returns the secret bytes. The slice is the Value's own buffer.
func (v *Value) Bytes() []byte {
	if v == nil {
		return nil
	}
	return v.b
}

// Len returns the number of secret bytes.
func (v *Value) Len() int {
	if v == nil {
		return 0
	}
	return len(v.b)
}

// ContentType returns the MIME type, text/plain when none was set.
func (v *Value) ContentType() string {
	if v == nil || v.contentType == "" {
		return ContentTypeText
	}
	return v.contentType
}

// Clone returns an independent copy, which must be wiped separately.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	return &Value{b: append([]byte(nil), v.b...), contentType: v.contentType}
}

// Equal reports whether two values hold the same bytes. It is not constant
// time; use crypto/subtle for comparisons an attacker can time.
func (v *Value) Equal(o *Value) bool {
	return string(v.Bytes()) == string(o.Bytes())
}

// Wipe zeroes the bytes and empties the Value. It is safe to call twice.
func (v *Value) Wipe() {
	if v == nil {
		return
	}
	Wipe(v.b)
	v.b = nil
}

// Wipe zeroes b. It is the helper every package uses for keys and buffers.
func Wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

const redacted = "[REDACTED]"

// String returns [REDACTED].
func (v *Value) String() string { return redacted }

// GoString returns [REDACTED], so %#v does not leak either.
func (v *Value) GoString() string { return redacted }

// Format prints [REDACTED] for every verb.
func (v *Value) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }

// errNotSerialised is what MarshalText, MarshalJSON and MarshalBinary return.
//
// A Value refuses to be encoded: a secret must be written out on purpose,
// with Bytes, never as a side effect of encoding a struct. Writing
// "[REDACTED]" instead would be worse than failing: a program that saves its
// configuration as JSON would lose the secret without a word.
var errNotSerialised = fmt.Errorf("secret: a Value is not encoded implicitly; write its Bytes out on purpose: %w", ErrNotSupported)

// MarshalText returns an error wrapping ErrNotSupported, so encoding/json,
// encoding/xml and other text encoders fail instead of writing the secret
// or a placeholder.
func (v *Value) MarshalText() ([]byte, error) { return nil, errNotSerialised }

// MarshalJSON returns the same error as MarshalText.
func (v *Value) MarshalJSON() ([]byte, error) { return nil, errNotSerialised }

// MarshalBinary returns the same error as MarshalText (encoding/gob and
// binary encoders).
func (v *Value) MarshalBinary() ([]byte, error) { return nil, errNotSerialised }
