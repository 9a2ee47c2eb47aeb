package darwin

import (
	"context"
	"testing"

	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/secret"
)

// TestKeychain runs the behavioural suite against the user's real Keychain
// (items are scoped by a random attribute and removed afterwards). -short
// leaves it out, for machines where a Keychain dialog could appear.
func TestKeychain(t *testing.T) {
	if testing.Short() {
		t.Skip("uses the login keychain")
	}
	storetest.Run(t, func(t *testing.T) secret.Store {
		k, err := Open(context.Background())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return k
	}, storetest.Options{NoWatch: true})
}
