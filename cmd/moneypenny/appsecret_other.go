//go:build !linux

package main

import (
	"context"
	"fmt"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/secret"
)

// appSecretViaSandbox needs bubblewrap and the Secrets portal: Linux only.
func appSecretViaSandbox(func(string) string) func(ctx context.Context, appID string) (*keyring.Secret, error) {
	return func(context.Context, string) (*keyring.Secret, error) {
		return nil, fmt.Errorf("asking the Secrets portal as an app works on Linux only: %w", secret.ErrNotSupported)
	}
}

func cmdPortalSecret(context.Context, *cli, []string) error {
	return fmt.Errorf("internal verb: %w", secret.ErrNotSupported)
}
