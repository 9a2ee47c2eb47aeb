package vault

import (
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Metadata describes a secret without its value: what List returns. Times
// are UTC; a zero ExpiresAt means the secret does not expire.
type Metadata struct {
	Path Path `json:"path"`
	// Provider says whose credential this is ("openai", "github"); free
	// text, empty when not set.
	Provider  string    `json:"provider,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Expired reports whether the secret has expired at now.
func (m Metadata) Expired(now time.Time) bool {
	return !m.ExpiresAt.IsZero() && !now.Before(m.ExpiresAt)
}

// Secret is a value with its metadata, as Get returns it. The Value prints
// as [REDACTED]; the caller wipes it when done (Secret.Wipe).
type Secret struct {
	Metadata
	Value *secret.Value `json:"-"`
}

// Wipe zeroes the value.
func (s *Secret) Wipe() {
	if s != nil {
		s.Value.Wipe()
	}
}
