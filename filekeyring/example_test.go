package filekeyring_test

import (
	"context"
	"errors"
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

// A keyring the user made read-only is read as usual and never rewritten.
func ExampleKeyring_readOnlyFile() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	path := filepath.Join(dir, "default.keyring")

	k, _ := filekeyring.Open(ctx, path, []byte("correct horse"))
	defer k.Close()
	k.CreateItem(ctx, "token", secret.Attributes{"service": "a"}, secret.NewString("one"), true)

	os.Chmod(path, 0o444)
	_, err := k.CreateItem(ctx, "token", secret.Attributes{"service": "b"}, secret.NewString("two"), true)
	fi, _ := os.Stat(path)
	fmt.Println(errors.Is(err, secret.ErrReadOnly), fi.Mode().Perm())
	// Output: true -r--r--r--
}

// Items that cannot be read are listed before Repair removes them.
func ExampleKeyring_BrokenItems() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	k, _ := filekeyring.Open(ctx, filepath.Join(dir, "default.keyring"), []byte("correct horse"))
	defer k.Close()

	broken, _ := k.BrokenItems(ctx)
	for _, b := range broken {
		fmt.Println(b) // item 3 (attributes [service username]): ...
	}
	if len(broken) > 0 {
		n, _ := k.Repair(ctx)
		fmt.Println("removed", n)
	}
	fmt.Println(len(broken), "unreadable items")
	// Output: 0 unreadable items
}
