package vault_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/vaulttest"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

func TestEnvName(t *testing.T) {
	for p, want := range map[string]string{
		"global/jwt_signing_key":  "MONEYPENNY_SECRET_GLOBAL_JWT_SIGNING_KEY",
		"org/acme/openai-api.key": "MONEYPENNY_SECRET_ORG_ACME_OPENAI_API_KEY",
		"plugins/GitHub/token":    "MONEYPENNY_SECRET_PLUGINS_GITHUB_TOKEN",
	} {
		if got := vault.EnvName(vault.DefaultEnvPrefix, vault.MustParsePath(p)); got != want {
			t.Errorf("EnvName(%s) = %s, want %s", p, got, want)
		}
	}
}

// TestEnvEngineReadOnly: the env engine reads the mapped variables, with a
// configurable prefix, refuses every write with ErrReadOnly, and lists
// what the lossy mapping lets it recover.
func TestEnvEngineReadOnly(t *testing.T) {
	environ := []string{
		"SIDESEAT_SECRET_GLOBAL_JWT_SIGNING_KEY=jwt-value",
		"SIDESEAT_SECRET_ORG_ACME_OPENAI_API_KEY=sk-org",
		"SIDESEAT_SECRET_ORG_ACME_TEAM_KEY=team",
		"SIDESEAT_SECRET_ORG_ACMEX_OTHER=other",
		"SIDESEAT_SECRET_GLOBAL_=empty-name",
		"MONEYPENNY_SECRET_GLOBAL_JWT_SIGNING_KEY=wrong-prefix",
		"PATH=/usr/bin",
	}
	v := vault.New(vault.NewEnvEngine("SIDESEAT_SECRET_", environ, 0))
	ctx := vaulttest.Ctx(t)
	info := v.Info()
	if info.Engine != vault.EngineEnv || !info.ReadOnly || info.Persistent {
		t.Fatalf("Info = %+v", info)
	}
	got, err := v.GetValue(ctx, vault.MustParsePath("global/jwt_signing_key"))
	if err != nil || string(got.Bytes()) != "jwt-value" {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if _, err := v.Get(ctx, vault.MustParsePath("global/missing")); !errors.Is(err, secret.ErrNotFound) ||
		!strings.Contains(err.Error(), "SIDESEAT_SECRET_GLOBAL_MISSING") {
		t.Fatalf("Get of a missing variable = %v (should name the variable)", err)
	}
	s, err := v.GetWithFallback(ctx, "openai_api_key", vault.ProjectScope("p1"), vault.OrgScope("acme"), vault.GlobalScope)
	if err != nil || string(s.Value.Bytes()) != "sk-org" || s.Path.Scope() != "org/acme" {
		t.Fatalf("fallback = %v, %v", s, err)
	}
	p := vault.MustParsePath("global/new")
	for name, err := range map[string]error{
		"Set":         v.Set(ctx, p, secret.NewString("x")),
		"UpdateValue": v.UpdateValue(ctx, vault.MustParsePath("global/jwt_signing_key"), secret.NewString("x")),
		"Delete":      v.Delete(ctx, vault.MustParsePath("global/jwt_signing_key")),
	} {
		if !errors.Is(err, secret.ErrReadOnly) {
			t.Errorf("%s = %v, want ErrReadOnly", name, err)
		}
	}
	list := func(scope string) string {
		ms, err := v.List(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Path.String())
		}
		return strings.Join(out, " ")
	}
	if got := list(""); got != "global/jwt_signing_key" {
		t.Errorf(`List("") = %q: only the global scope can be placed`, got)
	}
	if got := list("org/acme"); got != "org/acme/openai_api_key org/acme/team_key" {
		t.Errorf(`List("org/acme") = %q (sub-scopes fold into the name; ACMEX is not ACME)`, got)
	}
	// Every listed path maps back to its variable.
	for _, m := range mustList(t, v, "org/acme") {
		if _, err := v.Get(ctx, m.Path); err != nil {
			t.Errorf("Get of listed %s: %v", m.Path, err)
		}
	}
	big := vault.New(vault.NewEnvEngine("", []string{"MONEYPENNY_SECRET_GLOBAL_BIG=" + strings.Repeat("x", 11)}, 10))
	if _, err := big.Get(ctx, vault.MustParsePath("global/big")); !errors.Is(err, secret.ErrTooLarge) || strings.Contains(err.Error(), "xxxx") {
		t.Errorf("oversized variable = %v, want ErrTooLarge without the value", err)
	}
}

func mustList(t *testing.T, v *vault.Vault, scope string) []vault.Metadata {
	ms, err := v.List(vaulttest.Ctx(t), scope)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
