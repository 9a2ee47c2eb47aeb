package awssm_test

import (
	"testing"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/awssm"
)

// BenchmarkGet100: 100 Gets of one secret against the emulator, with the
// default cache and without.
func BenchmarkGet100(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []awssm.Option
	}{{"Cached", nil}, {"Uncached", []awssm.Option{awssm.WithCacheTTL(0)}}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := emulator(b)
			e, err := awssm.New(b.Context(), append([]awssm.Option{awssm.WithEndpoint(srv.URL)}, tc.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			v := vault.New(e)
			defer v.Close()
			p := vault.MustParsePath("global/bench")
			if err := v.Set(b.Context(), p, secret.NewString("value")); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				for range 100 {
					s, err := v.GetValue(b.Context(), p)
					if err != nil {
						b.Fatal(err)
					}
					s.Wipe()
				}
			}
		})
	}
}
