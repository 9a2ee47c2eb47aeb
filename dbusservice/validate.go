package dbusservice

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/moneypenny-go/keyring/secret"
)

// checkString rejects what D-Bus strings cannot carry. dbus-daemon
// disconnects a client that sends invalid UTF-8, which would break every
// later call on the connection, so the check happens before sending.
func checkString(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("dbusservice: %s is not valid UTF-8: %w", what, secret.ErrInvalidArgument)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("dbusservice: %s contains a NUL byte: %w", what, secret.ErrInvalidArgument)
	}
	return nil
}

// checkAttributes applies secret.Attributes.Validate (which includes the
// UTF-8 rule).
func checkAttributes(a secret.Attributes) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("dbusservice: %w", err)
	}
	return nil
}

// attrMap gives the a{ss} for the wire; nil becomes an empty dict.
func attrMap(a secret.Attributes) map[string]string { return a.Clone() }
