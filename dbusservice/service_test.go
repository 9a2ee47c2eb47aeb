package dbusservice

import (
	"errors"
	"testing"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

func TestConnectAndReadAlias(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
		s := k.connect()
		ctx := testCtx(t)
		alg, err := s.Algorithm(ctx)
		if err != nil || alg != dhsession.Algorithm {
			t.Fatalf("Algorithm = %q, %v; want the DH session by default", alg, err)
		}
		p, err := s.ReadAlias(ctx, "default")
		if err != nil || p != k.ss.Collection {
			t.Fatalf("ReadAlias(default) = %q, %v", p, err)
		}
		if _, err := s.ReadAlias(ctx, "no-such-alias"); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("ReadAlias of an unknown alias: %v, want ErrNotFound", err)
		}
		c := defaultCollection(t, ctx, s)
		if c.Path() != p {
			t.Fatalf("default collection %s, alias says %s", c.Path(), p)
		}
		info := c.Info()
		if info.Name != "secret-service" || !info.Persistent || info.Location != string(p) {
			t.Fatalf("Info = %+v", info)
		}
	})
}
