package vault_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

func TestPathsValidate(t *testing.T) {
	for _, ok := range []string{
		"global/jwt_signing_key", "org/acme/openai_api_key", "project/p1/webhook_secret",
		"user/u1/personal_token", "plugins/github/token", "a/b.c-d_E9",
		"s/" + strings.Repeat("n", vault.MaxSegmentLen), "a/...x", "a/.hidden",
	} {
		p, err := vault.ParsePath(ok)
		if err != nil || p.String() != ok {
			t.Errorf("ParsePath(%q) = %v, %v", ok, p, err)
		}
	}
	for _, bad := range []string{
		"", "name", "/name", "scope/", "a//b", "a/../b", "../b", "a/..", "a/./b", "a/b c",
		"a/b\x00", "a/ü", "a/b?x=1", "a/b#f", "a\\b/c", "s/" + strings.Repeat("n", vault.MaxSegmentLen+1),
		strings.Repeat("s/", vault.MaxDepth) + "n",
	} {
		_, err := vault.ParsePath(bad)
		var pe *vault.PathError
		if !errors.Is(err, secret.ErrInvalidArgument) || !errors.As(err, &pe) {
			t.Errorf("ParsePath(%q) = %v, want a PathError wrapping ErrInvalidArgument", bad, err)
		}
	}
}

func TestLevelHelpers(t *testing.T) {
	for _, c := range []struct {
		got  func() (vault.Path, error)
		want string
	}{
		{func() (vault.Path, error) { return vault.Global("jwt_signing_key") }, "global/jwt_signing_key"},
		{func() (vault.Path, error) { return vault.Org("acme", "openai_api_key") }, "org/acme/openai_api_key"},
		{func() (vault.Path, error) { return vault.Project("p1", "webhook_secret") }, "project/p1/webhook_secret"},
		{func() (vault.Path, error) { return vault.User("u1", "personal_token") }, "user/u1/personal_token"},
	} {
		p, err := c.got()
		if err != nil || p.String() != c.want {
			t.Errorf("got %v, %v; want %s", p, err, c.want)
		}
	}
	if _, err := vault.Org("..", "k"); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Errorf("Org(\"..\") = %v", err)
	}
	p := vault.MustParsePath("org/acme/team/key")
	if p.Scope() != "org/acme/team" || p.Name() != "key" || !p.In("org") || !p.In("org/acme") || p.In("org/ac") || !p.In("") {
		t.Errorf("Scope/Name/In of %s", p)
	}
}

func TestRefRoundTrip(t *testing.T) {
	for _, s := range []string{"vault://org/acme/openai_api_key", "vault://global/k", "vault://plugins/github/token"} {
		r, err := vault.Parse(s)
		if err != nil || r.String() != s || r.Path().Ref() != r {
			t.Errorf("Parse(%q) = %v, %v", s, r, err)
		}
		var back vault.Ref
		if err := back.UnmarshalText([]byte(s)); err != nil || back != r {
			t.Errorf("UnmarshalText(%q) = %v, %v", s, back, err)
		}
	}
}

func TestMalformedReferences(t *testing.T) {
	for _, s := range []string{
		"", "vault:/org/a", "vault:org/a", "VAULT://org/a", "op://org/a", "vault://", "vault://key",
		"vault://org/../a", "vault://org/a/", "vault://org//a", "vault://org/a?x", "vault://user@org/a", " vault://org/a",
	} {
		if _, err := vault.Parse(s); !errors.Is(err, secret.ErrInvalidArgument) {
			t.Errorf("Parse(%q) = %v, want ErrInvalidArgument", s, err)
		}
	}
}

// FuzzParse: whatever Parse accepts prints back as the same string, and
// every segment of it is valid; nothing panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"vault://org/acme/openai_api_key", "vault://a/../b", "vault://", "vault://x/y/z/" + strings.Repeat("a", 130)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := vault.Parse(s)
		if err != nil {
			if !errors.Is(err, secret.ErrInvalidArgument) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalidArgument", s, err)
			}
			return
		}
		if r.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, r.String())
		}
		for _, seg := range strings.Split(r.Path().String(), "/") {
			if seg == "" || seg == "." || seg == ".." || len(seg) > vault.MaxSegmentLen {
				t.Fatalf("Parse(%q) accepted segment %q", s, seg)
			}
		}
	})
}
