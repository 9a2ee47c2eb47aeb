package filekeyring

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

// bigKeyring writes an n-item keyring in one Import and returns it, open;
// it is closed when the benchmark ends.
func bigKeyring(b *testing.B, n int) *Keyring {
	b.Helper()
	k, err := Open(context.Background(), tempPath(b), []byte("bench"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Close() })
	if _, _, err := k.Import(context.Background(), benchRecords(n), false); err != nil {
		b.Fatal(err)
	}
	return k
}

func benchRecords(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		s := strconv.Itoa(i)
		recs[i] = Record{
			Label:      "Password for user" + s + " on service" + s,
			Attributes: secret.Attributes{"service": "service" + s, "username": "user" + s},
			Secret:     secret.NewString("secret-value-" + s),
		}
	}
	return recs
}

// BenchmarkKDF is the cost of the key derivation alone (libsecret's
// 100,000 PBKDF2-SHA256 rounds): the floor for BenchmarkUnlock.
func BenchmarkKDF(b *testing.B) {
	salt := make([]byte, saltSize)
	for b.Loop() {
		secret.Wipe(deriveKey([]byte("bench"), salt, defaultIterations))
	}
}

// BenchmarkUnlock opens a 1,000-item keyring: read, parse, derive, verify.
// Compare with BenchmarkKDF (target ≤ 1.2×).
func BenchmarkUnlock(b *testing.B) {
	path := bigKeyring(b, 1000).Path()
	for b.Loop() {
		k, err := Open(context.Background(), path, []byte("bench"))
		if err != nil {
			b.Fatal(err)
		}
		k.Close()
	}
}

// BenchmarkLookup10k searches an unlocked 10,000-item keyring for one item
// and decrypts its secret (target ≤ 200 µs).
func BenchmarkLookup10k(b *testing.B) {
	k := bigKeyring(b, 10000)
	ctx := context.Background()
	q := secret.Attributes{"service": "service7777", "username": "user7777"}
	for b.Loop() {
		items, err := k.SearchItems(ctx, q)
		if err != nil || len(items) != 1 {
			b.Fatalf("%d items, %v", len(items), err)
		}
		v, err := items[0].Secret(ctx)
		if err != nil {
			b.Fatal(err)
		}
		v.Wipe()
	}
}

// BenchmarkStore10k replaces one item in a 10,000-item keyring: a full,
// synced rewrite of the file each time.
func BenchmarkStore10k(b *testing.B) {
	k := bigKeyring(b, 10000)
	ctx := context.Background()
	attrs := secret.Attributes{"service": "service42", "username": "user42"}
	for b.Loop() {
		if _, err := k.CreateItem(ctx, "x", attrs, secret.NewString("new value"), true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImport10k writes 10,000 items in one write (target ≤ 1 s).
func BenchmarkImport10k(b *testing.B) {
	recs := benchRecords(10000)
	for b.Loop() {
		b.StopTimer()
		path := tempPath(b)
		k, err := Open(context.Background(), path, []byte("bench"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, _, err := k.Import(context.Background(), recs, false); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		k.Close()
		b.StartTimer()
	}
}

// BenchmarkMemory10k reports the heap an open 10,000-item keyring holds,
// as a multiple of the file's size (target ≤ 3).
func BenchmarkMemory10k(b *testing.B) {
	path := bigKeyring(b, 10000).Path()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var ratio float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		k, err := Open(context.Background(), path, []byte("bench"))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		ratio = float64(after.HeapAlloc-before.HeapAlloc) / float64(fi.Size())
		runtime.KeepAlive(k)
		k.Close()
	}
	b.ReportMetric(ratio, "x-file-size")
	b.ReportMetric(float64(fi.Size()), "file-bytes")
}
