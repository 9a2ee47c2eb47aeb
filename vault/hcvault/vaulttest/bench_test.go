package vaulttest

import (
	"context"
	"fmt"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
	mpvault "github.com/moneypenny-go/keyring/vault"
)

// BenchmarkGet100 reads 100 secrets per iteration from a one-core
// in-process Vault, through the engine's cache (warm) and with the cache
// off. Target: cached at least 50x faster.
func BenchmarkGet100(b *testing.B) {
	tv := startVault(b, 1)
	ctx := context.Background()
	paths := make([]mpvault.Path, 100)
	writer := mpvault.New(tv.engine(b, 0, noCache))
	for i := range paths {
		paths[i] = mustPath(fmt.Sprintf("project/bench/key_%03d", i))
		if err := writer.Set(ctx, paths[i], secret.NewString(fmt.Sprintf("sk-%064d", i))); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name   string
		cached bool
	}{{"cached", true}, {"uncached", false}} {
		b.Run(bc.name, func(b *testing.B) {
			e := tv.engine(b, 0, nil)
			if !bc.cached {
				e = tv.engine(b, 0, noCache)
			}
			v := mpvault.New(e)
			for _, p := range paths {
				s := mustGet(b, v, p)
				s.Wipe()
			}
			for b.Loop() {
				for _, p := range paths {
					s, err := v.Get(ctx, p)
					if err != nil {
						b.Fatal(err)
					}
					s.Wipe()
				}
			}
		})
	}
}

// BenchmarkGetVsVaultAPI compares one uncached Get with vault/api's own
// KVv2.Get of the same secret on the same server. Target: within 1.2x.
func BenchmarkGetVsVaultAPI(b *testing.B) {
	tv := startVault(b, 1)
	ctx := context.Background()
	p := mustPath("global/bench_key")
	v := mpvault.New(tv.engine(b, 0, noCache))
	if err := v.Set(ctx, p, secret.NewString("sk-0123456789abcdef0123456789abcdef"), mpvault.WithProvider("openai")); err != nil {
		b.Fatal(err)
	}
	b.Run("hcvault", func(b *testing.B) {
		for b.Loop() {
			s, err := v.Get(ctx, p)
			if err != nil {
				b.Fatal(err)
			}
			s.Wipe()
		}
	})
	b.Run("vault-api", func(b *testing.B) {
		kv := tv.client.KVv2("secret")
		for b.Loop() {
			s, err := kv.Get(ctx, "moneypenny/global/bench_key")
			if err != nil || s.Data["value"] == nil {
				b.Fatal(err)
			}
		}
	})
}
