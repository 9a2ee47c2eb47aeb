package vault

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/secret"
)

func fileStore(t testing.TB, path string) secret.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kr, err := keyring.Open(ctx, keyring.WithEnv(func(string) string { return "" }), keyring.WithBackend(keyring.File),
		keyring.WithPath(path), keyring.WithPassword([]byte("pw")))
	if err != nil {
		t.Fatal(err)
	}
	return kr.Store()
}

// TestSingleEntryServesFromMemory: after the first load, Get, Exists and
// List make no backend read; a write re-reads once (to keep other
// processes' changes) and writes once.
func TestSingleEntryServesFromMemory(t *testing.T) {
	ctx := context.Background()
	e, err := OpenSingleEntry(fileStore(t, filepath.Join(t.TempDir(), "k.keyring")), "app")
	if err != nil {
		t.Fatal(err)
	}
	v := New(e)
	defer v.Close()
	p := MustParsePath("global/k")
	if err := v.Set(ctx, p, secret.NewString("value")); err != nil {
		t.Fatal(err)
	}
	before := e.loads
	for i := 0; i < 100; i++ {
		if _, err := v.Get(ctx, p); err != nil {
			t.Fatal(err)
		}
		if ok, _ := v.Exists(ctx, p); !ok {
			t.Fatal("Exists")
		}
	}
	if _, err := v.List(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if e.loads != before {
		t.Fatalf("%d backend reads for 200 lookups after the first load, want 0", e.loads-before)
	}
}

// TestSingleEntryKeepsOtherWriters: two engines (two processes) on one
// keyring file; each write re-reads the entry, so neither loses the
// other's secret.
func TestSingleEntryKeepsOtherWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.keyring")
	a, _ := OpenSingleEntry(fileStore(t, path), "app")
	b, _ := OpenSingleEntry(fileStore(t, path), "app")
	va, vb := New(a), New(b)
	defer va.Close()
	defer vb.Close()
	if err := va.Set(ctx, MustParsePath("global/a"), secret.NewString("A")); err != nil {
		t.Fatal(err)
	}
	if _, err := vb.List(ctx, ""); err != nil { // b loads now: sees a
		t.Fatal(err)
	}
	if err := vb.Set(ctx, MustParsePath("global/b"), secret.NewString("B")); err != nil {
		t.Fatal(err)
	}
	if err := va.Set(ctx, MustParsePath("global/c"), secret.NewString("C")); err != nil {
		t.Fatal(err)
	}
	if err := vb.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, v := range []*Vault{va, vb} {
		ms, _ := v.List(ctx, "")
		if len(ms) != 3 {
			t.Fatalf("list = %v, want a, b and c", ms)
		}
	}
}

// Reload is reachable from a Vault for tests.
func (v *Vault) Reload(ctx context.Context) error { return v.engine.(*SingleEntry).Reload(ctx) }

// TestSingleEntryTooLargeChangesNothing: an entry over the backend's limit
// (the Credential Manager's 200 KiB in production, a small one here) fails
// with ErrTooLarge, names the limit, and leaves memory and store as they
// were.
func TestSingleEntryTooLargeChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.keyring")
	e, _ := OpenSingleEntry(fileStore(t, path), "app")
	e.maxSize = 4096
	v := New(e)
	defer v.Close()
	if err := v.Set(ctx, MustParsePath("global/small"), secret.NewString("s")); err != nil {
		t.Fatal(err)
	}
	err := v.Set(ctx, MustParsePath("global/big"), secret.New(make([]byte, 4000)))
	if !errors.Is(err, secret.ErrTooLarge) || !strings.Contains(err.Error(), "4096") || !strings.Contains(err.Error(), "keyring engine") {
		t.Fatalf("oversized entry = %v", err)
	}
	ms, _ := v.List(ctx, "")
	if len(ms) != 1 {
		t.Fatalf("memory changed: %v", ms)
	}
	fresh, _ := OpenSingleEntry(fileStore(t, path), "app")
	ms, _ = New(fresh).List(ctx, "")
	if len(ms) != 1 {
		t.Fatalf("store changed: %v", ms)
	}
	if max := windowsEntryLimit(); max != 200*1024 {
		t.Fatalf("Credential Manager entry limit = %d", max)
	}
}

// TestSingleEntryCorruptIsNeverOverwritten: an item in the entry's schema
// whose secret is not a vault entry is ErrCorrupt for reads and writes,
// and a write leaves it as it was.
func TestSingleEntryCorruptIsNeverOverwritten(t *testing.T) {
	ctx := context.Background()
	st := fileStore(t, filepath.Join(t.TempDir(), "k.keyring"))
	attrs := secret.Attributes{attrSchema: SingleEntrySchema, attrApp: "app"}
	if _, err := st.CreateItem(ctx, "foreign", attrs, secret.NewString(`{"not": "ours", "secret": "hunter2"}`), true); err != nil {
		t.Fatal(err)
	}
	e, _ := OpenSingleEntry(st, "app")
	v := New(e)
	if _, err := v.Get(ctx, MustParsePath("global/x")); !errors.Is(err, secret.ErrUnsupportedFormat) {
		t.Fatalf("Get from a foreign entry = %v", err)
	}
	err := v.Set(ctx, MustParsePath("global/x"), secret.NewString("x"))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Set over a foreign entry = %v", err)
	}
	items, _ := st.SearchItems(ctx, attrs)
	got, _ := items[0].Secret(ctx)
	if !strings.Contains(string(got.Bytes()), "hunter2") {
		t.Fatal("the foreign entry was overwritten")
	}
	if _, err := st.CreateItem(ctx, "broken", attrs, secret.NewString(`{"format":"moneypenny-vault/1","secrets":[{"path":"x"`), true); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(ctx); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("Reload of a truncated entry = %v, want ErrCorrupt", err)
	}
}
