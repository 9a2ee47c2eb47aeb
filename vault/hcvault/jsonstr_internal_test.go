package hcvault

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzJSONString: appendJSONString writes what encoding/json reads back,
// and unquoteJSON reads what encoding/json writes.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "sk-abc", "a\"b\\c\n\t\x00\x1f", "é€😀", "\u2028<>&", "\\u0041"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return
		}
		enc := appendJSONString(nil, b)
		var s string
		if err := json.Unmarshal(enc, &s); err != nil || s != string(b) {
			t.Fatalf("appendJSONString(%q) = %s, read back %q, %v", b, enc, s, err)
		}
		std, _ := json.Marshal(string(b))
		got, err := unquoteJSON(std)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("unquoteJSON(%s) = %q, %v", std, got, err)
		}
	})
}

// TestUnquoteJSONEscapes: escapes encoding/json does not write but other
// servers may, and malformed literals.
func TestUnquoteJSONEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`"\/\b\f\u00e9\uD83D\uDE00"`: "/\b\fé😀",
		`"\ud83d"`:                   "\uFFFD",
		`"\ud83dx"`:                  "\uFFFDx",
	} {
		got, err := unquoteJSON([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("unquoteJSON(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"`, `abc`, `"a"b"`, `"\x"`, `"\u12"`, "\"\x01\"", `"\`} {
		if _, err := unquoteJSON([]byte(bad)); err == nil {
			t.Errorf("unquoteJSON(%s) accepted", bad)
		}
	}
}
