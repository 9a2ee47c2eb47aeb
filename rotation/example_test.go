package rotation_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/rotation"
	"github.com/moneypenny-go/keyring/rotation/filestore"
)

// A node that rotates and uses a group's keys: sign with Current, verify
// with Resolve of the version carried by the token. With PostgreSQL, the
// storage is pgstore.Open(ctx, os.Getenv("DATABASE_URL")) instead.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, _ := os.MkdirTemp("", "rotation-example-")
	defer os.RemoveAll(dir)
	kr, err := filekeyring.Open(ctx, filepath.Join(dir, "rotation.keyring"), []byte("file password"))
	if err != nil {
		log.Fatal(err)
	}
	defer kr.Close()
	store := filestore.New(kr)
	enc, err := rotation.NewLocalEncryptor(bytes.Repeat([]byte{0x42}, rotation.KEKSize)) // the cluster's KEK
	if err != nil {
		log.Fatal(err)
	}

	cfg := rotation.GroupConfig{Name: "payments-signing", Interval: 24 * time.Hour, PropagationDelay: time.Minute}
	if _, _, err := rotation.CreateGroup(ctx, store, enc, cfg); err != nil {
		log.Fatal(err)
	}
	node, err := (&rotation.Manager{Storage: store, Encryptor: enc, Group: cfg.Name}).Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	ring := node.Ring()

	// Sign: the token carries the version.
	k, err := ring.Current()
	if err != nil {
		log.Fatal(err)
	}
	mac := hmac.New(sha256.New, k.Bytes)
	mac.Write([]byte("order 66"))
	version, sig := k.Version, mac.Sum(nil)

	// Verify, on any node, possibly after later rotations.
	k, err = ring.Resolve(version)
	if errors.Is(err, rotation.ErrRetired) {
		log.Fatal("token signed with a retired key")
	}
	mac = hmac.New(sha256.New, k.Bytes)
	mac.Write([]byte("order 66"))
	fmt.Println("version", version, "valid:", hmac.Equal(sig, mac.Sum(nil)))

	cancel()
	node.Wait()
	// Output: version 1 valid: true
}

// The KEK from the user's keyring: EnsureKEK on the first node, then copy
// the item to the others (see LoadKEK for the schema).
func ExampleKeyringEncryptor() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "rotation-example-")
	defer os.RemoveAll(dir)
	kr, err := keyring.Open(ctx, keyring.WithBackend(keyring.File),
		keyring.WithPath(filepath.Join(dir, "login.keyring")), keyring.WithPassword([]byte("pw")))
	if err != nil {
		log.Fatal(err)
	}
	defer kr.Close()
	kek, created, err := rotation.EnsureKEK(ctx, kr.Store(), "default")
	if err != nil {
		log.Fatal(err)
	}
	clear(kek)
	enc, err := rotation.KeyringEncryptor(ctx, kr.Store(), "default")
	if err != nil {
		log.Fatal(err)
	}
	sealed, _ := enc.Seal(ctx, "payments-signing", 1, make([]byte, 32))
	fmt.Println("created:", created, "sealed bytes:", len(sealed))
	// Output: created: true sealed bytes: 61
}

// TestKEKInKeyring: EnsureKEK generates once and then returns the same
// key; LoadKEK of a missing name wraps ErrNotFound and of an item that is
// not 32 base64 bytes wraps ErrCorrupt.
func TestKEKInKeyring(t *testing.T) {
	ctx := context.Background()
	kr, err := keyring.Open(ctx, keyring.WithBackend(keyring.File),
		keyring.WithPath(filepath.Join(t.TempDir(), "k.keyring")), keyring.WithPassword([]byte("pw")))
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	a, created, err := rotation.EnsureKEK(ctx, kr.Store(), "c1")
	if err != nil || !created || len(a) != 32 {
		t.Fatalf("EnsureKEK: %d bytes, %v, %v", len(a), created, err)
	}
	b, created, err := rotation.EnsureKEK(ctx, kr.Store(), "c1")
	if err != nil || created || !bytes.Equal(a, b) {
		t.Fatalf("second EnsureKEK: same=%v created=%v %v", bytes.Equal(a, b), created, err)
	}
	if _, err := rotation.LoadKEK(ctx, kr.Store(), "c2"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("missing KEK: %v", err)
	}
	if _, err := kr.CreateItem(ctx, "bad", keyring.Attributes{"application": "moneypenny-rotation", "kek": "c3"},
		keyring.NewSecret([]byte("too short")), keyring.Replace); err != nil {
		t.Fatal(err)
	}
	if _, err := rotation.LoadKEK(ctx, kr.Store(), "c3"); !errors.Is(err, keyring.ErrCorrupt) {
		t.Errorf("malformed KEK: %v", err)
	}
}
