//go:build !linux

package keyctl

import (
	"context"
	"errors"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

func TestUnavailableOffLinux(t *testing.T) {
	ctx := context.Background()
	if err := Probe(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Probe = %v", err)
	}
	if _, err := Open(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Open = %v", err)
	}
	c := NewKeyCache()
	if _, ok := c.Key(ctx, "x"); ok {
		t.Fatal("Key found something")
	}
	if err := c.StoreKey(ctx, "x", []byte("k")); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("StoreKey = %v", err)
	}
	if err := c.Clear(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Clear = %v", err)
	}
}
