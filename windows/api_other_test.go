//go:build !windows

package windows

import (
	"context"
	"errors"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

// testAPI: without Windows the keyring logic runs against the in-memory fake;
// scripts/wine/test-windows.sh runs the same tests against advapi32 under Wine.
func testAPI(t *testing.T) credAPI { return newFakeAPI() }

func TestOpenUnavailable(t *testing.T) {
	_, err := Open(context.Background())
	if !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Open on a non-Windows system = %v, want ErrUnavailable", err)
	}
}
