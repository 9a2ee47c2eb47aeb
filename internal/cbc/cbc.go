// Package cbc is the CBC mode over a cipher.Block the caller keeps, for the
// short secrets this project encrypts and decrypts one at a time (the file
// keyring's items, the Secret Service's transfer encoding).
//
// crypto/cipher's CBC modes are the reference and give the same bytes, but
// each encrypter or decrypter they make copies the block's whole AES key
// schedule (512 bytes) first: for a secret of two blocks that costs more time
// and garbage than the encryption, once per secret a Secret Service reads.
// Here the block is used as it is, one call per 16 bytes.
package cbc

import "crypto/cipher"

// Encrypt encrypts src into dst (which may be src itself) under iv. len(src)
// must be a multiple of the block size and len(dst) at least len(src); iv
// is as long as a block. It panics otherwise, as crypto/cipher does.
func Encrypt(b cipher.Block, iv, dst, src []byte) {
	n := check(b, iv, dst, src)
	prev := iv
	for i := 0; i < len(src); i += n {
		blk := dst[i : i+n]
		for j := range blk {
			blk[j] = src[i+j] ^ prev[j]
		}
		b.Encrypt(blk, blk)
		prev = blk
	}
}

// Decrypt decrypts src into dst (which may be src itself) under iv, with
// Encrypt's rules. It goes from the last block to the first, so that in
// place each block is decrypted while the ciphertext before it is intact.
func Decrypt(b cipher.Block, iv, dst, src []byte) {
	n := check(b, iv, dst, src)
	for i := len(src) - n; i >= 0; i -= n {
		prev := iv
		if i > 0 {
			prev = src[i-n : i]
		}
		blk := dst[i : i+n]
		b.Decrypt(blk, src[i:i+n])
		for j := range blk {
			blk[j] ^= prev[j]
		}
	}
}

func check(b cipher.Block, iv, dst, src []byte) int {
	n := b.BlockSize()
	switch {
	case len(iv) != n:
		panic("cbc: IV length must equal block size")
	case len(src)%n != 0:
		panic("cbc: input not full blocks")
	case len(dst) < len(src):
		panic("cbc: output smaller than input")
	}
	return n
}
