package dhsession

import (
	"fmt"
	"math/big"

	"filippo.io/bigmod"

	"github.com/moneypenny-go/keyring/secret"
)

// Algorithm is the OpenSession algorithm name this package implements.
const Algorithm = "dh-ietf1024-sha256-aes128-cbc-pkcs7"

// oakley1024Hex is the prime of RFC 2409 section 6.2, the group libsecret calls
// "ietf-ike-grp-modp-1024" and every Secret Service implements.
const oakley1024Hex = "" +
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381" +
	"FFFFFFFFFFFFFFFF"

// Group is a multiplicative group modulo a prime P with generator G. Size is
// P's length in bytes: public keys are sent, and shared secrets hashed, at
// exactly that length.
type Group struct {
	P    *big.Int
	G    *big.Int
	Size int

	mod *bigmod.Modulus // P, for the constant-time exponentiation
}

// Oakley1024 returns the Secret Service's group (RFC 2409 group 2, g = 2).
// Each call returns a new value, so callers cannot disturb one another.
func Oakley1024() *Group {
	g, err := NewGroup(oakley1024Hex, 2)
	if err != nil {
		panic("dhsession: built-in prime does not parse") // a constant; cannot happen
	}
	return g
}

// NewGroup builds a group from a hexadecimal prime and a small generator. It
// checks only the shape (an odd modulus above the generator); the caller
// vouches that the prime is a safe prime from a published standard.
func NewGroup(primeHex string, generator int64) (*Group, error) {
	p, ok := new(big.Int).SetString(primeHex, 16)
	if !ok || p.Bit(0) == 0 || p.Cmp(big.NewInt(generator)) <= 0 || generator < 2 {
		return nil, fmt.Errorf("dhsession: not a usable group: %w", secret.ErrInvalidArgument)
	}
	g := &Group{P: p, G: big.NewInt(generator), Size: (p.BitLen() + 7) / 8}
	var err error
	if g.mod, err = bigmod.NewModulus(p.Bytes()); err != nil {
		return nil, fmt.Errorf("dhsession: not a usable group: %w", secret.ErrInvalidArgument)
	}
	return g, nil
}

// exp returns base^x mod P as exactly Size bytes. x is the private
// exponent, so this is filippo.io/bigmod's constant-time exponentiation
// (the code crypto/rsa runs, which the standard library keeps internal):
// math/big's Exp takes time that depends on the exponent's bits. The
// exponent goes in at PrivateBits (GenerateKey's) or at the group's Size
// bytes, so its own length does not show either; base is public (g, or the
// peer's key).
func (g *Group) exp(base, x *big.Int) ([]byte, error) {
	m := g.mod
	if m == nil { // a Group not made by NewGroup
		var err error
		if m, err = bigmod.NewModulus(g.P.Bytes()); err != nil {
			return nil, fmt.Errorf("dhsession: not a usable group: %w", secret.ErrInvalidArgument)
		}
	}
	b, err := bigmod.NewNat().SetBytes(base.FillBytes(make([]byte, g.Size)), m)
	if err != nil {
		return nil, fmt.Errorf("dhsession: base outside the group: %w", secret.ErrInvalidArgument)
	}
	// The exponent's length, PrivateBits or the group's, is all that its
	// running time tells.
	n := PrivateBits / 8
	if x.BitLen() > PrivateBits {
		n = g.Size
	}
	e := x.FillBytes(make([]byte, n))
	defer secret.Wipe(e)
	z := bigmod.NewNat().Exp(b, e, m)
	out := z.Bytes(m)
	clear(z.Bits())
	return out, nil
}

// CheckPeerKey reports whether a client's public key is one SharedKeys
// accepts: at most Size bytes, holding a value y with 1 < y < p-1. A service
// can refuse a bad key at once and derive the shared secret later.
func (g *Group) CheckPeerKey(peer []byte) error {
	if len(peer) > g.Size || !g.validPeer(new(big.Int).SetBytes(peer)) {
		return fmt.Errorf("dhsession: peer public key (%d bytes) is not a valid group element: %w", len(peer), secret.ErrCorrupt)
	}
	return nil
}

// validPeer reports whether 1 < y < p-1: the values 0, 1 and p-1 (and
// anything outside the group) would force the shared secret into a tiny
// subgroup that an attacker could guess.
func (g *Group) validPeer(y *big.Int) bool {
	pMinus1 := new(big.Int).Sub(g.P, big.NewInt(1))
	return y.Cmp(big.NewInt(1)) > 0 && y.Cmp(pMinus1) < 0
}
