package sxaes

import (
	"bytes"
	"math/big"
	"testing"
)

func TestFormatParseRoundTrip(t *testing.T) {
	in := map[string][]byte{"public": {1, 2, 3}, "secret": {0, 0xff}, "iv": bytes.Repeat([]byte{7}, 16)}
	msg := Format(in)
	if want := "[sx-aes-1]\npublic=AQID\nsecret=AP8=\niv=BwcHBwcHBwcHBwcHBwcHBw==\n"; msg != want {
		t.Fatalf("Format = %q, want %q", msg, want)
	}
	out, err := Parse("# a comment\n[other]\npublic=ignored\n\n" + msg)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range in {
		if !bytes.Equal(out[k], v) {
			t.Errorf("%s = %x, want %x", k, out[k], v)
		}
	}
}

func TestParseRefusesMalformed(t *testing.T) {
	for _, msg := range []string{
		"",
		"[sx-aes-1]\n",
		"[other]\npublic=AQID\n",
		"[sx-aes-1]\npublic\n",
		"[sx-aes-1]\npublic=!!!\n",
	} {
		if _, err := Parse(msg); err == nil {
			t.Errorf("Parse(%q) succeeded", msg)
		}
	}
}

func TestPrime1536(t *testing.T) {
	p, ok := new(big.Int).SetString(Prime1536, 16)
	if !ok || p.BitLen() != 1536 || !p.ProbablyPrime(20) {
		t.Fatal("Prime1536 is not a 1536-bit prime")
	}
}
