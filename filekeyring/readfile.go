package filekeyring

import (
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// ReadFile decrypts every item of the v1 keyring file at path without
// opening it for writing, for import and inspection. A password under which
// no item's MAC verifies is secret.ErrWrongPassword; items that are not valid
// while others are (a bad MAC, or attributes that do not match their hashes)
// are left out. A file whose items are all authentic but none valid has been
// tampered with: secret.ErrCorrupt, never an empty import.
func ReadFile(path string, password []byte) ([]Record, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("filekeyring: %w", err)
	}
	c, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("filekeyring: %s: %w", path, err)
	}
	key := deriveKey(password, c.salt, c.iterations)
	defer secret.Wipe(key)
	if len(c.items) > 0 && !c.anyAuthentic(key) {
		return nil, fmt.Errorf("filekeyring: %s: none of the %d items decrypts with this password: %w",
			path, len(c.items), secret.ErrWrongPassword)
	}
	out, err := records(c, key)
	if err == nil && len(out) == 0 && len(c.items) > 0 {
		err = fmt.Errorf("filekeyring: %s: none of the %d items is valid (tampered with): %w",
			path, len(c.items), secret.ErrCorrupt)
	}
	return out, err
}
