package dbuswire

import (
	"strings"
	"testing"
)

// TestSignatureSyntax checks the signature rules against the
// specification's "Valid Signatures", limits included.
func TestSignatureSyntax(t *testing.T) {
	good := []string{"", "y", "a{o(oayays)}", "aoao", "a{sv}", "(i(ii))", "aaay", "v", "h",
		strings.Repeat("a", 32) + "y", strings.Repeat("(", 32) + "y" + strings.Repeat(")", 32),
		strings.Repeat("y", 255)}
	bad := []string{"a", "(", ")", "()", "(y", "y)", "{sv}", "a{vs}", "a{s}", "a{sss}", "a{(s)s}",
		"z", "a{sv", "(a{sv)", strings.Repeat("a", 33) + "y",
		strings.Repeat("(", 33) + "y" + strings.Repeat(")", 33), strings.Repeat("y", 256),
		"\x00", "a{s\x00}"}
	for _, s := range good {
		if err := checkSignature(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range bad {
		if err := checkSignature(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	for s, ok := range map[string]bool{"u": true, "a{sv}": true, "(uu)": true, "": false, "uu": false, "a": false} {
		if err := checkSingleType(s); (err == nil) != ok {
			t.Errorf("single type %q: %v", s, err)
		}
	}
}

// TestNameSyntax checks the rules of "Valid Names" and "Valid Object Paths".
func TestNameSyntax(t *testing.T) {
	long := "a." + strings.Repeat("b", 254)
	for _, c := range []struct {
		check func(string) error
		good  []string
		bad   []string
	}{
		{checkObjectPath,
			[]string{"/", "/a", "/org/freedesktop/secrets/collection/login/1", "/_0/A_z"},
			[]string{"", "a", "//", "/a/", "/a//b", "/a-b", "/é", "/a b"}},
		{checkMember,
			[]string{"GetSecrets", "_x", "a1"},
			[]string{"", "1a", "a.b", "a-b", strings.Repeat("m", 256)}},
		{checkInterface,
			[]string{"org.freedesktop.Secret.Service", "a._1", "_.b"},
			[]string{"", "org", "org.", ".org", "org..x", "org.1x", "org.x-y", ":1.2", long}},
		{checkBusName,
			[]string{":1.17", ":1.2-3", "org.freedesktop.secrets", "org.x-y", "-a.b"},
			[]string{"", ":", ":1", "org", "org.1x", "org..x", ":1..2", "org.x!y", long}},
		{checkString,
			[]string{"", "text/plain", "ümlaut"},
			[]string{"a\x00b", "\xff", "\xc3\x28"}},
	} {
		for _, s := range c.good {
			if err := c.check(s); err != nil {
				t.Errorf("%q: %v", s, err)
			}
		}
		for _, s := range c.bad {
			if err := c.check(s); err == nil {
				t.Errorf("%q accepted", s)
			}
		}
	}
	if q := quote(strings.Repeat("x", 1000)); len(q) > maxQuoted+10 {
		t.Errorf("an error quotes %d bytes of a peer's string", len(q))
	}
}

// TestPathElemChar checks the table of pathElemChar against the rule.
func TestPathElemChar(t *testing.T) {
	for c := range 256 {
		want := isAlnum(byte(c)) || c == '_'
		if got := pathElemChar[c]; got != want {
			t.Errorf("%q: %v, want %v", rune(c), got, want)
		}
	}
}
