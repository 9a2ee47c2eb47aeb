package awssm_test

import (
	"context"
	"fmt"
	"log"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/awssm"
)

// An application that keeps its secrets in Secrets Manager opens the
// engine itself and puts a Vault on it.
func ExampleNew() {
	ctx := context.Background()
	e, err := awssm.New(ctx, awssm.WithRegion("eu-west-1"), awssm.WithPrefix("myapp/"), awssm.WithRecoveryWindow(7))
	if err != nil {
		log.Fatal(err)
	}
	v := vault.New(e)
	defer v.Close()
	p := vault.MustParsePath("org/acme/openai_api_key")
	if err := v.Set(ctx, p, secret.NewString("sk-..."), vault.WithProvider("openai")); err != nil {
		log.Fatal(err)
	}
	prev, err := e.ReadPrevious(ctx, p) // the value before the last Set
	if err == nil {
		defer prev.Value.Wipe()
	}
	if err := v.HealthCheck(ctx); err != nil {
		fmt.Println("Secrets Manager is not reachable:", err) // reported, not fatal
	}
}

// Registering the engine lets vault.Open choose it by name:
// MONEYPENNY_VAULT_ENGINE=aws-secrets-manager, or "engine" in the config
// file with the engine's settings beside it.
func ExampleRegister() {
	ctx := context.Background()
	v, err := vault.Open(ctx, awssm.Register())
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	fmt.Println(v.Info().Engine)
}
