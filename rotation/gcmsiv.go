package rotation

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// AES-256-GCM-SIV (RFC 8452), written over crypto/aes because no light,
// maintained module offers it: see the package documentation for the
// choice. Only what LocalEncryptor needs is here: 256-bit keys, 96-bit
// nonces, inputs far below the RFC's 2^36-byte limits.

const (
	sivNonceSize = 12
	sivTagSize   = 16
)

var errOpen = errors.New("message authentication failed")

// gcmSIV implements cipher.AEAD.
type gcmSIV struct{ block cipher.Block }

func newGCMSIV(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("AES-256-GCM-SIV needs a 32-byte key")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &gcmSIV{block: b}, nil
}

func (*gcmSIV) NonceSize() int { return sivNonceSize }
func (*gcmSIV) Overhead() int  { return sivTagSize }

// deriveKeys is RFC 8452 section 4: the first 8 bytes of AES(K, LE32(i) ||
// nonce) for i = 0..5 give the 16-byte POLYVAL key and the 32-byte
// per-nonce encryption key.
func (g *gcmSIV) deriveKeys(nonce []byte) (authKey [16]byte, encKey [32]byte) {
	var in, out [16]byte
	copy(in[4:], nonce)
	for i := uint32(0); i < 6; i++ {
		binary.LittleEndian.PutUint32(in[:4], i)
		g.block.Encrypt(out[:], in[:])
		if i < 2 {
			copy(authKey[i*8:], out[:8])
		} else {
			copy(encKey[(i-2)*8:], out[:8])
		}
	}
	clear(out[:])
	return authKey, encKey
}

// tag computes the tag over plaintext and additional data.
func tag(enc cipher.Block, authKey *[16]byte, nonce, plaintext, ad []byte) [16]byte {
	p := newPolyval(authKey)
	p.update(ad)
	p.update(plaintext)
	var lengths [16]byte
	binary.LittleEndian.PutUint64(lengths[:8], uint64(len(ad))*8)
	binary.LittleEndian.PutUint64(lengths[8:], uint64(len(plaintext))*8)
	p.update(lengths[:])
	s := p.sum()
	for i := 0; i < sivNonceSize; i++ {
		s[i] ^= nonce[i]
	}
	s[15] &= 0x7f
	var t [16]byte
	enc.Encrypt(t[:], s[:])
	return t
}

// ctr is AES-CTR with the RFC's counter: the tag with its top bit set,
// the first 32 bits incremented as a little-endian number that wraps.
func ctr(enc cipher.Block, t [16]byte, dst, src []byte) {
	counter := t
	counter[15] |= 0x80
	var ks [16]byte
	for len(src) > 0 {
		enc.Encrypt(ks[:], counter[:])
		n := subtle.XORBytes(dst, src, ks[:])
		dst, src = dst[n:], src[n:]
		binary.LittleEndian.PutUint32(counter[:4], binary.LittleEndian.Uint32(counter[:4])+1)
	}
	clear(ks[:])
}

func (g *gcmSIV) Seal(dst, nonce, plaintext, ad []byte) []byte {
	if len(nonce) != sivNonceSize {
		panic("rotation: AES-GCM-SIV: wrong nonce length")
	}
	authKey, encKey := g.deriveKeys(nonce)
	defer clear(encKey[:])
	enc, err := aes.NewCipher(encKey[:])
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	t := tag(enc, &authKey, nonce, plaintext, ad)
	clear(authKey[:])
	ret, out := sliceForAppend(dst, len(plaintext)+sivTagSize)
	ctr(enc, t, out[:len(plaintext)], plaintext)
	copy(out[len(plaintext):], t[:])
	return ret
}

func (g *gcmSIV) Open(dst, nonce, sealed, ad []byte) ([]byte, error) {
	if len(nonce) != sivNonceSize {
		panic("rotation: AES-GCM-SIV: wrong nonce length")
	}
	if len(sealed) < sivTagSize {
		return nil, errOpen
	}
	authKey, encKey := g.deriveKeys(nonce)
	defer clear(encKey[:])
	defer clear(authKey[:])
	enc, err := aes.NewCipher(encKey[:])
	if err != nil {
		panic(err)
	}
	var t [16]byte
	copy(t[:], sealed[len(sealed)-sivTagSize:])
	ct := sealed[:len(sealed)-sivTagSize]
	ret, out := sliceForAppend(dst, len(ct))
	ctr(enc, t, out, ct)
	want := tag(enc, &authKey, nonce, out, ad)
	if subtle.ConstantTimeCompare(want[:], t[:]) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// sliceForAppend extends in by n bytes, as crypto/cipher does.
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}

// polyval is RFC 8452's POLYVAL: Horner's rule over GF(2^128) with
// dot(a, b) = a * b * x^-128, field elements stored little-endian.
type polyval struct {
	hLo, hHi     uint64
	accLo, accHi uint64
}

func newPolyval(key *[16]byte) *polyval {
	return &polyval{
		hLo: binary.LittleEndian.Uint64(key[:8]),
		hHi: binary.LittleEndian.Uint64(key[8:]),
	}
}

// update absorbs data, zero-padding a final partial block.
func (p *polyval) update(data []byte) {
	for len(data) > 0 {
		var blk [16]byte
		n := copy(blk[:], data)
		data = data[n:]
		p.accLo ^= binary.LittleEndian.Uint64(blk[:8])
		p.accHi ^= binary.LittleEndian.Uint64(blk[8:])
		p.accLo, p.accHi = dot(p.accLo, p.accHi, p.hLo, p.hHi)
	}
}

func (p *polyval) sum() [16]byte {
	var s [16]byte
	binary.LittleEndian.PutUint64(s[:8], p.accLo)
	binary.LittleEndian.PutUint64(s[8:], p.accHi)
	return s
}

// clmul32 is a carry-less 32x32 -> 64-bit multiplication in constant time:
// the operands are split into four interleaved bit classes so that the
// integer multiplier's carries fall into holes that are masked away
// (the technique of BearSSL's ghash_ctmul).
func clmul32(a, b uint32) uint64 {
	const m0, m1, m2, m3 = 0x11111111, 0x22222222, 0x44444444, 0x88888888
	a0, a1, a2, a3 := uint64(a&m0), uint64(a&m1), uint64(a&m2), uint64(a&m3)
	b0, b1, b2, b3 := uint64(b&m0), uint64(b&m1), uint64(b&m2), uint64(b&m3)
	c0 := a0*b0 ^ a1*b3 ^ a2*b2 ^ a3*b1
	c1 := a0*b1 ^ a1*b0 ^ a2*b3 ^ a3*b2
	c2 := a0*b2 ^ a1*b1 ^ a2*b0 ^ a3*b3
	c3 := a0*b3 ^ a1*b2 ^ a2*b1 ^ a3*b0
	const n0, n1, n2, n3 = 0x1111111111111111, 0x2222222222222222, 0x4444444444444444, 0x8888888888888888
	return c0&n0 | c1&n1 | c2&n2 | c3&n3
}

// clmul64 multiplies two 64-bit polynomials (Karatsuba over clmul32).
func clmul64(a, b uint64) (lo, hi uint64) {
	a0, a1 := uint32(a), uint32(a>>32)
	b0, b1 := uint32(b), uint32(b>>32)
	l := clmul32(a0, b0)
	h := clmul32(a1, b1)
	m := clmul32(a0^a1, b0^b1) ^ l ^ h
	return l ^ m<<32, h ^ m>>32
}

// dot returns a*b*x^-128 in POLYVAL's field (x^128 + x^127 + x^126 +
// x^121 + 1), reducing the 256-bit product by folding its low half; the
// reduction is the one of BoringSSL's gcm_polyval_nohw (crypto/fipsmodule/
// modes/gcm_nohw.c) and of Gueron's POLYVAL slides.
func dot(aLo, aHi, bLo, bHi uint64) (lo, hi uint64) {
	r0lo, r0hi := clmul64(aLo, bLo)
	r1lo, r1hi := clmul64(aHi, bHi)
	mlo, mhi := clmul64(aLo^aHi, bLo^bHi)
	mlo ^= r0lo ^ r1lo
	mhi ^= r0hi ^ r1hi
	r0hi ^= mlo
	r1lo ^= mhi
	// Product = r1:r0 (256 bits). Multiply r0 by x^-128 = x^-7 + x^-2 +
	// x^-1 + 1 and add it to r1; the bits the negative powers shift out
	// below x^0 are folded back in first, so one pass suffices.
	r0hi ^= r0lo<<63 ^ r0lo<<62 ^ r0lo<<57
	r1lo ^= r0lo ^ r0lo>>1 ^ r0hi<<63 ^ r0lo>>2 ^ r0hi<<62 ^ r0lo>>7 ^ r0hi<<57
	r1hi ^= r0hi ^ r0hi>>1 ^ r0hi>>2 ^ r0hi>>7
	return r1lo, r1hi
}
