package testpeer

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// secretTool runs libsecret's secret-tool on the host side of b.
func secretTool(t *testing.T, b *Bus, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(testCtx(t), Need(t, "secret-tool")[0], args...)
	cmd.Env = b.Env()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		err = &toolError{ee, string(ee.Stderr)}
	}
	return string(out), err
}

type toolError struct {
	*exec.ExitError
	stderr string
}

func (e *toolError) Error() string { return e.ExitError.Error() + ": " + e.stderr }

func TestGnomeKeyringLoginUnlocked(t *testing.T) {
	b := NewBus(t)
	k := b.StartGnomeKeyring(t, "login-pw")
	ctx := testCtx(t)

	p, err := k.DefaultCollection(ctx)
	if err != nil || p != "/org/freedesktop/secrets/collection/login" {
		t.Fatalf("default alias = %q, %v", p, err)
	}
	var locked dbus.Variant
	err = b.Conn(t).Object(SecretsName, p).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		"org.freedesktop.Secret.Collection", "Locked").Store(&locked)
	if err != nil || locked.Value() != false {
		t.Fatalf("login Locked = %v, %v", locked, err)
	}
	if _, err := os.Stat(filepath.Join(k.Dir, "login.keyring")); err != nil {
		t.Fatalf("no login keyring file: %v", err)
	}

	if _, err := secretTool(t, b, "s3cret", "store", "--label=testpeer", "service", "testpeer"); err != nil {
		t.Fatalf("secret-tool store: %v", err)
	}
	if got, err := secretTool(t, b, "", "lookup", "service", "testpeer"); err != nil || got != "s3cret" {
		t.Fatalf("secret-tool lookup = %q, %v", got, err)
	}

	t.Run("kill-and-restart", func(t *testing.T) {
		k.Kill(t)
		conn := b.Conn(t)
		if HasOwner(ctx, conn, SecretsName) {
			t.Fatal("org.freedesktop.secrets still owned after Kill")
		}
		// The same password unlocks the keyring the first daemon wrote.
		b.StartGnomeKeyring(t, "login-pw")
		if got, err := secretTool(t, b, "", "lookup", "service", "testpeer"); err != nil || got != "s3cret" {
			t.Fatalf("after restart, lookup = %q, %v", got, err)
		}
	})
}

func TestGnomeKeyringWithoutLogin(t *testing.T) {
	b := NewBus(t)
	k := b.StartGnomeKeyringWithoutLogin(t)
	p, err := k.DefaultCollection(testCtx(t))
	if err != nil || p != "/" {
		t.Fatalf("default alias = %q, %v; want / with no login keyring", p, err)
	}
	if k.Password != "" {
		t.Fatalf("Password = %q", k.Password)
	}
}
