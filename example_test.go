package keyring_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/moneypenny-go/keyring"
)

// A password-protected file keyring, in libsecret's format, chosen
// explicitly. On a desktop, keyring.Open(ctx) alone picks the Secret Service,
// the sandbox's portal-keyed file, the Keychain or the Credential Manager.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "moneypenny-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	kr, err := keyring.Open(ctx,
		keyring.WithBackend(keyring.File),
		keyring.WithPath(filepath.Join(dir, "example.keyring")),
		keyring.WithPassword([]byte("correct horse battery staple")))
	if err != nil {
		log.Fatal(err)
	}
	defer kr.Close()

	attrs := keyring.Attributes{"service": "github.com", "username": "alice"}
	if _, err := kr.CreateItem(ctx, "GitHub token", attrs, keyring.NewSecret([]byte("ghp_example")), keyring.Replace); err != nil {
		log.Fatal(err)
	}
	s, err := kr.Lookup(ctx, keyring.Attributes{"service": "github.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Wipe()
	fmt.Println(s)                 // a Secret never prints its bytes
	fmt.Println(string(s.Bytes())) // unless asked to
	fmt.Println(kr.Backend().Name)
	// Output:
	// [REDACTED]
	// ghp_example
	// file
}

// The go-keyring and python-keyring style helpers use the attributes
// "service" and "username", so secrets those libraries stored are found.
func ExampleKeyring_SetPassword() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "moneypenny-example-")
	defer os.RemoveAll(dir)
	kr, err := keyring.Open(ctx, keyring.WithBackend(keyring.File),
		keyring.WithPath(filepath.Join(dir, "k.keyring")), keyring.WithPassword([]byte("pw")))
	if err != nil {
		log.Fatal(err)
	}
	defer kr.Close()

	_ = kr.SetPassword(ctx, "smtp.example.org", "bob", []byte("first"))
	_ = kr.SetPassword(ctx, "smtp.example.org", "bob", []byte("second")) // updates, no duplicate
	s, _ := kr.GetPassword(ctx, "smtp.example.org", "bob")
	items, _ := kr.SearchItems(ctx, keyring.Attributes{"service": "smtp.example.org"})
	label, _ := items[0].Label(ctx)
	fmt.Println(string(s.Bytes()), len(items), label)
	// Output: second 1 Password for 'bob' on 'smtp.example.org'
}
