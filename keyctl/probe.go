package keyctl

import (
	"context"
	"errors"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// Probe reports whether the kernel keyring system calls work here, without
// creating anything. It returns nil if they do, and otherwise an error
// wrapping secret.ErrUnavailable that says why: EPERM or ENOSYS from a
// seccomp filter (Flatpak blocks keyctl, and so does Docker's default
// profile), a kernel without CONFIG_KEYS, or an OS other than Linux.
func Probe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyctl: probe: %w", err)
	}
	// keyctl(2): resolving the user keyring works wherever keyctl is allowed.
	if _, err := keyringID(specUser, false); err != nil {
		return fmt.Errorf("keyctl: probe: %w", err)
	}
	// add_key(2) is filtered separately by some seccomp profiles. Adding to
	// keyring 0 cannot succeed: an allowed call answers EINVAL, a blocked
	// one EPERM or ENOSYS.
	if _, err := addKey("user", cachePrefix+"probe", nil, 0); errors.Is(err, secret.ErrUnavailable) {
		return fmt.Errorf("keyctl: probe: %w", err)
	}
	return nil
}
