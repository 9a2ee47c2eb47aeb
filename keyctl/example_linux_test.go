//go:build linux

package keyctl_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/moneypenny-go/keyring/keyctl"
	"github.com/moneypenny-go/keyring/secret"
)

// Store a token in the kernel keyring, find it by attributes, and cache a
// derived key for a minute.
func Example() {
	ctx := context.Background()
	if err := keyctl.Probe(ctx); err != nil {
		log.Fatal(err) // wraps secret.ErrUnavailable, e.g. inside Flatpak
	}
	kr, err := keyctl.Open(ctx, keyctl.WithName("moneypenny-example"))
	if err != nil {
		log.Fatal(err)
	}
	defer kr.Close()
	fmt.Println("persistent:", kr.Info().Persistent)

	attrs := secret.Attributes{"service": "github.com", "username": "alice"}
	if _, err := kr.CreateItem(ctx, "GitHub token", attrs, secret.NewString("ghp_example"), true); err != nil {
		log.Fatal(err)
	}
	items, err := kr.SearchItems(ctx, secret.Attributes{"service": "github.com"})
	if err != nil || len(items) != 1 {
		log.Fatal(len(items), err)
	}
	v, err := items[0].Secret(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("found:", string(v.Bytes()))
	v.Wipe()
	n, _ := kr.Delete(ctx, attrs)
	fmt.Println("deleted:", n)

	cache := keyctl.NewKeyCache(keyctl.WithTimeout(time.Minute))
	_ = cache.StoreKey(ctx, "/path/to/file.keyring", []byte("32 bytes of derived key material"))
	key, ok := cache.Key(ctx, "/path/to/file.keyring")
	fmt.Println("cached:", ok, len(key))
	secret.Wipe(key)
	_ = cache.ForgetKey(ctx, "/path/to/file.keyring")

	// Output:
	// persistent: false
	// found: ghp_example
	// deleted: 1
	// cached: true 32
}
