package dbusservice

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"slices"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
)

// kwalletOpenSession answers OpenSession the way kwalletd 5 does: its public
// key with a 0x00 sign byte when the top bit is set, and the AES key derived
// from the unpadded shared secret. The first exchange is made to give a
// shared secret with a leading zero byte (the service picks exponents until
// it does), the case in which a client that pads derives another key.
func kwalletOpenSession(f *fakeService, sessions *int) func(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	return func(alg string, in dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
		f.note("OpenSession " + alg)
		if alg != dhsession.Algorithm {
			return dbus.Variant{}, "", dbus.NewError(errNotSupported, nil)
		}
		g := dhsession.Oakley1024()
		x := new(big.Int).SetBytes(in.Value().([]byte))
		first := *sessions == 0
		*sessions++
		var y, z *big.Int
		for {
			y, _ = rand.Int(rand.Reader, new(big.Int).Sub(g.P, big.NewInt(3)))
			y.Add(y, big.NewInt(2))
			z = new(big.Int).Exp(x, y, g.P)
			if short := len(z.Bytes()) < g.Size; short == first {
				break
			}
		}
		key, _ := hkdf.Key(sha256.New, z.Bytes(), nil, "", 16)
		c, _ := dhsession.NewCipher(key)
		f.mu.Lock()
		f.cipher = c
		f.mu.Unlock()
		pub := new(big.Int).Exp(g.G, y, g.P).Bytes()
		if pub[0]&0x80 != 0 {
			pub = append([]byte{0}, pub...) // QCA's signed big-endian form
		}
		return dbus.MakeVariant(pub), fakeSession, nil
	}
}

// TestFakeKWalletUnpaddedSharedSecret: against a service that hashes the
// unpadded shared secret, an exchange whose secret begins with a zero byte
// is redone with a new key pair, so the secret read afterwards decrypts
// (before, it failed with "bad padding").
func TestFakeKWalletUnpaddedSharedSecret(t *testing.T) {
	sessions := 0
	f := startFake(t, true, func(f *fakeService) map[string]any {
		return map[string]any{"Service.OpenSession": kwalletOpenSession(f, &sessions)}
	})
	s := f.mustConnect()
	ctx := testCtx(t)
	v, err := s.Item(fakeItem).Secret(ctx)
	if err != nil || string(v.Bytes()) != fakeSecret {
		t.Fatalf("secret over a kwalletd-style session: %v", err)
	}
	calls := f.called()
	if n := len(slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return c != "OpenSession "+dhsession.Algorithm })); n != 2 {
		t.Fatalf("%d DH exchanges, want 2 (the ambiguous one redone): %v", n, calls)
	}
	if !slices.Contains(calls, "Session.Close") {
		t.Fatalf("the ambiguous session was not closed: %v", calls)
	}
}

// TestDHKeyNeverStartsWithFF: a key pair whose public key begins with 0xff
// (which kwalletd 5 misreads: no derivation decrypted its answer in any of
// the 4 such sessions of 1,500 measured) is drawn again.
func TestDHKeyNeverStartsWithFF(t *testing.T) {
	g := dhsession.Oakley1024()
	var ff, other *dhsession.PrivateKey
	for ff == nil || other == nil {
		k, err := dhsession.GenerateKey(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		switch pub := k.PublicKey(); {
		case pub[0] == 0xff && ff == nil:
			ff = k
		case pub[0] != 0xff && other == nil:
			other = k
		}
	}
	queue := []*dhsession.PrivateKey{ff, ff, other}
	drawn := 0
	got, err := generateDHKeyWith(func() (*dhsession.PrivateKey, error) {
		k := queue[drawn]
		drawn++
		return k, nil
	})
	if err != nil || got != other || drawn != 3 {
		t.Fatalf("got the key drawn %d of 3 (%v); want the first that does not start with 0xff", drawn, err)
	}
}
