package testpeer

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/internal/sxaes"
)

// TestSecretExchangeAgainstGcr checks the prompter's exchange against gcr
// itself, in particular the 1 in 256 exchanges whose shared secret starts
// with a zero byte, forced here: gcr hashes such a secret as one byte
// shorter, and a prompter doing otherwise has its password garbled, which
// gnome-keyring reports as a dismissed prompt.
func TestSecretExchangeAgainstGcr(t *testing.T) {
	gcr := StartGcrExchange(t)
	ask := func(line string) map[string][]byte {
		t.Helper()
		reply := gcr.Ask(line)
		f, err := sxaes.Parse(reply)
		if err != nil {
			t.Fatalf("gcr said %q: %v", reply, err)
		}
		return f
	}
	agree := func(x *secretExchange, reply map[string][]byte) {
		t.Helper()
		c, err := dhsession.NewCipher(x.key)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.Decrypt(reply["iv"], reply["secret"]); err != nil || string(got) != GcrSecret {
			t.Fatalf("gcr's reply does not decrypt under our key (%v): the two sides derived different keys", err)
		}
	}

	// The prompter's order: our public value first; gcr derives the key
	// from it and answers with its own, which we derive from.
	for range 3 {
		x, err := newSecretExchange()
		if err != nil {
			t.Fatal(err)
		}
		gcr.Send("fresh")
		reply := ask(x.begin())
		if err := x.receive(sxaes.Format(map[string][]byte{"public": reply["public"]})); err != nil {
			t.Fatal(err)
		}
		agree(x, reply)
	}

	// Forced short shared secrets: gcr begins, we pick our key pair so that
	// the shared secret has a zero top byte, and gcr answers our message.
	for i := range 3 {
		first, err := sxaes.Parse(gcr.Ask("begin"))
		if err != nil {
			t.Fatal(err)
		}
		x, err := newSecretExchange()
		if err != nil {
			t.Fatal(err)
		}
		gpub := new(big.Int).SetBytes(first["public"])
		// Step our own key until (gpub)^x is short: x+1 multiplies the
		// secret by gpub and our public value by 2.
		z := new(big.Int).Exp(gpub, x.priv, x.p)
		for len(z.Bytes()) == modp1536Size {
			x.priv.Add(x.priv, big.NewInt(1))
			x.pub.Lsh(x.pub, 1).Mod(x.pub, x.p)
			z.Mul(z, gpub).Mod(z, x.p)
		}
		if err := x.receive(sxaes.Format(map[string][]byte{"public": first["public"]})); err != nil {
			t.Fatal(err)
		}
		sent, err := x.send([]byte(fmt.Sprintf("short %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		agree(x, ask(sent))
	}
}
