//go:build !windows

package dpapi

import (
	"fmt"
	"runtime"

	"github.com/moneypenny-go/keyring/secret"
)

// platform: DPAPI exists only on Windows.
func platform() (sealer, fileSystem, error) {
	return nil, nil, fmt.Errorf("dpapi: the Windows Data Protection API is not available on %s: %w", runtime.GOOS, secret.ErrNotSupported)
}
