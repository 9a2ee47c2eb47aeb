package dbusservice

import (
	"context"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// TestKWalletManyOpens: 500 consecutive connections to kwalletd5, each
// opening its own DH session and reading one secret, all succeed. Before,
// about half failed at once (kwalletd's 129-byte keys) and about one in
// 140 read garbage (its unpadded shared secret).
func TestKWalletManyOpens(t *testing.T) {
	p := startProvider(t, testpeer.KWalletProvider)
	ctx := testCtx(t)
	c := p.open(t)
	attrs := secret.Attributes{"app": "mp-many-opens"}
	if _, err := c.CreateItem(ctx, "many opens", attrs, secret.NewString("round trip ✓"), true); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		err := func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			c, err := OpenCollection(ctx, "default", WithAddress(p.bus.Address))
			if err != nil {
				return err
			}
			defer c.Close()
			items, err := c.Search(ctx, attrs)
			if err != nil {
				return err
			}
			if len(items) != 1 {
				t.Fatalf("round trip %d: %d items", i, len(items))
			}
			v, err := items[0].Secret(ctx)
			if err != nil {
				return err
			}
			defer v.Wipe()
			if string(v.Bytes()) != "round trip ✓" {
				t.Fatalf("round trip %d: wrong secret (%d bytes)", i, v.Len())
			}
			return nil
		}()
		if err != nil {
			t.Fatalf("round trip %d of 500: %v", i, err)
		}
	}
}
