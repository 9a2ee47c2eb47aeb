package filekeyring

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// swappedFile writes a keyring with items A and B whose encrypted blobs have
// been exchanged, as someone who can write the file but does not know the
// password could do: each blob still carries a valid MAC, only the hashed
// attributes beside it name the other item.
func swappedFile(t *testing.T) string {
	t.Helper()
	path := tempPath(t)
	k := mustOpen(t, path, "pw")
	ctx := context.Background()
	for _, n := range []string{"a", "b"} {
		if _, err := k.CreateItem(ctx, "item "+n, secret.Attributes{"service": n, "user": "u"}, secret.NewString("secret of "+n), true); err != nil {
			t.Fatal(err)
		}
	}
	k.Close()
	c, err := parse(mustRead(t, path))
	if err != nil {
		t.Fatal(err)
	}
	c.items[0].blob, c.items[1].blob = c.items[1].blob, c.items[0].blob
	if err := os.WriteFile(path, c.encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSwappedBlobsAreCorrupt: a blob moved to another item's slot is never
// returned for the slot's attributes, never matched or deleted by a query,
// never replaced in its place, and is counted and removed only by Repair.
func TestSwappedBlobsAreCorrupt(t *testing.T) {
	path := swappedFile(t)
	before := mustRead(t, path)
	ctx := context.Background()
	k := mustOpen(t, path, "pw")
	for _, n := range []string{"a", "b"} {
		if got := lookup(t, k, secret.Attributes{"service": n}); len(got) != 0 {
			t.Fatalf("lookup service=%s returned %q: a moved blob was handed out", n, got)
		}
	}
	if got := lookup(t, k, nil); len(got) != 0 {
		t.Fatalf("Items returned %q", got)
	}
	if n, err := k.Broken(ctx); n != 2 || err != nil {
		t.Fatalf("Broken = %d, %v, want 2", n, err)
	}
	broken, err := k.BrokenItems(ctx)
	if err != nil || len(broken) != 2 {
		t.Fatalf("BrokenItems = %v, %v", broken, err)
	}
	for _, b := range broken {
		if !errors.Is(b.Err, secret.ErrCorrupt) || len(b.AttributeNames) != 2 {
			t.Errorf("broken item %+v: want ErrCorrupt and the two attribute names", b)
		}
	}
	// clear must not act on the wrong item.
	if n, err := k.Delete(ctx, secret.Attributes{"service": "a"}); n != 0 || err != nil {
		t.Fatalf("Delete service=a = %d, %v; want 0", n, err)
	}
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Fatal("a Delete that matched only corrupt items rewrote the file")
	}
	// Replace adds a new A and leaves the corrupt slots alone.
	if _, err := k.CreateItem(ctx, "new a", secret.Attributes{"service": "a", "user": "u"}, secret.NewString("new a"), true); err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, k, secret.Attributes{"service": "a"}); len(got) != 1 || got[0] != "new a" {
		t.Fatalf("after replace, service=a = %q", got)
	}
	c, _ := parse(mustRead(t, path))
	if len(c.items) != 3 {
		t.Fatalf("%d items in the file after replace, want the 2 corrupt ones kept and 1 new", len(c.items))
	}
	if n, err := k.Repair(ctx); n != 2 || err != nil {
		t.Fatalf("Repair = %d, %v, want 2", n, err)
	}
	if got := lookup(t, k, nil); len(got) != 1 || got[0] != "new a" {
		t.Fatalf("after repair: %q", got)
	}
}

// TestSwappedBlobHandle: an item handle whose slot receives another item's
// blob (written by another process after the handle was taken) reads
// nothing from it and does not delete it.
func TestSwappedBlobHandle(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	k := mustOpen(t, path, "pw")
	a, err := k.CreateItem(ctx, "a", secret.Attributes{"service": "a"}, secret.NewString("secret of a"), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateItem(ctx, "b", secret.Attributes{"service": "b"}, secret.NewString("secret of b"), true); err != nil {
		t.Fatal(err)
	}
	c, _ := parse(mustRead(t, path))
	c.items[0].hashed, c.items[1].hashed = c.items[1].hashed, c.items[0].hashed
	if err := os.WriteFile(path, c.encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	// The blobs stayed, the hashed attributes moved: a's handle follows its
	// blob, which now sits under b's hashes.
	if v, err := a.Secret(ctx); err == nil {
		t.Fatalf("Secret of a moved item = %q, want an error", v.Bytes())
	} else if !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("Secret: %v, want ErrCorrupt", err)
	}
	if err := a.Delete(ctx); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("Delete of a corrupt item: %v, want ErrCorrupt (only Repair removes it)", err)
	}
	if n, _ := k.Broken(ctx); n != 2 {
		t.Fatalf("Broken = %d, want 2", n)
	}
}

// TestAllItemsCorruptIsNotAWrongPassword: a file whose every item was
// tampered with opens with the right password; the items are reported as
// corrupt, not the password as wrong.
func TestAllItemsCorruptIsNotAWrongPassword(t *testing.T) {
	path := swappedFile(t)
	k, err := Open(context.Background(), path, []byte("pw"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer k.Close()
	if n, _ := k.Broken(context.Background()); n != 2 {
		t.Fatalf("Broken = %d", n)
	}
	if _, err := Open(context.Background(), path, []byte("wrong")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("a wrong password: %v", err)
	}
}

// TestReadFileAllItemsCorrupt: ReadFile (migrate --from-file) reports a file
// whose items were all tampered with as corrupt, not as a wrong password, and
// still refuses a wrong password.
func TestReadFileAllItemsCorrupt(t *testing.T) {
	path := swappedFile(t)
	recs, err := ReadFile(path, []byte("pw"))
	if !errors.Is(err, secret.ErrCorrupt) || errors.Is(err, secret.ErrWrongPassword) || len(recs) != 0 {
		t.Fatalf("ReadFile = %d records, %v; want ErrCorrupt", len(recs), err)
	}
	if _, err := ReadFile(path, []byte("wrong")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("a wrong password: %v", err)
	}
}

// TestLibsecretItemsAreConsistent: everything libsecret's secret-tool
// writes passes the attribute check, whatever the attributes.
func TestLibsecretItemsAreConsistent(t *testing.T) {
	path := tempPath(t)
	sets := [][]string{
		{"service", "s1", "username", "ü"},
		{"xdg:schema", "org.example.Password", "a", "", "b", "x y z", "c", "long " + string(bytes.Repeat([]byte("v"), 500))},
		{"only", "one"},
	}
	for i, s := range sets {
		args := append([]string{"store", "--label=l"}, s...)
		if _, err := secretTool(t, path, "interop", []byte{byte('0' + i)}, args...); err != nil {
			t.Fatal(err)
		}
	}
	k := mustOpen(t, path, "interop")
	if n, err := k.Broken(context.Background()); n != 0 || err != nil {
		t.Fatalf("Broken = %d, %v: libsecret's items failed the check", n, err)
	}
	if got := lookup(t, k, nil); len(got) != len(sets) {
		t.Fatalf("%d items, want %d", len(got), len(sets))
	}
	if got := lookup(t, k, secret.Attributes{"a": ""}); len(got) != 1 || got[0] != "1" {
		t.Fatalf("lookup a='' = %q", got)
	}
}

// TestFixturesAreConsistent: the files libsecret and oo7 wrote pass the
// attribute check item by item.
func TestFixturesAreConsistent(t *testing.T) {
	cases := []struct{ path, pw string }{
		{"../testdata/filekeyring/libsecret-v1.keyring", "moneypenny-v1"},
		{"libsecret/default.keyring", "password"},
		{"oo7/client/default.keyring", "test"},
		{"generated/libsecret-file-v1.keyring", "fixture-pw-1"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			path := c.path
			if !strings.HasPrefix(path, "../") {
				path = testpeer.Fixture(t, path)
			}
			k := mustOpen(t, copyFile(t, path), c.pw)
			if n, err := k.Broken(context.Background()); n != 0 || err != nil {
				t.Fatalf("Broken = %d, %v", n, err)
			}
			if got := lookup(t, k, nil); len(got) == 0 {
				t.Fatal("no items")
			}
		})
	}
}
