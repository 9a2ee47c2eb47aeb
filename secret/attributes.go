package secret

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Attributes are the name/value pairs that identify an item. They are stored
// in the clear by the Secret Service and as keyed hashes of the values by the
// file keyring; either way they are not secret, and they are how items are
// found.
type Attributes map[string]string

// Matches reports whether a contains every name/value pair of query: the
// subset match of the Secret Service's SearchItems and of libsecret's file
// backend. An empty query matches every item.
func (a Attributes) Matches(query Attributes) bool {
	for k, v := range query {
		got, ok := a[k]
		if !ok || got != v {
			return false
		}
	}
	return true
}

// Equal reports whether a and b hold exactly the same pairs: the test that
// decides whether a store with Replace replaces an item.
func (a Attributes) Equal(b Attributes) bool {
	if len(a) != len(b) {
		return false
	}
	return a.Matches(b)
}

// Clone returns a copy that shares nothing with a. Clone of nil is an empty,
// non-nil map.
func (a Attributes) Clone() Attributes {
	c := make(Attributes, len(a))
	for k, v := range a {
		c[k] = v
	}
	return c
}

// Names returns the attribute names sorted in byte order (strcmp order, the
// order libsecret's file format stores them in).
func (a Attributes) Names() []string {
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// String formats the attributes as {name=value, ...} in name order.
// Attributes are not secret, so they print in full.
func (a Attributes) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range a.Names() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", k, a[k])
	}
	b.WriteByte('}')
	return b.String()
}

// Validate checks what every backend requires: names are non-empty, and
// names and values are valid UTF-8 without a NUL byte. The Secret Service
// (D-Bus strings) and the file keyring (GVariant strings) can hold nothing
// else: dbus-daemon disconnects a client that sends invalid UTF-8, and bytes
// that are not UTF-8 would come back changed, shown with replacement
// characters, or match nothing.
func (a Attributes) Validate() error {
	for k, v := range a {
		if k == "" {
			return fmt.Errorf("attribute with an empty name: %w", ErrInvalidArgument)
		}
		if !utf8.ValidString(k) {
			return fmt.Errorf("attribute name %q is not valid UTF-8: %w", k, ErrInvalidArgument)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("the value of attribute %q is not valid UTF-8: %w", k, ErrInvalidArgument)
		}
		if strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("attribute %q contains a NUL byte: %w", k, ErrInvalidArgument)
		}
	}
	return nil
}
