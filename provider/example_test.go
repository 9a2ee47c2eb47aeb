package provider_test

import (
	"context"
	"log"

	"github.com/moneypenny-go/keyring/provider"
)

// A program becomes the session's Secret Service: every libsecret,
// SecretStorage or go-keyring client then stores into and reads from the
// stores it serves. Here both collections live in memory; a password
// manager would pass its own secret.Store. Connect makes the connection
// ("" is the session bus) and Close closes it.
func Example() {
	srv, err := provider.Connect(context.Background(), "", provider.Options{Logf: log.Printf})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for _, c := range []struct{ id, label string }{{"login", "Login"}, {"session", "Session"}} {
		if err := srv.AddCollection(c.id, c.label, provider.NewMemoryStore(c.id)); err != nil {
			log.Fatal(err)
		}
	}
	for alias, id := range map[string]string{"default": "login", "login": "login", "session": "session"} {
		if err := srv.SetAlias(alias, id); err != nil {
			log.Fatal(err)
		}
	}
	if err := srv.Claim(false); err != nil { // own org.freedesktop.secrets
		log.Fatal(err)
	}
	<-srv.Lost() // serve until another provider takes the name over
}
