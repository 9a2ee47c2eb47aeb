//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestServePortalFlatpak: `moneypenny serve` is the desktop's Secret
// Service and, through dist/moneypenny.portal, the real xdg-desktop-portal's
// Secret backend. Inside a fake Flatpak, moneypenny and libsecret's
// secret-tool each get the app's master secret from it and share one keyring
// file; the secret is an item with app_id in the daemon's login.keyring,
// which the host sees over D-Bus.
func TestServePortalFlatpak(t *testing.T) {
	testpeer.Need(t, "secret-tool", "bwrap")
	program := "/usr/libexec/xdg-desktop-portal"
	if _, err := os.Stat(program); err != nil {
		testpeer.Missing(t, "xdg-desktop-portal")
	}
	b := testpeer.NewBus(t)
	startServe(t, b, "portal-pw", nil)
	dir := t.TempDir()
	portal, err := os.ReadFile("../../dist/moneypenny.portal")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "moneypenny.portal"), portal, 0o644); err != nil {
		t.Fatal(err)
	}
	b.Start(testpeer.PortalLog, exec.Command(program, "--verbose"), "XDG_DESKTOP_PORTAL_DIR="+dir, "XDG_CURRENT_DESKTOP=none")
	conn := b.Conn(t)
	if !testpeer.WaitFor(testpeer.StartTimeout, func() bool { return testpeer.HasOwner(t.Context(), conn, testpeer.PortalName) }) {
		t.Fatalf("xdg-desktop-portal did not start:\n%s", b.Log(testpeer.PortalLog))
	}
	d := &desktop{bus: b}
	app := b.Flatpak(t, "org.example.ServeApp")
	must(t, d.in(t, app, "from moneypenny", moneypennyBin, "store", "--label=M", "who", "mp"), 0)
	if r := libsecretIn(t, app, "", "lookup", "who", "mp"); r.stdout != "from moneypenny" {
		t.Fatalf("libsecret in the sandbox: %+v\nportal log:\n%s", r, b.Log(testpeer.PortalLog))
	}
	if r := libsecretIn(t, app, "from libsecret", "store", "--label=L", "who", "ls"); r.code != 0 {
		t.Fatalf("libsecret store: %+v", r)
	}
	if got := must(t, d.in(t, app, "", moneypennyBin, "lookup", "who", "ls"), 0).stdout; got != "from libsecret" {
		t.Fatalf("moneypenny lookup in the sandbox = %q", got)
	}
	// On the host, the app's master secret is an item of login.
	out := must(t, d.onHost(t, "", "secret-tool", "search", "--all", "app_id", "org.example.ServeApp"), 0)
	if !strings.Contains(out.stderr, "attribute.app_id = org.example.ServeApp") ||
		!strings.Contains(out.stdout, "schema = org.freedesktop.portal.Secret") ||
		!strings.Contains(out.stdout, "label = Application key for org.example.ServeApp") {
		t.Fatalf("the app's secret item on the host: %+v", out)
	}
}
