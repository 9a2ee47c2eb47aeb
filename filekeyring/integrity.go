package filekeyring

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"slices"

	"github.com/moneypenny-go/keyring/internal/gvariant"
	"github.com/moneypenny-go/keyring/secret"
)

// The MAC of an item covers only its encrypted blob, not the hashed
// attributes stored beside it. Someone who can write the file but does not
// know the password could therefore move one item's blob into another
// item's slot: a search for service A would then find A's hashes and hand
// out B's secret, and a clear of A would delete B. So an item counts as
// valid only if its decrypted attributes hash, under the key, to exactly the
// stored hashed attributes. libsecret and oo7 always write consistent pairs.

// errMismatch: the blob verifies, but belongs to another attribute set.
var errMismatch = fmt.Errorf("filekeyring: the item's encrypted attributes do not match its hashed attributes (moved from another item?): %w",
	secret.ErrCorrupt)

// errForeign wraps errMAC for callers: the item is not ours to read.
var errForeign = fmt.Errorf("filekeyring: the item does not decrypt with this keyring's key (stored under another password, or damaged): %w",
	secret.ErrCorrupt)

// inspect decides an item's verdict under key: its MAC, then its attribute
// hashes. A good item's label, attributes and times are cached in s.meta,
// so the decryption this check needs is not repeated for them.
func (s *stored) inspect(key []byte) (verdict, error) {
	if !verify(key, s.blob) {
		return bad, errForeign
	}
	plain, err := decryptBlob(key, s.blob)
	if err != nil {
		return bad, fmt.Errorf("%w: %w", secret.ErrCorrupt, err)
	}
	defer secret.Wipe(plain)
	it, err := gvariant.DecodeItem(plain)
	if err != nil {
		return bad, fmt.Errorf("item payload: %w: %w", secret.ErrCorrupt, err)
	}
	secret.Wipe(it.Secret)
	if !consistent(key, it.Attributes, s.hashed) {
		return bad, errMismatch
	}
	if s.meta == nil {
		d := &decrypted{attrs: make(secret.Attributes, len(it.Attributes)), label: it.Label, created: it.Created, modified: it.Modified}
		for _, a := range it.Attributes {
			d.attrs[a.Name] = a.Value
		}
		s.meta = d
	}
	return good, nil
}

// consistent reports whether attrs hash under key to exactly hashed: the
// same names, each once, with equal hashes (in any order: the check does not
// depend on the writer sorting them).
func consistent(key []byte, attrs []gvariant.StringPair, hashed []gvariant.BytesPair) bool {
	if len(attrs) != len(hashed) {
		return false
	}
	values := make(map[string]string, len(attrs))
	for _, a := range attrs {
		if _, dup := values[a.Name]; dup {
			return false
		}
		values[a.Name] = a.Value
	}
	for _, h := range hashed {
		v, ok := values[h.Name]
		if !ok || !hmac.Equal(hashValue(key, v), h.Value) {
			return false
		}
		delete(values, h.Name) // a name hashed twice is not found again
	}
	return true
}

// problem says why an item is not valid under key, nil if it is.
func (s *stored) problem(key []byte) error {
	if s.valid(key) {
		return nil
	}
	_, err := s.inspect(key)
	if err == nil {
		err = errForeign
	}
	return err
}

// anyAuthentic reports whether some item's MAC verifies under key: the
// password is right even if every such item turns out to be tampered with.
func (c *contents) anyAuthentic(key []byte) bool {
	for _, s := range c.items {
		if s.check == good || verify(key, s.blob) {
			return true
		}
	}
	return false
}

// itemError is the error a handle returns for an item that is not valid.
func (s *stored) itemError(id string, key []byte, err error) error {
	if errors.Is(err, errMAC) {
		err = s.problem(key)
	}
	return fmt.Errorf("filekeyring: item %s: %w", id, err)
}

// BrokenItem is an item the current key cannot use: stored under another
// password, damaged, or tampered with.
type BrokenItem struct {
	// Index is the item's position in the file, from 0.
	Index int
	// AttributeNames are the item's attribute names, which the file keeps
	// in the clear (the values are stored only as keyed hashes).
	AttributeNames []string
	// Err says why, wrapping secret.ErrCorrupt.
	Err error
}

func (b BrokenItem) String() string {
	return fmt.Sprintf("item %d (attributes %v): %v", b.Index, b.AttributeNames, b.Err)
}

// brokenItems lists the items of c that are not valid under key.
func brokenItems(c *contents, key []byte) []BrokenItem {
	var out []BrokenItem
	for i, s := range c.items {
		if err := s.problem(key); err != nil {
			names := make([]string, 0, len(s.hashed))
			for _, h := range s.hashed {
				names = append(names, h.Name)
			}
			slices.Sort(names)
			out = append(out, BrokenItem{Index: i, AttributeNames: names, Err: err})
		}
	}
	return out
}
