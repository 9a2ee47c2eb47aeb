package vault_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// exampleVault opens a vault on a throwaway file keyring, as
// MONEYPENNY_BACKEND=file would.
func exampleVault(ctx context.Context) (*vault.Vault, func()) {
	dir, err := os.MkdirTemp("", "vault-example-")
	if err != nil {
		log.Fatal(err)
	}
	kr, err := keyring.Open(ctx, keyring.WithBackend(keyring.File),
		keyring.WithPath(filepath.Join(dir, "example.keyring")), keyring.WithPassword([]byte("example")))
	if err != nil {
		log.Fatal(err)
	}
	v := vault.New(vault.NewKeyringEngine(kr.Store()))
	return v, func() { v.Close(); os.RemoveAll(dir) }
}

func Example() {
	ctx := context.Background()
	v, done := exampleVault(ctx)
	defer done()

	p, _ := vault.Org("acme", "openai_api_key")
	if err := v.Set(ctx, p, secret.NewString("sk-example"), vault.WithProvider("openai"), vault.ExpiresIn(90*24*time.Hour)); err != nil {
		log.Fatal(err)
	}
	// The most specific scope that has the key wins.
	s, err := v.GetWithFallback(ctx, "openai_api_key", vault.ProjectScope("p1"), vault.OrgScope("acme"), vault.GlobalScope)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Wipe()
	fmt.Println(s.Path, s.Provider, string(s.Value.Bytes()))
	fmt.Printf("%v\n", s.Value) // values never print
	// Output:
	// org/acme/openai_api_key openai sk-example
	// [REDACTED]
}

func ExampleVault_Expand() {
	ctx := context.Background()
	v, done := exampleVault(ctx)
	defer done()
	_ = v.Set(ctx, vault.MustParsePath("global/db_password"), secret.NewString("s3cret"))

	out, err := v.Expand(ctx, []byte("dsn = postgres://app:{{ vault://global/db_password }}@db/app\n"))
	if err != nil {
		log.Fatal(err)
	}
	defer secret.Wipe(out)
	fmt.Print(string(out))

	_, err = v.Expand(ctx, []byte("token = vault://global/missing_token\n"))
	fmt.Println(errors.Is(err, secret.ErrNotFound))
	// Output:
	// dsn = postgres://app:s3cret@db/app
	// true
}

func ExampleParse() {
	r, err := vault.Parse("vault://org/acme/openai_api_key")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Path().Scope(), r.Path().Name(), r)
	_, err = vault.Parse("vault://org/../etc/passwd")
	fmt.Println(err)
	// Output:
	// org/acme openai_api_key vault://org/acme/openai_api_key
	// vault: reference "vault://org/../etc/passwd": invalid path "org/../etc/passwd": scope: segment ".." is not allowed
}

func ExampleNewEnvEngine() {
	ctx := context.Background()
	environ := []string{"SIDESEAT_SECRET_GLOBAL_JWT_SIGNING_KEY=from-the-orchestrator"}
	v := vault.New(vault.NewEnvEngine("SIDESEAT_SECRET_", environ, 0))
	val, _ := v.GetValue(ctx, vault.MustParsePath("global/jwt_signing_key"))
	fmt.Println(string(val.Bytes()))
	err := v.Set(ctx, vault.MustParsePath("global/jwt_signing_key"), secret.NewString("x"))
	fmt.Println(errors.Is(err, secret.ErrReadOnly))
	// Output:
	// from-the-orchestrator
	// true
}

func ExampleOpenSingleEntry() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "vault-example-")
	defer os.RemoveAll(dir)
	kr, err := keyring.Open(ctx, keyring.WithBackend(keyring.File),
		keyring.WithPath(filepath.Join(dir, "example.keyring")), keyring.WithPassword([]byte("example")))
	if err != nil {
		log.Fatal(err)
	}
	// Every secret of "sideseat" in one item: one keychain prompt, one read.
	e, err := vault.OpenSingleEntry(kr.Store(), "sideseat")
	if err != nil {
		log.Fatal(err)
	}
	v := vault.New(e)
	defer v.Close()
	for _, name := range []string{"openai_api_key", "anthropic_api_key"} {
		p, _ := vault.Global(name)
		_ = v.Set(ctx, p, secret.NewString("key for "+name))
	}
	list, _ := v.List(ctx, vault.GlobalScope)
	for _, m := range list {
		fmt.Println(m.Path)
	}
	fmt.Println(v.Info().Engine, v.Info().Location == filepath.Join(dir, "example.keyring")+", item app=sideseat")
	// Output:
	// global/anthropic_api_key
	// global/openai_api_key
	// single-entry true
}
