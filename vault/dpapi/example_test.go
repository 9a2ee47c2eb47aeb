package dpapi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/dpapi"
)

// A service-account key too large for the Credential Manager goes to a
// DPAPI-sealed file.
func ExampleOpen() {
	ctx := context.Background()
	e, err := dpapi.Open(dpapi.DefaultDir(nil))
	if errors.Is(err, secret.ErrNotSupported) {
		fmt.Println("not on Windows")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	v := vault.New(e, vault.WithMaxValueSize(4<<20))
	defer v.Close()
	key, err := os.ReadFile("service-account.json")
	if err != nil {
		log.Fatal(err)
	}
	if err := v.Set(ctx, vault.MustParsePath("project/p1/gcp_service_account"), secret.New(key), vault.WithProvider("gcp")); err != nil {
		log.Fatal(err)
	}
}
