//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// collectionTimes reads a collection's Created and Modified over D-Bus.
func collectionTimes(t *testing.T, conn *dbus.Conn, id string) (created, modified uint64) {
	t.Helper()
	obj := conn.Object("org.freedesktop.secrets", dbus.ObjectPath("/org/freedesktop/secrets/collection/"+id))
	for name, dst := range map[string]*uint64{"Created": &created, "Modified": &modified} {
		v, err := obj.GetProperty("org.freedesktop.Secret.Collection." + name)
		if err != nil {
			t.Fatalf("%s of %s: %v", name, id, err)
		}
		u, ok := v.Value().(uint64)
		if !ok {
			t.Fatalf("%s of %s is %s, want t", name, id, v.Signature())
		}
		*dst = u
	}
	return created, modified
}

// TestServeCollectionTimes: a file collection's Created is its oldest
// item's and its Modified the file's mtime, not the daemon's run time: a
// restarted daemon serves the same values, and a write moves Modified
// forward and leaves Created. The memory session collection has the
// daemon's run time.
func TestServeCollectionTimes(t *testing.T) {
	b := testpeer.NewBus(t)
	ctx := context.Background()
	path := filepath.Join(b.DataHome(), "keyrings", "login.keyring")
	k, err := filekeyring.Open(ctx, path, []byte("times-pw"))
	if err != nil {
		t.Fatal(err)
	}
	born := time.Unix(1_600_000_000, 0)
	if _, _, err := k.Import(ctx, []filekeyring.Record{
		{Label: "old", Attributes: secret.Attributes{"t": "1"}, Secret: secret.NewString("1"), Created: born, Modified: born},
		{Label: "newer", Attributes: secret.Attributes{"t": "2"}, Secret: secret.NewString("2"), Created: born.Add(time.Hour), Modified: born.Add(time.Hour)},
	}, false); err != nil {
		t.Fatal(err)
	}
	k.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	d := startServe(t, b, "times-pw", nil)
	conn := b.Conn(t)
	c1, m1 := collectionTimes(t, conn, "login")
	if c1 != uint64(born.Unix()) || m1 != uint64(fi.ModTime().Unix()) {
		t.Fatalf("login Created %d Modified %d; want the oldest item's %d and the file's mtime %d\n%s",
			c1, m1, born.Unix(), fi.ModTime().Unix(), d.Log())
	}

	d.stop(t)
	restarted := time.Now().Unix()
	d = startServe(t, b, "times-pw", nil)
	if c, m := collectionTimes(t, conn, "login"); c != c1 || m != m1 {
		t.Fatalf("after a restart: Created %d Modified %d; before %d %d", c, m, c1, m1)
	}
	if c, m := collectionTimes(t, conn, "session"); c < uint64(restarted) || m < c {
		t.Fatalf("session Created %d Modified %d; want the daemon's run time (started at %d)", c, m, restarted)
	}

	// The properties are in seconds: let one pass, so that a write
	// cannot land in the second of the last one.
	time.Sleep(1100 * time.Millisecond)
	if r := stool(t, b.Env(), "3", "store", "--label=third", "t", "3"); r.code != 0 {
		t.Fatalf("store: %+v\n%s", r, d.Log())
	}
	c2, m2 := collectionTimes(t, conn, "login")
	if c2 != c1 || m2 <= m1 {
		t.Fatalf("after a write: Created %d Modified %d; before %d %d", c2, m2, c1, m1)
	}
	if fi, err := os.Stat(path); err != nil || m2 != uint64(fi.ModTime().Unix()) {
		t.Fatalf("Modified %d after a write, file mtime %v (%v)", m2, fi.ModTime().Unix(), err)
	}
}
