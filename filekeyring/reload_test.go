package filekeyring

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// bulkVersions writes an n-item keyring and returns it with a second
// version of the same file in which every item's secret changed, as a bulk
// change by another process leaves it: every blob is new, every attribute
// set the same.
func bulkVersions(t testing.TB, n int) (path string, before, after []byte) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "bulk.keyring")
	k, err := Open(ctx, path, []byte("bulk"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	recs := benchRecords(n)
	if _, _, err := k.Import(ctx, recs, false); err != nil {
		t.Fatal(err)
	}
	if before, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	c := k.c.clone()
	for i, s := range c.items {
		d := &decrypted{attrs: recs[i].Attributes, label: recs[i].Label, secret: []byte("changed-" + strconv.Itoa(i))}
		if c.items[i], err = encryptHashed(k.key, d, s.hashed); err != nil {
			t.Fatal(err)
		}
	}
	return path, before, c.encode()
}

// replaceFile installs data at path the way every writer does: a new
// file renamed over the old one.
func replaceFile(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".next"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestReloadBulkChangeIsLinear reloads a file in which every item changed
// and checks that matching the new items to the old ones (to keep their
// IDs) looks at a bounded number of attribute sets per item: comparing
// every changed item with every old one made a 16,000-item reload take
// 3.5 s with the lock held.
func TestReloadBulkChangeIsLinear(t *testing.T) {
	for _, n := range []int{2000, 16000} {
		if testing.Short() && n > 2000 {
			continue
		}
		path, before, after := bulkVersions(t, n)
		replaceFile(t, path, before)
		k := mustOpen(t, path, "bulk")
		old := k.c
		ids := map[string]string{} // service attribute hash -> ID
		for _, s := range old.items {
			ids[string(s.hashed[0].Value)] = s.id
		}
		c, err := parse(after)
		if err != nil {
			t.Fatal(err)
		}
		work := k.carryIDs(old, c)
		if limit := 2 * (len(old.items) + len(c.items)); work > limit {
			t.Errorf("%d items: matching changed items to old ones took %d steps, want at most %d (linear)", n, work, limit)
		}
		for _, s := range c.items {
			if s.id == "" || s.id != ids[string(s.hashed[0].Value)] {
				t.Fatalf("%d items: a changed item did not keep its ID", n)
			}
		}
	}
}

// BenchmarkReloadBulkChange is the reload another process's bulk change
// costs an open keyring, lock held: read, parse, carry the IDs over,
// notify. Linear: 16k should cost about 8 times 2k.
func BenchmarkReloadBulkChange(b *testing.B) {
	for _, n := range []int{2000, 16000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			path, before, after := bulkVersions(b, n)
			replaceFile(b, path, before)
			k := mustOpen(b, path, "bulk")
			ctx := context.Background()
			versions := [][]byte{after, before}
			i := 0
			for b.Loop() {
				b.StopTimer()
				replaceFile(b, path, versions[i%2])
				i++
				b.StartTimer()
				k.mu.Lock()
				err := k.refresh(ctx)
				k.mu.Unlock()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
