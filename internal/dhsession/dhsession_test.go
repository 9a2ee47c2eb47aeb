package dhsession

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOakley1024IsTheRFCPrime(t *testing.T) {
	g := Oakley1024()
	if g.Size != 128 || g.P.BitLen() != 1024 || g.G.Int64() != 2 {
		t.Fatalf("group size %d bits %d g %v", g.Size, g.P.BitLen(), g.G)
	}
	// A typo in the constant would almost surely break primality; RFC 2409's
	// prime is also a safe prime, (p-1)/2 prime.
	q := new(big.Int).Rsh(g.P, 1)
	if !g.P.ProbablyPrime(20) || !q.ProbablyPrime(20) {
		t.Fatal("the built-in modulus is not a safe prime")
	}
	if Oakley1024().P == g.P {
		t.Fatal("Oakley1024 must return a fresh value each call")
	}
}

// TestKnownAnswer is the vector of the project's spec (B.6): the service's
// public key is only 126 bytes long and Z starts with a zero byte, so this one
// vector covers short-key parsing and the padding of Z.
func TestKnownAnswer(t *testing.T) {
	g := Oakley1024()
	client, err := NewPrivateKey(g, new(big.Int).SetUint64(0x1234567890abcdef))
	if err != nil {
		t.Fatal(err)
	}
	service, err := NewPrivateKey(g, big.NewInt(0x432))
	if err != nil {
		t.Fatal(err)
	}
	// What a service sends: minimal encoding, no padding.
	y := new(big.Int).SetBytes(service.PublicKey()).Bytes()
	if len(y) != 126 {
		t.Fatalf("service public key minimal length %d, want 126", len(y))
	}
	z := new(big.Int).Exp(new(big.Int).SetBytes(y), client.x, g.P)
	if z128 := z.FillBytes(make([]byte, 128)); z128[0] != 0 || !bytes.HasPrefix(z128, unhex(t, "001cdf66")) {
		t.Fatalf("vector changed: Z begins %x", z128[:4])
	}
	key, err := client.SharedKey(y)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "8aedda0a7595ff5bf4a7a8a015bd8fa5"); !bytes.Equal(key, want) {
		t.Fatalf("key %x, want %x", key, want)
	}
	// The unpadded Z gives the other, wrong key: proof the vector tests padding.
	wrong, _ := hkdf.Key(sha256.New, z.Bytes(), nil, "", 16)
	if want := unhex(t, "2ad52fe166cfbb6047d17ad2b71edb9f"); !bytes.Equal(wrong, want) {
		t.Fatalf("unpadded key %x, want %x", wrong, want)
	}
	// Both ends agree, whichever length the peer key arrives in.
	back, err := service.SharedKey(client.PublicKey())
	if err != nil || !bytes.Equal(back, key) {
		t.Fatalf("service side key %x, %v", back, err)
	}
	padded, err := client.SharedKey(service.PublicKey())
	if err != nil || !bytes.Equal(padded, key) {
		t.Fatalf("128-byte peer key gave %x, %v", padded, err)
	}

	c, err := NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	iv := unhex(t, "000102030405060708090a0b0c0d0e0f")
	ct, err := c.EncryptWithIV(iv, []byte("test1"))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "33b0f54697ad99e42de1a6ea38dc21a2"); !bytes.Equal(ct, want) {
		t.Fatalf("ciphertext %x, want %x", ct, want)
	}
	pt, err := c.Decrypt(iv, ct)
	if err != nil || string(pt) != "test1" {
		t.Fatalf("decrypt %q %v", pt, err)
	}
}

func TestPublicKeyAlways128Bytes(t *testing.T) {
	g := Oakley1024()
	// 2^2 = 4: the shortest possible public value still goes out as 128 bytes.
	k, err := NewPrivateKey(g, big.NewInt(2))
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey()
	if len(pub) != 128 || pub[127] != 4 || !bytes.Equal(pub[:127], make([]byte, 127)) {
		t.Fatalf("public key %x", pub)
	}
	for i := 0; i < 50; i++ {
		k, err := GenerateKey(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.PublicKey()) != 128 {
			t.Fatalf("generated public key of %d bytes", len(k.PublicKey()))
		}
	}
}

func TestRejectsDegeneratePeerKeys(t *testing.T) {
	g := Oakley1024()
	k, err := GenerateKey(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	pMinus1 := new(big.Int).Sub(g.P, big.NewInt(1))
	for name, peer := range map[string][]byte{
		"empty":     nil,
		"zero":      {0},
		"one":       {1},
		"p-1":       pMinus1.Bytes(),
		"p":         g.P.Bytes(),
		"too long":  append([]byte{1}, make([]byte, 128)...),
		"all-zero":  make([]byte, 128),
		"one-pad":   append(make([]byte, 127), 1),
		"p+1 bytes": new(big.Int).Add(g.P, big.NewInt(1)).Bytes(),
		"signed p":  append([]byte{0}, g.P.Bytes()...),
		"signed 1":  append(make([]byte, 128), 1),
	} {
		if _, err := k.SharedKey(peer); !errors.Is(err, secret.ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
}

// TestAcceptsSignBytePaddedPeerKey: kwalletd 5 sends its public key with a
// leading 0x00 sign byte whenever the top bit is set (129 bytes, about half
// of all sessions). The significant bytes fit the group, so the key is the
// one the 128-byte form gives.
func TestAcceptsSignBytePaddedPeerKey(t *testing.T) {
	g := Oakley1024()
	client, err := GenerateKey(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	var service *PrivateKey
	for service == nil || service.PublicKey()[0]&0x80 == 0 {
		if service, err = GenerateKey(g, nil); err != nil {
			t.Fatal(err)
		}
	}
	want, err := client.SharedKey(service.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, pad := range []int{1, 2} {
		signed := append(make([]byte, pad), service.PublicKey()...)
		got, err := client.SharedKey(signed)
		if err != nil {
			t.Fatalf("%d-byte key with %d leading zero bytes: %v", len(signed), pad, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d-byte key derives %x, the 128-byte form %x", len(signed), got, want)
		}
	}
}

// TestSharedKeyUnambiguous: when Z begins with a zero byte, services that
// hash it padded (gnome-keyring) and unpadded (kwalletd 5) derive different
// keys, and the client is told so; otherwise both derivations agree.
func TestSharedKeyUnambiguous(t *testing.T) {
	g := Oakley1024()
	// The spec's vector (TestKnownAnswer) has a Z that begins with 0x00.
	client, _ := NewPrivateKey(g, new(big.Int).SetUint64(0x1234567890abcdef))
	service, _ := NewPrivateKey(g, big.NewInt(0x432))
	key, ok, err := client.SharedKeyUnambiguous(service.PublicKey())
	if err != nil || ok {
		t.Fatalf("Z with a leading zero byte: unambiguous=%v, %v", ok, err)
	}
	if want := unhex(t, "8aedda0a7595ff5bf4a7a8a015bd8fa5"); !bytes.Equal(key, want) {
		t.Fatalf("key %x, want the padded derivation %x", key, want)
	}
	for seen := 0; seen < 20; {
		c, _ := GenerateKey(g, nil)
		s, _ := GenerateKey(g, nil)
		key, ok, err := c.SharedKeyUnambiguous(s.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		z := new(big.Int).Exp(new(big.Int).SetBytes(s.PublicKey()), c.x, g.P)
		if ok != (len(z.Bytes()) == g.Size) {
			t.Fatalf("unambiguous=%v for a %d-byte Z", ok, len(z.Bytes()))
		}
		if !ok {
			continue
		}
		seen++
		unpadded, _ := hkdf.Key(sha256.New, z.Bytes(), nil, "", 16)
		if !bytes.Equal(key, unpadded) {
			t.Fatal("an unambiguous exchange derives differently from the unpadded Z")
		}
	}
}

func TestCipherRoundTripAndFreshIV(t *testing.T) {
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	c, err := NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 40; n++ {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		iv1, ct1, err := c.Encrypt(nil, pt)
		if err != nil {
			t.Fatal(err)
		}
		iv2, ct2, _ := c.Encrypt(nil, pt)
		if bytes.Equal(iv1, iv2) || bytes.Equal(ct1, ct2) {
			t.Fatalf("len %d: two encryptions share an IV or ciphertext", n)
		}
		if len(ct1) != (n/16+1)*16 {
			t.Fatalf("len %d: ciphertext %d bytes, padding must always be added", n, len(ct1))
		}
		got, err := c.Decrypt(iv1, ct1)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("len %d: round trip %x %v", n, got, err)
		}
	}
}

func TestDecryptRejects(t *testing.T) {
	key := make([]byte, 16)
	c, _ := NewCipher(key)
	iv := make([]byte, 16)
	good, _ := c.EncryptWithIV(iv, []byte("sixteen bytes!!!"))
	// Flipping the last ciphertext block scrambles the padding.
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 0xff
	for name, tc := range map[string][2][]byte{
		"short iv":     {iv[:8], good},
		"no iv":        {nil, good},
		"empty":        {iv, nil},
		"partial":      {iv, good[:20]},
		"bad padding":  {iv, bad},
		"long iv":      {append(iv, 0), good},
		"zero padding": {iv, mustEncryptRaw(t, key, iv, make([]byte, 16))},
	} {
		out, err := c.Decrypt(tc[0], tc[1])
		if !errors.Is(err, secret.ErrCorrupt) || out != nil {
			t.Errorf("%s: %x, %v; want ErrCorrupt", name, out, err)
		}
	}
	if _, err := NewCipher(make([]byte, 15)); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("short key: %v", err)
	}
	c.Wipe()
	if _, err := c.Decrypt(iv, good); !errors.Is(err, secret.ErrClosed) {
		t.Fatalf("after Wipe: %v", err)
	}
}

// mustEncryptRaw encrypts blocks without padding, to build invalid input.
func mustEncryptRaw(t *testing.T, key, iv, blocks []byte) []byte {
	t.Helper()
	c, _ := NewCipher(key)
	// Encrypt then drop the final, all-padding block: what remains is the
	// raw CBC encryption of blocks (whose last byte, 0, is invalid padding).
	ct, err := c.EncryptWithIV(iv, blocks)
	if err != nil {
		t.Fatal(err)
	}
	return ct[:len(blocks)]
}

func TestNewGroupRejects(t *testing.T) {
	for _, tc := range []struct {
		hex string
		g   int64
	}{{"zz", 2}, {"10", 2}, {"3", 5}, {"17", 1}} {
		if _, err := NewGroup(tc.hex, tc.g); !errors.Is(err, secret.ErrInvalidArgument) {
			t.Errorf("NewGroup(%s, %d) = %v", tc.hex, tc.g, err)
		}
	}
	if _, err := NewPrivateKey(Oakley1024(), big.NewInt(0)); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatal("zero exponent accepted")
	}
}

func FuzzDecrypt(f *testing.F) {
	f.Add(make([]byte, 16), make([]byte, 32))
	f.Fuzz(func(t *testing.T, iv, ct []byte) {
		c, _ := NewCipher(make([]byte, 16))
		_, _ = c.Decrypt(iv, ct) // must never panic
	})
}

func BenchmarkSharedKey(b *testing.B) {
	g := Oakley1024()
	peer, _ := GenerateKey(g, nil)
	pub := peer.PublicKey()
	for b.Loop() {
		k, _ := GenerateKey(g, nil)
		if _, err := k.SharedKey(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSharedKeysBothForms uses the spec's vector, whose Z starts with a zero
// byte: the service side offers the padded key first and the key of a
// client that forgot the padding second.
func TestSharedKeysBothForms(t *testing.T) {
	g := Oakley1024()
	client, _ := NewPrivateKey(g, new(big.Int).SetUint64(0x1234567890abcdef))
	service, _ := NewPrivateKey(g, big.NewInt(0x432))
	padded, unpadded, err := service.SharedKeys(client.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "8aedda0a7595ff5bf4a7a8a015bd8fa5"); !bytes.Equal(padded, want) {
		t.Fatalf("padded %x, want %x", padded, want)
	}
	if want := unhex(t, "2ad52fe166cfbb6047d17ad2b71edb9f"); !bytes.Equal(unpadded, want) {
		t.Fatalf("unpadded %x, want %x", unpadded, want)
	}
	// A Z without a leading zero byte has one form only.
	for i := 0; i < 20; i++ {
		k, _ := GenerateKey(g, nil)
		p, u, err := k.SharedKeys(client.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		z := new(big.Int).Exp(new(big.Int).SetBytes(client.PublicKey()), k.x, g.P)
		if (u == nil) != (len(z.Bytes()) == 128) || bytes.Equal(p, u) {
			t.Fatalf("Z of %d bytes gave unpadded=%x", len(z.Bytes()), u)
		}
	}
	if _, _, err := service.SharedKeys([]byte{1}); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("degenerate key: %v", err)
	}
}

// TestExpAgreesWithMathBig: the constant-time exponentiation gives what
// math/big's does, for random exponents, short ones and edge bases.
func TestExpAgreesWithMathBig(t *testing.T) {
	g := Oakley1024()
	pMinus2 := new(big.Int).Sub(g.P, big.NewInt(2))
	for i := range 40 {
		x, err := rand.Int(rand.Reader, g.P)
		if err != nil {
			t.Fatal(err)
		}
		if i%4 == 1 {
			x.Rsh(x, 900) // a short exponent
		}
		base := g.G
		switch i % 3 {
		case 1:
			base, _ = rand.Int(rand.Reader, g.P)
		case 2:
			base = pMinus2
		}
		got, err := g.exp(base, x)
		if err != nil {
			t.Fatal(err)
		}
		want := new(big.Int).Exp(base, x, g.P).FillBytes(make([]byte, g.Size))
		if !bytes.Equal(got, want) {
			t.Fatalf("exp %d disagrees with math/big", i)
		}
	}
}

// TestGenerateKeyExponentLength: generated exponents are PrivateBits long
// at most, all different, and an exchange between a generated key and one
// with a full-length exponent agrees with math/big's arithmetic.
func TestGenerateKeyExponentLength(t *testing.T) {
	g := Oakley1024()
	seen := map[string]bool{}
	long := 0
	for range 64 {
		k, err := GenerateKey(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		if k.x.BitLen() > PrivateBits || k.x.Cmp(big.NewInt(2)) < 0 {
			t.Fatalf("exponent of %d bits", k.x.BitLen())
		}
		if k.x.BitLen() > PrivateBits-8 {
			long++
		}
		if seen[k.x.String()] {
			t.Fatal("an exponent came twice")
		}
		seen[k.x.String()] = true
		if want := new(big.Int).Exp(g.G, k.x, g.P); new(big.Int).SetBytes(k.PublicKey()).Cmp(want) != 0 {
			t.Fatal("public key differs from math/big's")
		}
	}
	if long < 48 { // 255/256 of uniform 256-bit numbers have more than 248 bits
		t.Fatalf("only %d of 64 exponents use the top byte: not uniform over 256 bits", long)
	}
	full := new(big.Int).Sub(g.P, big.NewInt(12345))
	other, err := NewPrivateKey(g, full)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := GenerateKey(g, nil)
	a, _, err := k.SharedKeys(other.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := other.SharedKeys(k.PublicKey())
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("short and full exponents disagree: %v", err)
	}
}
