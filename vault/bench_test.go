package vault_test

import (
	"path/filepath"
	"testing"

	"github.com/moneypenny-go/keyring/internal/vaulttest"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// BenchmarkSingleEntryGet: after the first load a Get is served from
// memory (TestSingleEntryServesFromMemory counts the backend reads: none).
func BenchmarkSingleEntryGet(b *testing.B) {
	ctx := vaulttest.Ctx(b)
	e, err := vault.OpenSingleEntry(openFileKeyring(b, filepath.Join(b.TempDir(), "k.keyring")).Store(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	v := vault.New(e)
	defer v.Close()
	p := vault.MustParsePath("global/k")
	if err := v.Set(ctx, p, secret.NewString("value")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := v.Get(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		s.Wipe()
	}
}

// BenchmarkKeyringEngineGet is the per-item engine on the same file
// keyring, for comparison.
func BenchmarkKeyringEngineGet(b *testing.B) {
	ctx := vaulttest.Ctx(b)
	v := vault.New(vault.NewKeyringEngine(openFileKeyring(b, filepath.Join(b.TempDir(), "k.keyring")).Store()))
	defer v.Close()
	p := vault.MustParsePath("global/k")
	if err := v.Set(ctx, p, secret.NewString("value")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := v.Get(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		s.Wipe()
	}
}
