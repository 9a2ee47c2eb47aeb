package keyring

import "github.com/moneypenny-go/keyring/secret"

// The shared vocabulary, re-exported from package secret (the way io/fs's
// names serve os) so that most programs import only keyring.
type (
	// Attributes identify an item; see secret.Attributes.
	Attributes = secret.Attributes
	// Secret is a secret value that prints as [REDACTED]; see secret.Value.
	Secret = secret.Value
	// Item is one stored secret with its label, attributes and times.
	Item = secret.Item
	// NewItem is one element of a CreateItems batch.
	NewItem = secret.NewItem
	// Event reports an item created, changed or deleted.
	Event = secret.Event
	// EventKind says which.
	EventKind = secret.EventKind
	// BackendInfo describes a backend.
	BackendInfo = secret.Info
)

// Event kinds.
const (
	ItemCreated = secret.ItemCreated
	ItemChanged = secret.ItemChanged
	ItemDeleted = secret.ItemDeleted
)

// Content types.
const (
	ContentTypeText   = secret.ContentTypeText
	ContentTypeBinary = secret.ContentTypeBinary
)

// Sentinel errors, matched with errors.Is.
var (
	ErrNotFound          = secret.ErrNotFound
	ErrLocked            = secret.ErrLocked
	ErrDismissed         = secret.ErrDismissed
	ErrUnavailable       = secret.ErrUnavailable
	ErrWrongPassword     = secret.ErrWrongPassword
	ErrCorrupt           = secret.ErrCorrupt
	ErrUnsupportedFormat = secret.ErrUnsupportedFormat
	ErrTooLarge          = secret.ErrTooLarge
	ErrReadOnly          = secret.ErrReadOnly
	ErrNotSupported      = secret.ErrNotSupported
	ErrClosed            = secret.ErrClosed
	ErrInvalidArgument   = secret.ErrInvalidArgument
	ErrExpired           = secret.ErrExpired
	ErrRetired           = secret.ErrRetired
)

// NewSecret returns a text/plain Secret that takes ownership of b.
func NewSecret(b []byte) *Secret { return secret.New(b) }

// NewBinarySecret returns an application/octet-stream Secret that takes
// ownership of b.
func NewBinarySecret(b []byte) *Secret {
	return secret.NewWithContentType(b, secret.ContentTypeBinary)
}
