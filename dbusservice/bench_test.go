package dbusservice

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// benchPeer is gnome-keyring with n items in its default collection.
type benchPeer struct {
	k     *keyring
	s     *Service
	c     *Collection
	items []*Item
}

// benchKeyring starts gnome-keyring and fills the default collection with n
// items: attributes {bench: 1, n: i}, secret "secret number i".
func benchKeyring(b *testing.B, n int) *benchPeer {
	b.Helper()
	k := startKeyringTB(b)
	ctx := context.Background()
	s, err := Connect(ctx, WithAddress(k.bus.Address))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	c := defaultCollection(b, ctx, s)
	items := make([]*Item, n)
	for i := range items {
		items[i], err = c.Create(ctx, fmt.Sprint("bench ", i),
			secret.Attributes{"bench": "1", "n": fmt.Sprint(i)}, secret.NewString(fmt.Sprintf("secret number %d", i)), true)
		if err != nil {
			b.Fatal(err)
		}
	}
	return &benchPeer{k: k, s: s, c: c, items: items}
}

// BenchmarkLookup is what "get the password for service X, user Y" costs
// against gnome-keyring: one attribute search and one GetSecret over the DH
// session. It also reports libsecret's own lookup of the same item on the
// same daemon (libsecret-ns/op) and the ratio (x-libsecret; target ≤ 1.0).
func BenchmarkLookup(b *testing.B) {
	p := benchKeyring(b, 20)
	// libsecret is timed before and after our loop and the two averaged:
	// this machine drifts by a third over minutes, and a single sample on
	// one side would credit the drift to whichever side ran in the fast
	// phase.
	before := libsecretLookupNs(b, p.k.bus.Env())
	ctx := context.Background()
	q := secret.Attributes{"bench": "1", "n": "7"}
	b.ResetTimer()
	for b.Loop() {
		items, err := p.c.Search(ctx, q)
		if err != nil || len(items) != 1 {
			b.Fatalf("search: %d, %v", len(items), err)
		}
		v, err := items[0].Secret(ctx)
		if err != nil {
			b.Fatal(err)
		}
		v.Wipe()
	}
	ours := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.StopTimer()
	theirs := (before + libsecretLookupNs(b, p.k.bus.Env())) / 2
	b.ReportMetric(theirs, "libsecret-ns/op")
	b.ReportMetric(ours/theirs, "x-libsecret")
}

// BenchmarkGetSecrets100 reads 100 secrets in one GetSecrets call and,
// in the same run, the same secrets one GetSecret at a time (single-ns/op),
// reporting the ratio (x-faster; target ≥ 10). libsecret's own ratio on the
// same daemon (libsecret-x-faster) shows how much of it is the service's.
func BenchmarkGetSecrets100(b *testing.B) {
	p := benchKeyring(b, 100)
	s, items := p.s, p.items
	ctx := context.Background()
	var batch, single time.Duration
	for b.Loop() {
		start := time.Now()
		m, err := s.GetSecrets(ctx, items...)
		if err != nil || len(m) != len(items) {
			b.Fatalf("GetSecrets: %d, %v", len(m), err)
		}
		for _, v := range m {
			v.Wipe()
		}
		batch += time.Since(start)
		// The same secrets one call each, interleaved with the batch so
		// that both see the same machine.
		start = time.Now()
		for _, it := range items {
			v, err := it.Secret(ctx)
			if err != nil {
				b.Fatal(err)
			}
			v.Wipe()
		}
		single += time.Since(start)
	}
	b.StopTimer()
	lb, ls := libsecretBatchNs(b, p.k.bus.Env(), len(items))
	n := float64(b.N)
	b.ReportMetric(float64(batch.Nanoseconds())/n, "batch-ns/op")
	b.ReportMetric(float64(single.Nanoseconds())/n, "single-ns/op")
	b.ReportMetric(float64(single)/float64(batch), "x-faster")
	b.ReportMetric(lb, "libsecret-batch-ns/op")
	b.ReportMetric(ls/lb, "libsecret-x-faster")
}

// BenchmarkConnect is the cost of a fresh connection: dial, auth, Hello and
// the DH session (a 1024-bit modular exponentiation on each side).
func BenchmarkConnect(b *testing.B) {
	k := startKeyringTB(b)
	ctx := context.Background()
	for b.Loop() {
		s, err := Connect(ctx, WithAddress(k.bus.Address))
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Close()
	}
}
