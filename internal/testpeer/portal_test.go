package testpeer

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

func TestPortalAndFlatpak(t *testing.T) {
	b := NewBus(t)
	b.StartGnomeKeyring(t, "login-pw")
	p := b.StartPortal(t)
	ctx := testCtx(t)

	if v, err := p.SecretVersion(ctx); err != nil || v != 1 {
		t.Fatalf("Secret portal version = %d, %v\n%s", v, err, tail(p.Log(), 2000))
	}

	const appID = "org.example.TestpeerApp"
	f := b.Flatpak(t, appID)

	t.Run("looks-like-flatpak", func(t *testing.T) {
		out, err := f.Command(ctx, "/bin/sh", "-c",
			`cat /.flatpak-info; echo "id=$FLATPAK_ID data=$XDG_DATA_HOME home=$HOME"; ls "$HOST_XDG_DATA_HOME" 2>&1 || echo hidden`).CombinedOutput()
		if err != nil {
			t.Fatalf("sandbox: %v\n%s", err, out)
		}
		s := string(out)
		for _, want := range []string{
			"[Application]\nname=" + appID + "\n",
			"id=" + appID + " data=" + f.DataHome + " home=" + b.Home() + "\n",
			"hidden\n", // the host's keyrings are not in the sandbox
		} {
			if !strings.Contains(s, want) {
				t.Errorf("sandbox printed\n%s\nwant it to contain %q", s, want)
			}
		}
		if _, err := os.Stat("/.flatpak-info"); err == nil {
			t.Error("/.flatpak-info exists on the real root")
		}
	})

	t.Run("secret-tool-exit-code", func(t *testing.T) {
		// lookup of nothing: exit 1, no output, reported as an ExitError.
		out, err := f.SecretTool(t, "", "lookup", "service", "absent")
		var ee *exec.ExitError
		if out != "" || !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("lookup of nothing = %q, %v", out, err)
		}
	})

	t.Run("libsecret-uses-portal", func(t *testing.T) {
		// Unmodified libsecret inside sees /.flatpak-info and the portal's
		// version 1, and switches to its file backend keyed by the secret
		// the portal hands out for this app.
		if _, err := f.SecretTool(t, "in-the-box", "store", "--label=testpeer", "service", "testpeer-flatpak"); err != nil {
			t.Fatalf("%v\nportal log:\n%s", err, tail(p.Log(), 2000))
		}
		if out, err := f.SecretTool(t, "", "lookup", "service", "testpeer-flatpak"); err != nil || out != "in-the-box" {
			t.Fatalf("secret-tool lookup = %q, %v", out, err)
		}
		if _, err := os.Stat(f.KeyringPath()); err != nil {
			t.Fatalf("libsecret did not write the app's keyring: %v", err)
		}
		// The host's Secret Service never saw the item; it keeps the app's
		// portal secret instead, found by app_id.
		if got, err := secretTool(t, b, "", "lookup", "service", "testpeer-flatpak"); err == nil {
			t.Fatalf("host lookup found the sandbox's item: %q", got)
		}
		var unlocked, locked []dbus.ObjectPath
		err := b.Conn(t).Object(SecretsName, SecretsPath).CallWithContext(ctx,
			"org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"app_id": appID}).Store(&unlocked, &locked)
		if err != nil || len(unlocked)+len(locked) != 1 {
			t.Fatalf("gnome-keyring items with app_id=%s: %v %v %v", appID, unlocked, locked, err)
		}
	})
}

func TestStartPortalNeedsKeyring(t *testing.T) {
	b := NewBus(t)
	ft := &fatalRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		b.StartPortal(ft)
	}()
	if !strings.Contains(ft.msg, "StartGnomeKeyring first") && !ft.skipped {
		t.Fatalf("StartPortal without gnome-keyring: %q", ft.msg)
	}
}
