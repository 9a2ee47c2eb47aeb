package dbusservice

import (
	"context"
	"fmt"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

// benchKeyring starts gnome-keyring and fills the default collection with n
// items, returning the service and the items.
func benchKeyring(b *testing.B, n int) (*Service, *Collection, []*Item) {
	b.Helper()
	k := startKeyringTB(b)
	ctx := context.Background()
	s, err := Connect(ctx, WithAddress(k.bus.Address))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	c, err := s.DefaultCollection(ctx)
	if err != nil {
		b.Fatal(err)
	}
	items := make([]*Item, n)
	for i := range items {
		items[i], err = c.Create(ctx, fmt.Sprint("bench ", i),
			secret.Attributes{"bench": "1", "n": fmt.Sprint(i)}, secret.NewString(fmt.Sprintf("secret number %d", i)), true)
		if err != nil {
			b.Fatal(err)
		}
	}
	return s, c, items
}

// BenchmarkLookup is what "get the password for service X, user Y" costs
// against gnome-keyring: one attribute search and one GetSecret over the DH
// session.
func BenchmarkLookup(b *testing.B) {
	_, c, _ := benchKeyring(b, 20)
	ctx := context.Background()
	q := secret.Attributes{"bench": "1", "n": "7"}
	for b.Loop() {
		items, err := c.Search(ctx, q)
		if err != nil || len(items) != 1 {
			b.Fatalf("search: %d, %v", len(items), err)
		}
		v, err := items[0].Secret(ctx)
		if err != nil {
			b.Fatal(err)
		}
		v.Wipe()
	}
}

// BenchmarkGetSecrets100 reads 100 secrets in one GetSecrets call; compare
// with BenchmarkGetSecret100Single, the same secrets one GetSecret at a time.
func BenchmarkGetSecrets100(b *testing.B) {
	s, _, items := benchKeyring(b, 100)
	ctx := context.Background()
	for b.Loop() {
		m, err := s.GetSecrets(ctx, items...)
		if err != nil || len(m) != len(items) {
			b.Fatalf("GetSecrets: %d, %v", len(m), err)
		}
		for _, v := range m {
			v.Wipe()
		}
	}
}

func BenchmarkGetSecret100Single(b *testing.B) {
	_, _, items := benchKeyring(b, 100)
	ctx := context.Background()
	for b.Loop() {
		for _, it := range items {
			v, err := it.Secret(ctx)
			if err != nil {
				b.Fatal(err)
			}
			v.Wipe()
		}
	}
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
