//go:build !darwin

package darwin

import (
	"context"
	"errors"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

func TestOpenUnavailable(t *testing.T) {
	if _, err := Open(context.Background()); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Open off macOS = %v, want ErrUnavailable", err)
	}
}
