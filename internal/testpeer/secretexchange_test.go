package testpeer

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/internal/sxaes"
)

func TestModp1536(t *testing.T) {
	p, ok := new(big.Int).SetString(sxaes.Prime1536, 16)
	if !ok || p.BitLen() != 1536 || !p.ProbablyPrime(20) {
		t.Fatal("Prime1536 is not a 1536-bit prime")
	}
	// A safe prime: (p-1)/2 is prime too.
	q := new(big.Int).Rsh(p, 1)
	if !q.ProbablyPrime(20) {
		t.Fatal("Prime1536 is not a safe prime")
	}
}

// gcrSide plays gnome-keyring's half of the exchange the way gcr 3.41 does
// it: the shared secret hashed as its minimal bytes.
type gcrSide struct {
	p, priv, pub *big.Int
}

func newGcrSide(t *testing.T) *gcrSide {
	p, _ := new(big.Int).SetString(sxaes.Prime1536, 16)
	priv, err := rand.Int(rand.Reader, new(big.Int).Sub(p, big.NewInt(2)))
	if err != nil {
		t.Fatal(err)
	}
	priv.Add(priv, big.NewInt(1))
	return &gcrSide{p: p, priv: priv, pub: new(big.Int).Exp(big.NewInt(2), priv, p)}
}

func (g *gcrSide) message() string {
	return sxaes.Format(map[string][]byte{"public": g.pub.Bytes()})
}

// open derives the key from the prompter's message and decrypts its secret.
func (g *gcrSide) open(t *testing.T, msg string) []byte {
	t.Helper()
	f, err := sxaes.Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	z := new(big.Int).Exp(new(big.Int).SetBytes(f["public"]), g.priv, g.p)
	key, err := hkdf.Key(sha256.New, z.Bytes(), nil, "", 16)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dhsession.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.Decrypt(f["iv"], f["secret"])
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	return plain
}

func TestSecretExchangeRoundTrip(t *testing.T) {
	for range 5 {
		x, err := newSecretExchange()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(x.begin(), "[sx-aes-1]\npublic=") {
			t.Fatalf("begin = %q", x.begin())
		}
		g := newGcrSide(t)
		if err := x.receive(g.message()); err != nil {
			t.Fatal(err)
		}
		sent, err := x.send([]byte("pässword"))
		if err != nil {
			t.Fatal(err)
		}
		if got := g.open(t, sent); !bytes.Equal(got, []byte("pässword")) {
			t.Fatalf("gcr side read %q", got)
		}
	}
}

// TestSecretExchangeShortSharedSecret covers the 1 in 256 exchanges whose
// shared secret has a zero top byte: the prompter keeps its key pair (gcr
// would not take a new one) and hashes the secret's minimal bytes, as gcr
// does.
func TestSecretExchangeShortSharedSecret(t *testing.T) {
	x, err := newSecretExchange()
	if err != nil {
		t.Fatal(err)
	}
	g := newGcrSide(t)
	g.priv, g.pub = shortSecretPeer(x, g.priv, g.pub)
	before := new(big.Int).Set(x.pub)
	if err := x.receive(g.message()); err != nil {
		t.Fatal(err)
	}
	if x.pub.Cmp(before) != 0 {
		t.Fatal("the prompter changed its key pair in mid-exchange")
	}
	sent, err := x.send([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.open(t, sent); string(got) != "pw" {
		t.Fatalf("gcr side read %q", got)
	}
}

// shortSecretPeer walks a peer's private keys k, k+1, … until the shared
// secret with x has a zero top byte. The secret (2^k)^x = pub^k grows by a
// factor of x's public value each step, so the search costs
// multiplications, not exponentiations.
func shortSecretPeer(x *secretExchange, priv, pub *big.Int) (*big.Int, *big.Int) {
	priv, pub = new(big.Int).Set(priv), new(big.Int).Set(pub)
	z := new(big.Int).Exp(pub, x.priv, x.p)
	for len(z.Bytes()) == modp1536Size {
		priv.Add(priv, big.NewInt(1))
		pub.Lsh(pub, 1).Mod(pub, x.p)
		z.Mul(z, x.pub).Mod(z, x.p)
	}
	return priv, pub
}

func TestSecretExchangeWithoutSecret(t *testing.T) {
	x, err := newSecretExchange()
	if err != nil {
		t.Fatal(err)
	}
	if err := x.receive(newGcrSide(t).message()); err != nil {
		t.Fatal(err)
	}
	sent, err := x.send(nil)
	if err != nil || strings.Contains(sent, "secret=") || strings.Contains(sent, "iv=") {
		t.Fatalf("a reply without a secret carried one: %q %v", sent, err)
	}
}

func TestSecretExchangeRejects(t *testing.T) {
	x, err := newSecretExchange()
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{
		"",
		"[other]\npublic=AQ==\n",
		"[sx-aes-1]\npublic=not base64!\n",
		"[sx-aes-1]\npublic=AQ==\n", // 1 is not a valid public value
		"[sx-aes-1]\npublic=\n",
	} {
		if err := x.receive(msg); err == nil {
			t.Errorf("receive(%q) accepted", msg)
		}
	}
	if _, err := x.send([]byte("x")); err == nil {
		t.Error("send of a secret before any receive must fail")
	}
}
