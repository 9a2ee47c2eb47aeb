//go:build !darwin

package darwin

import (
	"fmt"
	"runtime"

	"github.com/moneypenny-go/keyring/secret"
)

// systemAPI: the Keychain exists only on macOS.
func systemAPI() (secAPI, error) {
	return nil, fmt.Errorf("darwin: the Keychain is not available on %s: %w", runtime.GOOS, secret.ErrUnavailable)
}
