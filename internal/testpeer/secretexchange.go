package testpeer

import (
	"bufio"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/moneypenny-go/keyring/internal/dhsession"
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
	sxProtocol = "sx-aes-1"

	// modp1536 is RFC 3526's 1536-bit MODP group prime.
	modp1536 = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
		"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
		"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
		"670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF"
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
	p, _ := new(big.Int).SetString(modp1536, 16)
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
	return formatExchange(map[string][]byte{"public": x.pub.Bytes()})
}

// receive takes the peer's message and derives the transport key. A secret
// in it is ignored: gnome-keyring never sends the prompter one.
func (x *secretExchange) receive(msg string) error {
	fields, err := parseExchange(msg)
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
	return formatExchange(fields), nil
}

// formatExchange writes the GKeyFile, keys in a fixed order.
func formatExchange(fields map[string][]byte) string {
	var sb strings.Builder
	sb.WriteString("[" + sxProtocol + "]\n")
	for _, k := range []string{"public", "secret", "iv"} {
		if v, ok := fields[k]; ok {
			sb.WriteString(k + "=" + base64.StdEncoding.EncodeToString(v) + "\n")
		}
	}
	return sb.String()
}

// parseExchange reads the [sx-aes-1] group of a GKeyFile: blank lines and
// # comments are skipped, other groups ignored.
func parseExchange(msg string) (map[string][]byte, error) {
	fields := map[string][]byte{}
	group := ""
	s := bufio.NewScanner(strings.NewReader(msg))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			group = line[1 : len(line)-1]
		case group == sxProtocol:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("secret exchange: bad line %q", line)
			}
			data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("secret exchange: %s is not base64", strings.TrimSpace(k))
			}
			fields[strings.TrimSpace(k)] = data
		}
	}
	if _, ok := fields["public"]; !ok {
		return nil, fmt.Errorf("secret exchange: no [%s] public value", sxProtocol)
	}
	return fields, nil
}
