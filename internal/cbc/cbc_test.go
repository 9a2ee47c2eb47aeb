package cbc

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"
)

// TestSameAsCryptoCipher: for every length up to 8 blocks, in place and
// not, Encrypt and Decrypt give crypto/cipher's bytes.
func TestSameAsCryptoCipher(t *testing.T) {
	key, iv := make([]byte, 16), make([]byte, 16)
	rand.Read(key)
	rand.Read(iv)
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	for blocks := 0; blocks <= 8; blocks++ {
		plain := make([]byte, blocks*16)
		rand.Read(plain)
		want := make([]byte, len(plain))
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(want, plain)
		got := make([]byte, len(plain))
		Encrypt(b, iv, got, plain)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d blocks: Encrypt differs from crypto/cipher", blocks)
		}
		inPlace := bytes.Clone(plain)
		Encrypt(b, iv, inPlace, inPlace)
		if !bytes.Equal(inPlace, want) {
			t.Fatalf("%d blocks: Encrypt in place differs", blocks)
		}
		back := make([]byte, len(want))
		Decrypt(b, iv, back, want)
		if !bytes.Equal(back, plain) {
			t.Fatalf("%d blocks: Decrypt does not invert", blocks)
		}
		Decrypt(b, iv, inPlace, inPlace)
		if !bytes.Equal(inPlace, plain) {
			t.Fatalf("%d blocks: Decrypt in place does not invert", blocks)
		}
	}
}

func TestPanics(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	for name, f := range map[string]func(){
		"short iv":     func() { Encrypt(b, make([]byte, 15), make([]byte, 16), make([]byte, 16)) },
		"partial":      func() { Decrypt(b, make([]byte, 16), make([]byte, 17), make([]byte, 17)) },
		"small output": func() { Encrypt(b, make([]byte, 16), make([]byte, 16), make([]byte, 32)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestNoAllocations(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	iv, buf := make([]byte, 16), make([]byte, 48)
	if n := testing.AllocsPerRun(100, func() { Encrypt(b, iv, buf, buf); Decrypt(b, iv, buf, buf) }); n != 0 {
		t.Fatalf("%v allocations per Encrypt+Decrypt", n)
	}
}

// BenchmarkTwoBlocks against crypto/cipher's modes, for a 20-byte secret.
func BenchmarkTwoBlocks(b *testing.B) {
	blk, _ := aes.NewCipher(make([]byte, 16))
	iv, buf := make([]byte, 16), make([]byte, 32)
	b.Run("cbc", func(b *testing.B) {
		for b.Loop() {
			Encrypt(blk, iv, buf, buf)
			Decrypt(blk, iv, buf, buf)
		}
	})
	b.Run("crypto-cipher", func(b *testing.B) {
		for b.Loop() {
			cipher.NewCBCEncrypter(blk, iv).CryptBlocks(buf, buf)
			cipher.NewCBCDecrypter(blk, iv).CryptBlocks(buf, buf)
		}
	})
}
