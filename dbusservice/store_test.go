package dbusservice

import (
	"context"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/secret"
)

// TestStoreSuite runs the behavioural contract of every secret.Store against
// gnome-keyring's default collection. gnome-keyring adds
// xdg:schema=org.freedesktop.Secret.Generic to items stored without a
// schema, hence AddsAttributes; the client itself adds nothing.
func TestStoreSuite(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	storetest.Run(t, func(t *testing.T) secret.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		c, err := OpenCollection(ctx, "default", WithAddress(k.bus.Address))
		if err != nil {
			t.Fatalf("OpenCollection: %v", err)
		}
		return c
	}, storetest.Options{AddsAttributes: true})
}
