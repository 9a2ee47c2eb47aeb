package dbusservice

import (
	"context"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/secret"
)

// TestStoreSuite runs the behavioural contract of every secret.Store against
// the default collection of each provider. gnome-keyring adds
// xdg:schema=org.freedesktop.Secret.Generic to items stored without a
// schema and KeePassXC adds Title, UserName, URL, Notes, Path and Uuid,
// hence AddsAttributes; the client itself adds nothing.
func TestStoreSuite(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p *provider) {
		storetest.Run(t, func(t *testing.T) secret.Store {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			c, err := OpenCollection(ctx, "default", WithAddress(p.bus.Address))
			if err != nil {
				t.Fatalf("OpenCollection: %v", err)
			}
			return c
		}, storetest.Options{AddsAttributes: true})
	})
}
