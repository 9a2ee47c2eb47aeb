//go:build !windows

package windows

import (
	"fmt"
	"runtime"

	"github.com/moneypenny-go/keyring/secret"
)

// systemAPI: Credential Manager exists only on Windows.
func systemAPI() (credAPI, error) {
	return nil, fmt.Errorf("windows: Credential Manager is not available on %s: %w", runtime.GOOS, secret.ErrUnavailable)
}
