//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// TestServeNeverOverwritesUnreadable: a login.keyring that does not parse
// makes the daemon exit with an error and stays as it was; another
// collection's file that does not parse is served locked, and a client's
// Unlock and CreateItem on it fail without writing it.
func TestServeNeverOverwritesUnreadable(t *testing.T) {
	b := testpeer.NewBus(t)
	ctx := context.Background()
	dir := filepath.Join(b.DataHome(), "keyrings")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	garbage := append([]byte("GnomeKeyring\n\r\x00\n\x01\x00"), bytes.Repeat([]byte{0xa5}, 300)...)
	login := filepath.Join(dir, "login.keyring")
	if err := os.WriteFile(login, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, b.Env("MONEYPENNY_PASSWORD=pw"), "", moneypennyBin, "serve", "--prompter=none")
	if r.code == 0 {
		t.Fatalf("serve on a corrupt login.keyring: %+v", r)
	}
	if data, _ := os.ReadFile(login); !bytes.Equal(data, garbage) {
		t.Fatal("the corrupt login.keyring was changed")
	}

	// A good login, a corrupt other.
	if err := os.Remove(login); err != nil {
		t.Fatal(err)
	}
	k, err := filekeyring.Open(ctx, login, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateItem(ctx, "l", secret.Attributes{"l": "1"}, secret.NewString("l"), true); err != nil {
		t.Fatal(err)
	}
	k.Close()
	other := filepath.Join(dir, "other.keyring")
	if err := os.WriteFile(other, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	b.StartPrompter(t, testpeer.AcceptPrompts("pw"))
	d := startServe(t, b, "pw", nil)
	c, err := dbusservice.OpenCollection(ctx, "/org/freedesktop/secrets/collection/other", dbusservice.WithAddress(b.Address))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if locked, _ := c.IsLocked(ctx); !locked {
		t.Fatal("a corrupt collection is served unlocked")
	}
	if err := c.Unlock(ctx); err == nil {
		t.Fatal("a corrupt collection unlocked")
	}
	if _, err := c.CreateItem(ctx, "x", secret.Attributes{"x": "1"}, secret.NewString("x"), true); err == nil {
		t.Fatal("CreateItem into a corrupt collection succeeded")
	}
	if data, _ := os.ReadFile(other); !bytes.Equal(data, garbage) {
		t.Fatalf("the corrupt other.keyring was changed\n%s", d.Log())
	}
	if r := stool(t, b.Env(), "", "lookup", "l", "1"); r.stdout != "l" {
		t.Fatalf("login beside a corrupt collection: %+v", r)
	}
}
