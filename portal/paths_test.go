package portal

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

func TestKeyringPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data/app")
	if p, err := KeyringPath(); err != nil || p != "/data/app/keyrings/default.keyring" {
		t.Fatalf("XDG_DATA_HOME: %q %v", p, err)
	}
	t.Setenv("HOME", "/home/u")
	for _, v := range []string{"", "relative/dir"} {
		t.Setenv("XDG_DATA_HOME", v)
		if p, err := KeyringPath(); err != nil || p != filepath.FromSlash("/home/u/.local/share/keyrings/default.keyring") {
			t.Fatalf("XDG_DATA_HOME=%q: %q %v", v, p, err)
		}
	}
	t.Setenv("HOME", "")
	if _, err := KeyringPath(); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("no HOME: %v", err)
	}
}

func TestAppKeyringPath(t *testing.T) {
	got := AppKeyringPath("/home/u", "org.example.App")
	if got != "/home/u/.var/app/org.example.App/data/keyrings/default.keyring" {
		t.Fatal(got)
	}
}

func TestValidAppID(t *testing.T) {
	for _, id := range []string{"org.example.App", "com.github.user.my-app", "io.x_y.Z9"} {
		if err := ValidAppID(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	for _, id := range []string{"", "org.example", "../../etc", "org..App", "org.example.9App", "org.ex/ample.App", "org.example.App "} {
		if err := ValidAppID(id); !errors.Is(err, secret.ErrInvalidArgument) {
			t.Errorf("%q: %v", id, err)
		}
	}
}

func TestKeyringPathIn(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	if p, err := KeyringPathIn(env(map[string]string{"XDG_DATA_HOME": "/data/app", "HOME": "/home/u"})); err != nil || p != "/data/app/keyrings/default.keyring" {
		t.Fatalf("XDG_DATA_HOME: %q %v", p, err)
	}
	if p, err := KeyringPathIn(env(map[string]string{"XDG_DATA_HOME": "rel", "HOME": "/home/u"})); err != nil || p != "/home/u/.local/share/keyrings/default.keyring" {
		t.Fatalf("HOME: %q %v", p, err)
	}
	if _, err := KeyringPathIn(env(nil)); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("empty environment: %v", err)
	}
}
