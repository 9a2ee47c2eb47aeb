package filekeyring

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

var _ secret.TimesStore = (*Keyring)(nil)

// TestTimes: a keyring's Created is its oldest item's (the file's birth
// time is only that of its last rewrite), Modified the file's mtime; both
// are the same for a second reader of the file (a restarted provider),
// survive a Lock, and Modified moves forward with every write, a clear
// included. A keyring never written has none; a file never unlocked
// reports what the file system knows.
func TestTimes(t *testing.T) {
	ctx := context.Background()
	now := int64(1_600_000_000)
	path := tempPath(t)
	k := mustOpen(t, path, "pw", withClock(func() int64 { return now }))
	if c, m, err := k.Times(ctx); err != nil || !c.IsZero() || !m.IsZero() {
		t.Fatalf("unwritten keyring: %v %v %v, want zero times", c, m, err)
	}
	if _, err := k.CreateItem(ctx, "old", secret.Attributes{"a": "1"}, secret.NewString("1"), true); err != nil {
		t.Fatal(err)
	}
	now += 100
	if _, err := k.CreateItem(ctx, "new", secret.Attributes{"a": "2"}, secret.NewString("2"), true); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	c1, m1, err := k.Times(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Unix() != 1_600_000_000 {
		t.Fatalf("Created %v, want the oldest item's (%v)", c1, time.Unix(1_600_000_000, 0))
	}
	if !m1.Equal(fi.ModTime()) {
		t.Fatalf("Modified %v, want the file's mtime %v", m1, fi.ModTime())
	}

	// Another reader of the file (the provider after a restart) agrees.
	k2 := mustOpen(t, path, "pw")
	if c, m, err := k2.Times(ctx); err != nil || !c.Equal(c1) || !m.Equal(m1) {
		t.Fatalf("second reader: %v %v %v, want %v %v", c, m, err, c1, m1)
	}
	// Locked, the times known when it was unlocked stay.
	if err := k2.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if c, m, err := k2.Times(ctx); err != nil || !c.Equal(c1) || !m.Equal(m1) {
		t.Fatalf("after Lock: %v %v %v, want %v %v", c, m, err, c1, m1)
	}

	// A write moves Modified forward, Created stays; so does a clear,
	// which libsecret's format leaves the header time of.
	if _, err := k.CreateItem(ctx, "third", secret.Attributes{"a": "3"}, secret.NewString("3"), true); err != nil {
		t.Fatal(err)
	}
	c2, m2, err := k.Times(ctx)
	if err != nil || !c2.Equal(c1) || !m2.After(m1) {
		t.Fatalf("after a write: %v %v %v; before %v %v", c2, m2, err, c1, m1)
	}
	if n, err := k.Delete(ctx, secret.Attributes{"a": "3"}); err != nil || n != 1 {
		t.Fatalf("Delete: %d, %v", n, err)
	}
	c3, m3, err := k.Times(ctx)
	if err != nil || !c3.Equal(c1) || !m3.After(m2) {
		t.Fatalf("after a clear: %v %v %v; before %v %v", c3, m3, err, c2, m2)
	}

	// Never unlocked: the file system's times, no later than the mtime.
	sc, sm, err := StatTimes(path)
	fi, _ = os.Stat(path)
	if err != nil || !sm.Equal(fi.ModTime()) || sc.After(sm) || sc.IsZero() {
		t.Fatalf("StatTimes: %v %v %v (mtime %v)", sc, sm, err, fi.ModTime())
	}
	if c, m, err := StatTimes(path + ".absent"); err != nil || !c.IsZero() || !m.IsZero() {
		t.Fatalf("StatTimes of no file: %v %v %v", c, m, err)
	}
}
