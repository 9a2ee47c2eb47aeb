package dhsession

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"

	"github.com/moneypenny-go/keyring/secret"
)

// KeySize is the length of the derived AES-128 key.
const KeySize = 16

// PrivateKey is one side's half of an exchange: the private exponent and the
// public value derived from it.
type PrivateKey struct {
	group *Group
	x     *big.Int
	pub   []byte
}

// PrivateBits is the length of the private exponents GenerateKey picks.
//
// Not the group's 1024 bits: the best attack on a 1024-bit group (the number
// field sieve, about 2^80 work) does not care how long the exponent is, and
// the attacks that do (Pollard's kangaroo, about 2^(bits/2)) need 2^128 work
// for 256 bits. NIST SP 800-56A Rev. 3 (5.6.1.1.4) lets a safe-prime group's
// private key come from [1, 2^N-1] with N at least twice the group's security
// strength (80 bits here, so 160; RFC 3526 section 8 says the same); 256 is
// twice AES-128's. Each exponentiation then costs about a quarter, on both
// sides of every session.
const PrivateBits = 256

// GenerateKey picks a private exponent uniformly from [2, 2^PrivateBits)
// using random (crypto/rand.Reader when nil).
func GenerateKey(g *Group, random io.Reader) (*PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	limit := new(big.Int).Lsh(big.NewInt(1), PrivateBits)
	if limit.Cmp(g.P) >= 0 { // a small test group: the whole range
		limit.Sub(g.P, big.NewInt(1))
	}
	limit.Sub(limit, big.NewInt(2)) // x-2 in [0, limit-3]
	x, err := rand.Int(random, limit)
	if err != nil {
		return nil, fmt.Errorf("dhsession: generate private key: %w", err)
	}
	return NewPrivateKey(g, x.Add(x, big.NewInt(2)))
}

// NewPrivateKey uses a given exponent. It exists for known-answer tests and
// for the far side of test exchanges; real sessions use GenerateKey.
func NewPrivateKey(g *Group, x *big.Int) (*PrivateKey, error) {
	if x.Sign() <= 0 || x.Cmp(g.P) >= 0 {
		return nil, fmt.Errorf("dhsession: private exponent out of range: %w", secret.ErrInvalidArgument)
	}
	k := &PrivateKey{group: g, x: new(big.Int).Set(x)}
	pub, err := g.exp(g.G, k.x)
	if err != nil {
		k.Wipe()
		return nil, err
	}
	k.pub = pub
	return k, nil
}

// PublicKey returns g^x mod p as exactly Group.Size big-endian bytes, the
// form every service accepts (kwalletd accepts no other). The slice is a
// copy.
func (k *PrivateKey) PublicKey() []byte { return append([]byte(nil), k.pub...) }

// SharedKey derives the 16-byte AES key from the peer's public value, which
// may have any length (services send it unpadded, kwalletd with a leading
// 0x00 sign byte whenever the top bit is set): leading zero bytes are
// ignored, and what remains must fit Group.Size and lie in the group. The
// shared secret is left-padded to Group.Size bytes before HKDF-SHA256 (no
// salt, empty info).
func (k *PrivateKey) SharedKey(peer []byte) ([]byte, error) {
	key, _, err := k.sharedKey(peer)
	return key, err
}

// SharedKeyUnambiguous is SharedKey that also reports whether every
// service derives the same key from this exchange. Services disagree on the
// shared secret's length: gnome-keyring and libsecret pad it to Group.Size
// bytes, kwalletd 5 hashes its minimal encoding. The two agree unless the
// secret begins with a zero byte (about one exchange in 256); then
// unambiguous is false and the caller should redo the exchange with a new
// key pair rather than guess which derivation the service used.
func (k *PrivateKey) SharedKeyUnambiguous(peer []byte) (key []byte, unambiguous bool, err error) {
	return k.sharedKey(peer)
}

func (k *PrivateKey) sharedKey(peer []byte) ([]byte, bool, error) {
	significant := peer
	for len(significant) > 0 && significant[0] == 0 {
		significant = significant[1:]
	}
	y := new(big.Int).SetBytes(significant)
	if len(significant) > k.group.Size || !k.group.validPeer(y) {
		return nil, false, fmt.Errorf("dhsession: peer public key (%d bytes) is not a valid group element: %w", len(peer), secret.ErrCorrupt)
	}
	ikm, err := k.group.exp(y, k.x)
	if err != nil {
		return nil, false, err
	}
	defer secret.Wipe(ikm)
	key, err := hkdf.Key(sha256.New, ikm, nil, "", KeySize)
	if err != nil {
		return nil, false, fmt.Errorf("dhsession: hkdf: %w", err)
	}
	return key, ikm[0] != 0, nil
}

// Wipe zeroes the private exponent. The key is unusable afterwards.
func (k *PrivateKey) Wipe() {
	if k == nil || k.x == nil {
		return
	}
	wipeInt(k.x)
	k.x = nil
}

// wipeInt zeroes the words behind n. big.Int gives no guarantee that no
// other copy exists, so this is hygiene, not a promise.
func wipeInt(n *big.Int) {
	w := n.Bits()
	for i := range w {
		w[i] = 0
	}
	n.SetInt64(0)
}

// SharedKeys is SharedKey for the service side of an exchange, which cannot
// know how its client hashed the shared secret. padded is the key every
// conforming client derives (Z left-padded to Group.Size bytes, as
// gnome-keyring and libsecret do). unpadded is the key a client that hashes
// Z's minimal big-endian bytes derives instead (the bug of keybase's
// go-keychain and of pass-secret-service); it is nil when Z has no leading
// zero byte, that is, in about 255 sessions of 256, where the two agree.
func (k *PrivateKey) SharedKeys(peer []byte) (padded, unpadded []byte, err error) {
	if err := k.group.CheckPeerKey(peer); err != nil {
		return nil, nil, err
	}
	ikm, err := k.group.exp(new(big.Int).SetBytes(peer), k.x)
	if err != nil {
		return nil, nil, err
	}
	defer secret.Wipe(ikm)
	padded, err = hkdf.Key(sha256.New, ikm, nil, "", KeySize)
	if err != nil {
		return nil, nil, fmt.Errorf("dhsession: hkdf: %w", err)
	}
	if ikm[0] != 0 {
		return padded, nil, nil
	}
	short := ikm
	for len(short) > 0 && short[0] == 0 {
		short = short[1:]
	}
	unpadded, err = hkdf.Key(sha256.New, short, nil, "", KeySize)
	if err != nil {
		secret.Wipe(padded)
		return nil, nil, fmt.Errorf("dhsession: hkdf: %w", err)
	}
	return padded, unpadded, nil
}
