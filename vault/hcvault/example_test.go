package hcvault_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/hcvault"
)

// Open a vault on whatever the environment chooses, with this engine
// among the choices: MONEYPENNY_VAULT_ENGINE=hcvault VAULT_ADDR=...
// VAULT_TOKEN=... picks it.
func ExampleRegister() {
	ctx := context.Background()
	v, err := vault.Open(ctx, hcvault.Register())
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	s, err := v.Get(ctx, vault.MustParsePath("org/acme/openai_api_key"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Wipe()
	fmt.Println("provider:", s.Provider)
}

// Configure the engine in code, and read a past version of a secret.
func ExampleNew() {
	ctx := context.Background()
	e, err := hcvault.New(hcvault.Config{
		Address:   "https://vault.example.com:8200",
		Token:     secret.NewString(os.Getenv("VAULT_TOKEN")),
		Namespace: "team-a",
		CAFile:    "/etc/ssl/vault-ca.pem",
	})
	if err != nil {
		log.Fatal(err)
	}
	v := vault.New(e)
	defer v.Close()
	p := vault.MustParsePath("global/jwt_signing_key")
	versions, err := e.Versions(ctx, p)
	if err != nil {
		log.Fatal(err)
	}
	for _, ver := range versions {
		if ver.Current || ver.Destroyed {
			continue
		}
		rec, err := e.ReadVersion(ctx, p, ver.Number)
		if err != nil {
			continue // deleted or pruned
		}
		fmt.Println("version", ver.Number, "updated", rec.UpdatedAt)
		rec.Value.Wipe()
	}
}
