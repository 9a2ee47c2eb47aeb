package rotation

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGCMSIVKnownAnswers checks the AEAD against RFC 8452's AES-256 vectors
// (both directions) and refuses every modified tag.
func TestGCMSIVKnownAnswers(t *testing.T) {
	for _, v := range gcmSIVVectors {
		a, err := newGCMSIV(unhex(t, v.key))
		if err != nil {
			t.Fatal(err)
		}
		nonce, aad, msg, sealed := unhex(t, v.nonce), unhex(t, v.aad), unhex(t, v.msg), unhex(t, v.sealed)
		got, err := a.Open(nil, nonce, sealed, aad)
		if !v.valid {
			if err == nil {
				t.Errorf("vector %d: a modified tag opened", v.id)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("vector %d: Open = %x, %v; want %x", v.id, got, err, msg)
		}
		if s := a.Seal(nil, nonce, msg, aad); !bytes.Equal(s, sealed) {
			t.Errorf("vector %d: Seal = %x; want %x", v.id, s, sealed)
		}
	}
}

// TestGCMSIVRejectsChanges flips every bit of a sealed message and of its
// additional data: none opens.
func TestGCMSIVRejectsChanges(t *testing.T) {
	a, _ := newGCMSIV(bytes.Repeat([]byte{7}, 32))
	nonce := bytes.Repeat([]byte{1}, 12)
	ad := []byte("group\x00version")
	sealed := a.Seal(nil, nonce, []byte("0123456789abcdef0123456789abcdef"), ad)
	for i := 0; i < len(sealed)*8; i++ {
		c := bytes.Clone(sealed)
		c[i/8] ^= 1 << (i % 8)
		if _, err := a.Open(nil, nonce, c, ad); err == nil {
			t.Fatalf("bit %d of the ciphertext flipped: opened", i)
		}
	}
	for i := 0; i < len(ad)*8; i++ {
		d := bytes.Clone(ad)
		d[i/8] ^= 1 << (i % 8)
		if _, err := a.Open(nil, nonce, sealed, d); err == nil {
			t.Fatalf("bit %d of the additional data flipped: opened", i)
		}
	}
	if _, err := a.Open(nil, nonce, sealed[:15], ad); err == nil {
		t.Fatal("a truncated message opened")
	}
}

// FuzzLocalEncryptorOpen: arbitrary rows never panic, and a row that
// opens is exactly what sealing its plaintext with its nonce gives (no
// second encoding of a key opens).
func FuzzLocalEncryptorOpen(f *testing.F) {
	e, _ := NewLocalEncryptor(bytes.Repeat([]byte{3}, 32))
	good, _ := e.Seal(context.Background(), "g", 1, []byte("0123456789abcdef"))
	f.Add(good, uint32(1))
	f.Add([]byte{1}, uint32(0))
	f.Fuzz(func(t *testing.T, sealed []byte, version uint32) {
		key, err := e.Open(context.Background(), "g", version, sealed)
		if err != nil {
			return
		}
		again := e.aead.Seal(bytes.Clone(sealed[:1+sivNonceSize]), sealed[1:1+sivNonceSize], key, associatedData("g", version))
		if !bytes.Equal(again, sealed) {
			t.Fatalf("row %x opened but is not what Seal makes", sealed)
		}
	})
}
