package filekeyring

import (
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// ReadFile decrypts every item of the v1 keyring file at path without
// opening it for writing, for import and inspection. A password under which
// no item decrypts is secret.ErrWrongPassword; items that do not decrypt
// while others do are left out.
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
	if len(c.items) > 0 && !c.anyValid(key) {
		return nil, fmt.Errorf("filekeyring: %s: none of the %d items decrypts with this password: %w",
			path, len(c.items), secret.ErrWrongPassword)
	}
	return records(c, key)
}
