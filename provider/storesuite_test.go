package provider

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/secret"
)

// TestMemoryStoreSuite holds the in-memory store to the contract of every
// secret.Store.
func TestMemoryStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) secret.Store { return NewMemoryStore("suite") })
}

// TestClientSuiteOverProvider runs the shared store suite through this
// project's own client (dbusservice, a DH session) against the provider,
// backed by the memory store and by a libsecret-format file, each served
// through Connect (the fast path) and through New (godbus only): the
// whole contract (replace, subset search, setters, binary and 16 KiB
// secrets, Watch through the Item signals) holds over the bus.
func TestClientSuiteOverProvider(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) secret.Store{
		"memory": func(t *testing.T) secret.Store { return NewMemoryStore("login") },
		"file": func(t *testing.T) secret.Store {
			k, err := filekeyring.Open(context.Background(), filepath.Join(t.TempDir(), "login.keyring"), []byte("pw"))
			if err != nil {
				t.Fatal(err)
			}
			return k
		},
	} {
		for _, how := range []via{viaConnect, viaNew} {
			t.Run(name+"/"+how.String(), func(t *testing.T) {
				s := serveVia(t, how, open(t), Options{})
				storetest.Run(t, func(t *testing.T) secret.Store {
					ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
					defer cancel()
					c, err := dbusservice.OpenCollection(ctx, "default", dbusservice.WithAddress(s.bus.Address))
					if err != nil {
						t.Fatalf("OpenCollection: %v", err)
					}
					return c
				})
			})
		}
	}
}
