//go:build !windows

package dpapi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/dpapi"
)

// TestNotSupportedHere: elsewhere than on Windows, Open and the factory
// fail with ErrNotSupported and say why; vault.Open reports it for the
// engine chosen by name.
func TestNotSupportedHere(t *testing.T) {
	if _, err := dpapi.Open(t.TempDir()); !errors.Is(err, secret.ErrNotSupported) || !strings.Contains(err.Error(), "Windows") {
		t.Fatalf("Open = %v, want ErrNotSupported", err)
	}
	_, err := vault.Open(t.Context(), vault.WithEngineName(dpapi.Name), vault.WithEngineFactory(dpapi.Name, dpapi.Factory),
		vault.WithConfigFile(""), vault.WithEnv(func(string) string { return "" }))
	if !errors.Is(err, secret.ErrNotSupported) || !strings.Contains(err.Error(), dpapi.Name) {
		t.Fatalf("vault.Open of %s = %v", dpapi.Name, err)
	}
}
