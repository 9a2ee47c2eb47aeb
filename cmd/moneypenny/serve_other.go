//go:build !linux

package main

import (
	"context"
	"fmt"

	"github.com/moneypenny-go/keyring"
)

func cmdServe(ctx context.Context, c *cli, args []string) error {
	return fmt.Errorf("serve: the Secret Service is a Linux desktop API: %w", keyring.ErrNotSupported)
}
