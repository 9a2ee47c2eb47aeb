//go:build linux

package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// TestServeSearchNeverUnlocked pins a limit of the libsecret file format:
// its attribute values are HMACs keyed by the password, so a collection
// not unlocked since the daemon started matches nothing, and SearchItems
// lists none of its items, in the locked list either (oo7-daemon does the
// same; gnome-keyring's own format hashes without a key and can). A
// libsecret lookup then finds nothing and shows no prompt. Once unlocked
// the item is found; locked again, it is listed as locked from what was
// noted when it was locked.
func TestServeSearchNeverUnlocked(t *testing.T) {
	b := testpeer.NewBus(t)
	ctx := context.Background()
	seedLogin(t, b, "never-pw", "n", secret.Attributes{"never": "1"}, "behind the lock")
	p := b.StartPrompter(t, testpeer.AcceptPrompts("never-pw"))
	d := startServe(t, b, "", nil)
	conn := b.Conn(t)
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	search := func() (unlocked, locked []dbus.ObjectPath) {
		t.Helper()
		if err := svc.Call("org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"never": "1"}).Store(&unlocked, &locked); err != nil {
			t.Fatalf("SearchItems: %v\n%s", err, d.Log())
		}
		return unlocked, locked
	}
	if u, l := search(); len(u) != 0 || len(l) != 0 {
		t.Fatalf("never unlocked: SearchItems = %v, %v; the format cannot match without the key", u, l)
	}
	var items []dbus.ObjectPath
	v, err := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets/collection/login").GetProperty("org.freedesktop.Secret.Collection.Items")
	if err != nil || v.Store(&items) != nil || len(items) != 0 {
		t.Fatalf("Items of a never unlocked collection = %v, %v", v, err)
	}
	if r := stool(t, b.Env(), "", "lookup", "never", "1"); r.code != 1 || r.stdout != "" {
		t.Fatalf("secret-tool lookup before any unlock: %+v", r)
	}
	if n := len(p.Prompts()); n != 0 {
		t.Fatalf("%d prompts before any unlock, want none", n)
	}

	c, err := dbusservice.OpenCollection(ctx, "login", dbusservice.WithAddress(b.Address))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Unlock(ctx); err != nil {
		t.Fatalf("Unlock: %v\n%s", err, d.Log())
	}
	u, l := search()
	if len(u) != 1 || len(l) != 0 {
		t.Fatalf("unlocked: SearchItems = %v, %v; want the item unlocked", u, l)
	}
	if err := c.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if u2, l2 := search(); len(u2) != 0 || !slices.Equal(l2, u) {
		t.Fatalf("locked again: SearchItems = %v, %v; want %v in the locked list", u2, l2, u)
	}
	// And so libsecret's lookup unlocks it through the prompter.
	if r := stool(t, b.Env(), "", "lookup", "never", "1"); r.stdout != "behind the lock" {
		t.Fatalf("secret-tool lookup of a locked item: %+v\n%s", r, d.Log())
	}
	if n := len(p.Prompts()); n != 2 {
		t.Fatalf("%d prompts, want 2 (our Unlock, then secret-tool's)", n)
	}
}

// TestServeExitsWithTheBus: when the session bus goes away (the session
// ended), the daemon exits and says why, instead of running on unreachable
// (and, with D-Bus activation, piling up one orphan per session).
func TestServeExitsWithTheBus(t *testing.T) {
	b := testpeer.NewBus(t)
	d := startServe(t, b, "", []string{"--ephemeral"})
	conn := b.Conn(t)
	var busPID uint32
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.freedesktop.DBus").Store(&busPID); err != nil {
		t.Fatalf("the bus's pid: %v", err)
	}
	// This test's own dbus-daemon, started by testpeer.NewBus above.
	if err := syscall.Kill(int(busPID), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the daemon still runs 20s after its bus went away\n%s", d.Log())
	}
	if !strings.Contains(d.Log(), "the session bus closed the connection; exiting") {
		t.Fatalf("log: %s", d.Log())
	}
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d, want 0 (the session ended)", code)
	}
}

// TestServeStoreIntoLocked: secret-tool store into a locked collection
// gets IsLocked from CreateItem, unlocks through the prompter (as
// libsecret does on that error) and stores: the item is in the file.
func TestServeStoreIntoLocked(t *testing.T) {
	b := testpeer.NewBus(t)
	ctx := context.Background()
	path := filepath.Join(b.DataHome(), "keyrings", "login.keyring")
	k, err := filekeyring.Open(ctx, path, []byte("store-pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateItem(ctx, "first", secret.Attributes{"first": "1"}, secret.NewString("1"), true); err != nil {
		t.Fatal(err)
	}
	k.Close()
	p := b.StartPrompter(t, testpeer.AcceptPrompts("store-pw"))
	d := startServe(t, b, "", nil)
	if r := stool(t, b.Env(), "into the locked one", "store", "--label=S", "stored", "locked"); r.code != 0 {
		t.Fatalf("store into a locked collection: %+v\n%s", r, d.Log())
	}
	if n := len(p.Prompts()); n != 1 {
		t.Fatalf("%d prompts, want 1 (the unlock)", n)
	}
	recs, err := filekeyring.ReadFile(path, []byte("store-pw"))
	if err != nil || len(recs) != 2 {
		t.Fatalf("the file has %d items (%v), want 2", len(recs), err)
	}
}
