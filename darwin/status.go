package darwin

import (
	"errors"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// OSStatus values of the Security framework (SecBase.h) this package tells
// apart.
const (
	errSecSuccess               = 0
	errSecUserCanceled          = -128
	errSecParam                 = -50
	errSecAuthFailed            = -25293
	errSecNoSuchKeychain        = -25294
	errSecNotAvailable          = -25291
	errSecDuplicateItem         = -25299
	errSecItemNotFound          = -25300
	errSecInteractionNotAllowed = -25308
	errSecMissingEntitlement    = -34018
)

// errDuplicate is errSecDuplicateItem: the (service, account) pair is taken.
// The keyring handles it; callers never see it.
var errDuplicate = errors.New("duplicate item (errSecDuplicateItem)")

// statusError maps an OSStatus from the SecItem call named op to the shared
// sentinels; the number stays in the message for unknown codes.
func statusError(op string, status int32) error {
	var sentinel error
	switch status {
	case errSecSuccess:
		return nil
	case errSecItemNotFound:
		sentinel = secret.ErrNotFound
	case errSecDuplicateItem:
		sentinel = errDuplicate
	case errSecInteractionNotAllowed:
		// The keychain is locked and no UI may be shown (an ssh session,
		// a daemon).
		sentinel = secret.ErrLocked
	case errSecUserCanceled:
		sentinel = secret.ErrDismissed
	case errSecAuthFailed:
		sentinel = secret.ErrWrongPassword
	case errSecNotAvailable, errSecNoSuchKeychain, errSecMissingEntitlement:
		sentinel = secret.ErrUnavailable
	case errSecParam:
		sentinel = secret.ErrInvalidArgument
	default:
		return fmt.Errorf("darwin: %s: OSStatus %d", op, status)
	}
	return fmt.Errorf("darwin: %s: OSStatus %d: %w", op, status, sentinel)
}
