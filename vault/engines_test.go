package vault_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/internal/vaulttest"
	"github.com/moneypenny-go/keyring/keyctl"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

func noEnv(string) string { return "" }

// openFileKeyring opens (creating) a real file keyring.
func openFileKeyring(t testing.TB, path string) *keyring.Keyring {
	t.Helper()
	kr, err := keyring.Open(vaulttest.Ctx(t), keyring.WithEnv(noEnv), keyring.WithBackend(keyring.File),
		keyring.WithPath(path), keyring.WithPassword([]byte("file password")))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestKeyringEngineOnFileKeyring(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.keyring")
	vaulttest.Run(t, func(t *testing.T) vault.Engine {
		return vault.NewKeyringEngine(openFileKeyring(t, path).Store())
	})
}

func TestSingleEntryOnFileKeyring(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.keyring")
	vaulttest.Run(t, func(t *testing.T) vault.Engine {
		e, err := vault.OpenSingleEntry(openFileKeyring(t, path).Store(), "suite")
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

// gnomeKeyring starts a real gnome-keyring on a private bus and returns a
// factory for Secret Service keyrings on it and the bus.
func gnomeKeyring(t *testing.T) (func(t *testing.T) *keyring.Keyring, *testpeer.Bus) {
	testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon")
	bus := testpeer.NewBus(t)
	bus.StartGnomeKeyring(t, "login password")
	getenv := envFunc(bus.Env())
	return func(t *testing.T) *keyring.Keyring {
		kr, err := keyring.Open(vaulttest.Ctx(t), keyring.WithEnv(getenv))
		if err != nil {
			t.Fatal(err)
		}
		if kr.Backend().Name != keyring.SecretService {
			t.Fatalf("backend %+v", kr.Backend())
		}
		return kr
	}, bus
}

func envFunc(env []string) func(string) string {
	return func(k string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if name, v, ok := strings.Cut(env[i], "="); ok && name == k {
				return v
			}
		}
		return ""
	}
}

// TestKeyringEngineOnGnomeKeyring runs the suite on a real gnome-keyring
// and checks that libsecret's secret-tool finds the items by the
// documented schema and attributes.
func TestKeyringEngineOnGnomeKeyring(t *testing.T) {
	open, bus := gnomeKeyring(t)
	vaulttest.Run(t, func(t *testing.T) vault.Engine { return vault.NewKeyringEngine(open(t).Store()) })

	tool := testpeer.Need(t, "secret-tool")[0]
	ctx := vaulttest.Ctx(t)
	v := vault.New(vault.NewKeyringEngine(open(t).Store()))
	defer v.Close()
	scope := vaulttest.UniqueScope(t, "org")
	p := vaulttest.MustPath(t, scope, "openai_api_key")
	if err := v.Set(ctx, p, secret.NewString("sk-visible-to-secret-tool"), vault.WithProvider("openai")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, tool, "search", "--all", "xdg:schema", vault.KeyringSchema, "scope", scope)
	cmd.Env = bus.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("secret-tool search: %v\n%s", err, out)
	}
	for _, want := range []string{"attribute.scope = " + scope, "attribute.name = openai_api_key", "attribute.provider = openai",
		"secret = sk-visible-to-secret-tool", "label = Moneypenny vault: " + p.String()} {
		if !strings.Contains(string(out), want) {
			t.Errorf("secret-tool output lacks %q:\n%s", want, out)
		}
	}
	// And back: an item secret-tool stores in the schema is a vault secret.
	store := exec.CommandContext(ctx, tool, "store", "--label=from secret-tool", "xdg:schema", vault.KeyringSchema,
		"scope", scope, "name", "stored_by_tool", "updated", "2026-01-02T03:04:05Z")
	store.Env = bus.Env()
	store.Stdin = strings.NewReader("tool value")
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v\n%s", err, out)
	}
	s, err := v.Get(ctx, vaulttest.MustPath(t, scope, "stored_by_tool"))
	if err != nil || string(s.Value.Bytes()) != "tool value" || s.UpdatedAt.Year() != 2026 {
		t.Fatalf("Get of secret-tool's item = %v, %v", s, err)
	}
}

func TestSingleEntryOnGnomeKeyring(t *testing.T) {
	open, bus := gnomeKeyring(t)
	vaulttest.Run(t, func(t *testing.T) vault.Engine {
		e, err := vault.OpenSingleEntry(open(t).Store(), "suite")
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
	tool := testpeer.Need(t, "secret-tool")[0]
	cmd := exec.Command(tool, "search", "--all", "xdg:schema", vault.SingleEntrySchema, "app", "suite")
	cmd.Env = bus.Env()
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Count(string(out), "attribute.app = suite") != 1 || !strings.Contains(string(out), `"format":"moneypenny-vault/1"`) {
		t.Fatalf("secret-tool should see exactly one entry item: %v\n%s", err, out)
	}
}

// openKeyctl opens a kernel keyring of a name private to this test.
func openKeyctl(t *testing.T, name string) secret.Store {
	testpeer.Need(t, "keyctl")
	st, err := keyctl.Open(vaulttest.Ctx(t), keyctl.WithName(name))
	if errors.Is(err, secret.ErrUnavailable) {
		testpeer.Missing(t, "kernel keyring: "+err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// keyctlName returns a keyring name private to this test and removes that
// keyring, items and all, when the test ends: the user keyring is shared
// by every process of the uid.
func keyctlName(t *testing.T, base string) string {
	name := base + vaulttest.UniqueScope(t, "x")[2:]
	t.Cleanup(func() {
		st, err := keyctl.Open(context.Background(), keyctl.WithName(name))
		if err == nil {
			_, _ = st.Delete(context.Background(), secret.Attributes{})
			st.Close()
		}
		if id := keyctlSearch(name); id != "" {
			for _, ring := range []string{"@s", "@u"} {
				_ = exec.Command("keyctl", "unlink", id, ring).Run()
			}
		}
	})
	return name
}

// keyctlSearch asks the real keyctl tool for our keyring's serial.
func keyctlSearch(name string) string {
	for _, ring := range []string{"@s", "@u"} {
		if out, err := exec.Command("keyctl", "search", ring, "keyring", name).Output(); err == nil {
			return strings.TrimSpace(string(out))
		}
	}
	return ""
}

func TestKeyringEngineOnKeyctl(t *testing.T) {
	name := keyctlName(t, "mp-vault-test-")
	vaulttest.Run(t, func(t *testing.T) vault.Engine {
		e := vault.NewKeyringEngine(openKeyctl(t, name))
		if e.Info().Persistent {
			t.Error("keyctl reported persistent")
		}
		return e
	}, vaulttest.Options{MaxValue: 16 << 10})

	// The real keyctl tool finds our keyring and, in it, the key holding
	// the secret with its schema.
	v := vault.New(vault.NewKeyringEngine(openKeyctl(t, name)))
	defer v.Close()
	p := vaulttest.MustPath(t, vaulttest.UniqueScope(t, "org"), "seen_by_keyctl")
	if err := v.Set(vaulttest.Ctx(t), p, secret.NewString("kernel-held")); err != nil {
		t.Fatal(err)
	}
	ring := keyctlSearch(name)
	if ring == "" {
		t.Fatalf("keyctl search does not find keyring %s", name)
	}
	out, err := exec.Command("keyctl", "rlist", ring).Output()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, id := range strings.Fields(string(out)) {
		payload, err := exec.Command("keyctl", "pipe", id).Output()
		if err == nil && strings.Contains(string(payload), vault.KeyringSchema) && strings.Contains(string(payload), p.Scope()) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no key in keyring %s (keys %s) holds %s", ring, out, p)
	}
}

func TestSingleEntryOnKeyctl(t *testing.T) {
	name := keyctlName(t, "mp-vault-se-")
	vaulttest.Run(t, func(t *testing.T) vault.Engine {
		e, err := vault.OpenSingleEntry(openKeyctl(t, name), "suite")
		if err != nil {
			t.Fatal(err)
		}
		return e
	}, vaulttest.Options{MaxValue: 8 << 10})
}
