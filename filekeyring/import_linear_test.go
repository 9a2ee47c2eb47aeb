package filekeyring

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

// importAllocPerItem imports n records with replace into a keyring that
// already holds the same n attribute sets, and returns the bytes allocated
// per record.
func importAllocPerItem(t *testing.T, n int) float64 {
	t.Helper()
	k := mustOpen(t, tempPath(t), "pw")
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Label: "l", Attributes: secret.Attributes{"service": "s", "n": fmt.Sprint(i)}, Secret: secret.New([]byte("v"))}
	}
	ctx := context.Background()
	if _, _, err := k.Import(ctx, recs, false); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	added, replaced, err := k.Import(ctx, recs, true)
	runtime.ReadMemStats(&after)
	if err != nil || added != 0 || replaced != n {
		t.Fatalf("Import = %d added, %d replaced, %v; want 0, %d", added, replaced, err, n)
	}
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
}

// TestImportReplaceIsLinear: importing with replace used to scan and copy
// the whole item list once per record (16,000 items: 29 s). The bytes it
// allocates per record must not grow with the keyring's size; that is
// measured in allocations, not time, so a loaded machine cannot fail it.
func TestImportReplaceIsLinear(t *testing.T) {
	small, large := importAllocPerItem(t, 1000), importAllocPerItem(t, 4000)
	t.Logf("bytes allocated per replaced record: %.0f at 1,000 items, %.0f at 4,000", small, large)
	if large > 1.5*small {
		t.Fatalf("a replacing import allocates %.0f bytes per record at 4,000 items against %.0f at 1,000: not linear", large, small)
	}
}

// BenchmarkSecretOfEveryItem reads every item's secret through its handle:
// a lookup by ID per item, linear in all.
func BenchmarkSecretOfEveryItem(b *testing.B) {
	k := mustOpen(b, tempPath(b), "pw")
	const n = 4000
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Label: "l", Attributes: secret.Attributes{"n": fmt.Sprint(i)}, Secret: secret.New([]byte("v"))}
	}
	ctx := context.Background()
	if _, _, err := k.Import(ctx, recs, false); err != nil {
		b.Fatal(err)
	}
	items, err := k.Items(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		for _, it := range items {
			v, err := it.Secret(ctx)
			if err != nil {
				b.Fatal(err)
			}
			v.Wipe()
		}
	}
}
