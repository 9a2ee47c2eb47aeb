package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMasker: every occurrence is masked, the longest of overlapping
// secrets wins, a secret split over writes is caught, and a held-back tail
// that turns out not to be a secret is released.
func TestMasker(t *testing.T) {
	var out bytes.Buffer
	m := newMasker(&out, [][]byte{[]byte("abc"), []byte("abcdef"), []byte("zz")})
	for _, w := range []string{"1 abcdef 2 ab", "c 3 a", "bcde", "f zz", "z a"} {
		if _, err := m.Write([]byte(w)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "1 " + maskText + " 2 " + maskText + " 3 " + maskText + " " + maskText + "z a"
	if out.String() != want {
		t.Fatalf("masked %q\nwant   %q", out.String(), want)
	}
	out.Reset()
	m = newMasker(&out, [][]byte{[]byte("secret")})
	_, _ = m.Write([]byte("line one\nsec"))
	if out.String() != "line one\n" {
		t.Fatalf("before the tail resolves: %q (only a possible secret may be held back)", out.String())
	}
	_, _ = m.Write([]byte("ond\n"))
	if out.String() != "line one\nsecond\n" {
		t.Fatalf("after: %q", out.String())
	}
}

func TestReadEnvFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.env")
	doc := "# comment\n\nexport A=vault://global/a\nB = 'lit $x \\n'\nC=\"q \\\"x\\\" \\n\\$y\"\nD=plain # trailing\n"
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := readEnvFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=vault://global/a", "B=lit $x \\n", "C=q \"x\" \n$y", "D=plain"}
	if strings.Join(env, "|") != strings.Join(want, "|") {
		t.Fatalf("env = %q, want %q", env, want)
	}
	for _, bad := range []string{"NOEQUALS\n", "A B=1\n", "A=\"open\n"} {
		if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readEnvFile(p); err == nil || !strings.Contains(err.Error(), ":1:") {
			t.Errorf("%q: %v, want an error naming line 1", bad, err)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90d":                  now.Add(90 * 24 * time.Hour),
		"2w":                   now.Add(14 * 24 * time.Hour),
		"1w2d12h":              now.Add(9*24*time.Hour + 12*time.Hour),
		"36h":                  now.Add(36 * time.Hour),
		"2027-03-01":           time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
		"2027-03-01T10:00:00Z": time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC),
	} {
		got, err := parseExpiry(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "d", "-5d", "0d", "5x", "2027-13-01"} {
		if _, err := parseExpiry(bad, now); err == nil {
			t.Errorf("parseExpiry(%q) accepted", bad)
		}
	}
}
