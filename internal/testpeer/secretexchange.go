package testpeer

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/internal/sxaes"
)

// gcr's secret exchange ("sx-aes-1"), the way gnome-keyring hands a password
// typed into the system prompter back to the daemon without putting it on
// the bus in the clear. Each message is a GKeyFile with one group:
//
//	[sx-aes-1]
//	public=<base64 DH public value, big-endian, unpadded>
//	secret=<base64 AES-128-CBC(PKCS#7(secret))>   (only when sending one)
//	iv=<base64 16-byte IV>
//
// Key agreement is DH in the 1536-bit IKE group (RFC 3526 group 5, g = 2);
// the AES key is HKDF-SHA256(shared secret, no salt, no info), 16 bytes,
// the shared secret taken as its minimal big-endian bytes: one secret in 256
// has a zero top byte, and gcr 3.41 (gnome-keyring 42's) then hashes one
// byte fewer than the prime's length (measured against the library, see
// TestSecretExchangeAgainstGcr). Every message carries the sender's public
// value, but a side must keep its key pair for the whole exchange: gcr does
// not take a changed one (measured too).

const (
	modp1536Size = 1536 / 8
)

// secretExchange is the prompter's side of one exchange.
type secretExchange struct {
	p, g *big.Int
	priv *big.Int
	pub  *big.Int
	key  []byte // set by receive
}

func newSecretExchange() (*secretExchange, error) {
	p, _ := new(big.Int).SetString(sxaes.Prime1536, 16)
	x := &secretExchange{p: p, g: big.NewInt(2)}
	if err := x.generate(); err != nil {
		return nil, err
	}
	return x, nil
}

// generate picks a new private exponent in [2, p-2].
func (x *secretExchange) generate() error {
	priv, err := rand.Int(rand.Reader, new(big.Int).Sub(x.p, big.NewInt(3)))
	if err != nil {
		return fmt.Errorf("secret exchange: %w", err)
	}
	x.priv = priv.Add(priv, big.NewInt(2))
	x.pub = new(big.Int).Exp(x.g, x.priv, x.p)
	return nil
}

// begin is the first message: our public value alone.
func (x *secretExchange) begin() string {
	return sxaes.Format(map[string][]byte{"public": x.pub.Bytes()})
}

// receive takes the peer's message and derives the transport key. A secret
// in it is ignored: gnome-keyring never sends the prompter one.
func (x *secretExchange) receive(msg string) error {
	fields, err := sxaes.Parse(msg)
	if err != nil {
		return err
	}
	peer := new(big.Int).SetBytes(fields["public"])
	if len(fields["public"]) == 0 || peer.Cmp(big.NewInt(1)) <= 0 || peer.Cmp(new(big.Int).Sub(x.p, big.NewInt(1))) >= 0 {
		return errors.New("secret exchange: missing or invalid public value")
	}
	z := new(big.Int).Exp(peer, x.priv, x.p)
	key, err := hkdf.Key(sha256.New, z.Bytes(), nil, "", dhsession.KeySize)
	if err != nil {
		return fmt.Errorf("secret exchange: %w", err)
	}
	x.key = key
	return nil
}

// send is a reply carrying our public value and, when secret is not nil,
// the secret encrypted under the transport key.
func (x *secretExchange) send(secret []byte) (string, error) {
	fields := map[string][]byte{"public": x.pub.Bytes()}
	if secret != nil {
		if x.key == nil {
			return "", errors.New("secret exchange: send before receive")
		}
		c, err := dhsession.NewCipher(x.key)
		if err != nil {
			return "", err
		}
		defer c.Wipe()
		iv, ct, err := c.Encrypt(rand.Reader, secret)
		if err != nil {
			return "", err
		}
		fields["secret"], fields["iv"] = ct, iv
	}
	return sxaes.Format(fields), nil
}
