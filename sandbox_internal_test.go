package keyring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// flatpakRoot is a root directory that looks sandboxed: it has a
// .flatpak-info.
func flatpakRoot(t *testing.T, appID string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, ".flatpak-info"), []byte("[Application]\nname="+appID+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestSandboxWithoutPortalFallsBackToReachableHost: sandboxed, no Secrets
// portal on the bus, a Secret Service reachable: use it and say why.
func TestSandboxWithoutPortalFallsBackToReachableHost(t *testing.T) {
	testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon")
	bus := testpeer.NewBus(t)
	bus.StartGnomeKeyring(t, "pw")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kr, err := Open(ctx, WithEnv(envMap("HOME", bus.Home(), "DBUS_SESSION_BUS_ADDRESS", bus.Address)),
		withRoot(flatpakRoot(t, "org.example.NoPortal")))
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	info := kr.Backend()
	if info.Name != SecretService || !strings.Contains(info.Note, "no Secrets portal") {
		t.Fatalf("backend %+v, want the host Secret Service with the reason", info)
	}
}

// TestSandboxWithNothingReachable: sandboxed, a bus without portal or
// Secret Service: an unavailable error that names both.
func TestSandboxWithNothingReachable(t *testing.T) {
	testpeer.Need(t, "dbus-daemon")
	bus := testpeer.NewBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Open(ctx, WithEnv(envMap("HOME", bus.Home(), "DBUS_SESSION_BUS_ADDRESS", bus.Address)),
		withRoot(flatpakRoot(t, "org.example.Nothing")))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open = %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"portal", "secret-service"} {
		if !strings.Contains(strings.ToLower(err.Error()), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}
