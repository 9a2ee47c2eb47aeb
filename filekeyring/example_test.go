package filekeyring_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/secret"
)

func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	k, err := filekeyring.Open(ctx, filepath.Join(dir, "default.keyring"), []byte("correct horse"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Close()

	attrs := secret.Attributes{"service": "github.com", "username": "alice"}
	if _, err := k.CreateItem(ctx, "GitHub token", attrs, secret.NewString("ghp_example"), true); err != nil {
		fmt.Println(err)
		return
	}
	items, _ := k.SearchItems(ctx, secret.Attributes{"service": "github.com"})
	v, _ := items[0].Secret(ctx)
	defer v.Wipe()
	fmt.Printf("%d item, secret %s, printed as %v\n", len(items), v.Bytes(), v)
	// Output: 1 item, secret ghp_example, printed as [REDACTED]
}
