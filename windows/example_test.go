package windows_test

import (
	"context"
	"fmt"
	"log"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/windows"
)

func Example() {
	ctx := context.Background()
	kr, err := windows.Open(ctx)
	if err != nil {
		log.Fatal(err) // wraps secret.ErrUnavailable off Windows
	}
	defer kr.Close()

	attrs := secret.Attributes{"service": "github.com", "username": "alice"}
	// Stored at target "moneypenny:service=github.com&username=alice".
	if _, err := kr.CreateItem(ctx, "GitHub token", attrs, secret.NewString("ghp_..."), true); err != nil {
		log.Fatal(err)
	}
	items, err := kr.SearchItems(ctx, secret.Attributes{"service": "github.com"})
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range items {
		v, err := it.Secret(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(it.ID(), v.Len(), "bytes")
		v.Wipe()
	}
}
