package darwin_test

import (
	"context"
	"fmt"
	"log"

	"github.com/moneypenny-go/keyring/darwin"
	"github.com/moneypenny-go/keyring/secret"
)

func Example() {
	ctx := context.Background()
	kr, err := darwin.Open(ctx)
	if err != nil {
		log.Fatal(err) // wraps secret.ErrUnavailable off macOS
	}
	defer kr.Close()

	// service -> kSecAttrService, username -> kSecAttrAccount: go-keyring
	// and `security find-generic-password -s github.com -a alice` see it too.
	attrs := secret.Attributes{"service": "github.com", "username": "alice"}
	if _, err := kr.CreateItem(ctx, "GitHub token", attrs, secret.NewString("ghp_..."), true); err != nil {
		log.Fatal(err)
	}
	items, err := kr.SearchItems(ctx, secret.Attributes{"service": "github.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(items), "item(s)")
}
