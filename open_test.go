package keyring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envMap makes a getenv from pairs; everything else is unset.
func envMap(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func hostRoot(t *testing.T) string {
	t.Helper()
	return t.TempDir() // no .flatpak-info: not sandboxed
}

func TestOpenWithoutSessionBusListsEveryBackend(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Open(ctx, WithEnv(envMap("HOME", t.TempDir())), withRoot(hostRoot(t)))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open with no bus = %v, want ErrUnavailable", err)
	}
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("error is %T, want *UnavailableError", err)
	}
	msg := err.Error()
	for _, want := range []string{"secret-service:", "DBUS_SESSION_BUS_ADDRESS", "file:", "keyctl:", "keychain:", "credential-manager:", "MONEYPENNY_BACKEND"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("Open waited for the context instead of failing")
	}
}

func TestOpenWithDeadBusIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dead := "unix:path=" + filepath.Join(t.TempDir(), "no-bus-here")
	_, err := Open(ctx, WithEnv(envMap("HOME", t.TempDir(), "DBUS_SESSION_BUS_ADDRESS", dead)), withRoot(hostRoot(t)))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open on a dead bus = %v, want ErrUnavailable", err)
	}
}

func TestForcedBackendNeverFallsBack(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, WithBackend(SecretService), WithEnv(envMap("HOME", t.TempDir())), withRoot(hostRoot(t)))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("forced secret-service without a bus = %v, want ErrUnavailable", err)
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		t.Fatal("a forced backend must report its own failure, not the detection summary")
	}
}

func TestUnknownBackendName(t *testing.T) {
	_, err := Open(context.Background(), WithEnv(envMap("MONEYPENNY_BACKEND", "gnome")), withRoot(hostRoot(t)))
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "credential-manager") {
		t.Fatalf("unknown backend = %v", err)
	}
}

func TestEnvForcesFileBackend(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "k.keyring")
	kr, err := Open(ctx, WithEnv(envMap("MONEYPENNY_BACKEND", "file", "MONEYPENNY_KEYRING", path,
		"MONEYPENNY_PASSWORD", "pw", "HOME", t.TempDir())), withRoot(hostRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	info := kr.Backend()
	if info.Name != File || !info.Persistent || info.Location != path || !strings.Contains(info.Note, "MONEYPENNY_BACKEND") {
		t.Fatalf("Backend() = %+v", info)
	}
	if _, err := kr.CreateItem(ctx, "l", Attributes{"a": "b"}, NewSecret([]byte("s")), Replace); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keyring file: %v %v", fi, err)
	}
	v, err := kr.Lookup(ctx, Attributes{"a": "b"})
	if err != nil || string(v.Bytes()) != "s" {
		t.Fatalf("Lookup = %v", err)
	}
}

func TestFileBackendWithoutPasswordSaysHow(t *testing.T) {
	_, err := Open(context.Background(), WithBackend(File), WithPath(filepath.Join(t.TempDir(), "k")),
		WithEnv(envMap("HOME", t.TempDir())), withRoot(hostRoot(t)))
	if err == nil || !strings.Contains(err.Error(), "MONEYPENNY_PASSWORD") {
		t.Fatalf("file backend with no password = %v", err)
	}
}

func TestEnvForcesKeyctlBackend(t *testing.T) {
	ctx := context.Background()
	kr, err := Open(ctx, WithEnv(envMap("MONEYPENNY_BACKEND", "keyctl")), withRoot(hostRoot(t)))
	if err != nil {
		t.Fatalf("keyctl: %v", err)
	}
	defer kr.Close()
	if info := kr.Backend(); info.Name != Keyctl || info.Persistent {
		t.Fatalf("keyctl Backend() = %+v; it must report itself non-persistent", info)
	}
}

func TestDefaultFilePathIsNotGnomeKeyringsDirectory(t *testing.T) {
	c := newConfig([]Option{WithEnv(envMap("HOME", "/home/u"))})
	p, err := c.defaultFilePath()
	if err != nil || p != "/home/u/.local/share/moneypenny/default.keyring" {
		t.Fatalf("default path %q, %v", p, err)
	}
	c = newConfig([]Option{WithEnv(envMap("HOME", "/home/u", "XDG_DATA_HOME", "/data"))})
	if p, _ := c.defaultFilePath(); p != "/data/moneypenny/default.keyring" {
		t.Fatalf("with XDG_DATA_HOME: %q", p)
	}
}

func TestDiagnoseWithoutBus(t *testing.T) {
	d, err := Diagnose(context.Background(), WithEnv(envMap("HOME", t.TempDir())), withRoot(hostRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	if d.Selected != "" {
		t.Fatalf("selected %q with no bus", d.Selected)
	}
	names := map[string]BackendStatus{}
	for _, b := range d.Backends {
		names[b.Name] = b
	}
	for _, n := range []string{SecretService, File, Keyctl, Keychain, CredentialManager} {
		if _, ok := names[n]; !ok {
			t.Errorf("diagnose does not list %s", n)
		}
	}
	if names[Keyctl].Persistent {
		t.Error("keyctl reported persistent")
	}
	if names[SecretService].Available || !strings.Contains(names[SecretService].Reason, "DBUS_SESSION_BUS_ADDRESS") {
		t.Errorf("secret-service status %+v", names[SecretService])
	}
	if d.Sandbox.Kind != "" || !strings.Contains(d.Portal, "not sandboxed") {
		t.Errorf("sandbox %+v portal %q", d.Sandbox, d.Portal)
	}
}

func TestSecretIsRedacted(t *testing.T) {
	s := NewSecret([]byte("hunter2"))
	for _, out := range []string{s.String(), s.GoString()} {
		if out != "[REDACTED]" {
			t.Fatalf("%q", out)
		}
	}
}

func TestAppIDIsValidated(t *testing.T) {
	home := t.TempDir()
	called := false
	for _, id := range []string{"../x", "org.example/../../x", "org.example.App\nname=evil"} {
		_, err := Open(context.Background(), WithAppID(id), WithEnv(envMap("HOME", home)), withRoot(hostRoot(t)),
			WithAppSecretFunc(func(context.Context, string) (*Secret, error) { called = true; return nil, ErrNotFound }))
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("WithAppID(%q) = %v, want ErrInvalidArgument", id, err)
		}
	}
	if called {
		t.Error("the app secret function was asked for an invalid id")
	}
}

// TestNonUTF8AttributesRefused: attribute names and values that are not
// UTF-8 are refused by every backend (through secret.Attributes.Validate),
// whether the call comes through the Keyring or straight to the backend's
// Store, and nothing is written. They used to be stored and shown lossily.
func TestNonUTF8AttributesRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "utf8.keyring")
	backends := map[string][]Option{
		File: {WithBackend(File), WithPath(path), WithPassword([]byte("pw"))},
	}
	if kr, err := Open(ctx, WithBackend(Keyctl), withRoot(hostRoot(t)), WithEnv(envMap())); err == nil {
		kr.Close()
		backends[Keyctl] = []Option{WithBackend(Keyctl)}
	}
	tag := "mp-utf8-" + time.Now().Format("150405.000000000")
	for name, opts := range backends {
		kr, err := Open(ctx, append(opts, withRoot(hostRoot(t)), WithEnv(envMap("HOME", t.TempDir())))...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, attrs := range []Attributes{{"tag": tag, "k": "caf\xe9"}, {"tag": tag, "k\xff": "v"}} {
			if _, err := kr.CreateItem(ctx, "l", attrs, NewSecret([]byte("s")), Replace); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "UTF-8") {
				t.Errorf("%s: CreateItem(%q) = %v, want ErrInvalidArgument naming UTF-8", name, attrs, err)
			}
			if _, err := kr.Store().CreateItem(ctx, "l", attrs, NewSecret([]byte("s")), true); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("%s: Store().CreateItem(%q) = %v, want ErrInvalidArgument", name, attrs, err)
			}
		}
		it, err := kr.CreateItem(ctx, "l", Attributes{"tag": tag}, NewSecret([]byte("s")), Replace)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := it.SetAttributes(ctx, Attributes{"tag": tag, "k": "\xff"}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: SetAttributes = %v, want ErrInvalidArgument", name, err)
		}
		items, err := kr.SearchItems(ctx, Attributes{"tag": tag})
		if err != nil || len(items) != 1 {
			t.Errorf("%s: %d items, %v; want only the valid one", name, len(items), err)
		}
		if a, _ := it.Attributes(ctx); len(a) != 1 {
			t.Errorf("%s: attributes after a refused change: %q", name, a)
		}
		if err := it.Delete(ctx); err != nil {
			t.Error(err)
		}
		kr.Close()
	}
}
