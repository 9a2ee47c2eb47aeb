package filekeyring

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

// TestRewriteInPlace: every write after the first replaces the file the
// keyring wrote before. On Windows that failed with "Sharing violation"
// while the temporary file was still open at the rename. It avoids
// t.TempDir, whose cleanup fails under Wine (os.RemoveAll), so that
// scripts/test.sh can run it there.
func TestRewriteInPlace(t *testing.T) {
	dir, err := os.MkdirTemp("", "filekeyring-rewrite")
	if err != nil {
		t.Fatal(err)
	}
	defer removeFlat(t, dir)
	path := filepath.Join(dir, "default.keyring")
	ctx := context.Background()
	k, err := Open(ctx, path, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"1", "2", "3"} {
		if _, err := k.CreateItem(ctx, "l", secret.Attributes{"n": n}, secret.New([]byte("v"+n)), true); err != nil {
			t.Fatalf("write %s: %v", n, err)
		}
	}
	if _, err := k.Delete(ctx, secret.Attributes{"n": "2"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	k.Close()
	k, err = Open(ctx, path, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	items, err := k.SearchItems(ctx, nil)
	if err != nil || len(items) != 2 {
		t.Fatalf("after reopening: %d items, %v; want 2", len(items), err)
	}
}

// removeFlat removes dir and the files in it one by one.
func removeFlat(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	if err := os.Remove(dir); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}
