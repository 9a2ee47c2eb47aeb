package portal

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// This file runs the real thing: a private dbus-daemon, gnome-keyring-daemon
// with an unlocked login keyring, the real xdg-desktop-portal using
// gnome-keyring's Secret portal backend, and callers inside a bubblewrap
// sandbox with a fake /.flatpak-info, from which xdg-desktop-portal takes the
// app id exactly as for a real Flatpak app (it reads
// /proc/<caller pid>/root/.flatpak-info). libsecret's own secret-tool runs in
// the same sandbox and must agree with us about the secret. The peers come
// from internal/testpeer.

// realPortal is the running set of peers.
type realPortal struct {
	bus    *testpeer.Bus
	portal *testpeer.Portal
	exe    string // this test binary, re-run inside the sandbox as a probe
}

func startRealPortal(t *testing.T) *realPortal {
	t.Helper()
	testpeer.Need(t, "bwrap") // before starting anything, for a quick skip
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b := testpeer.NewBus(t)
	// The portal backend needs an unlocked default collection (with a
	// locked one it answers Response 2): StartGnomeKeyring creates and
	// unlocks the login keyring.
	b.StartGnomeKeyring(t, "test-password")
	return &realPortal{bus: b, portal: b.StartPortal(t), exe: exe}
}

// sandboxed returns a command that runs argv inside a fake Flatpak of appID
// (testpeer.Flatpak: a /.flatpak-info naming the app, Flatpak's XDG layout
// under ~/.var/app/<id>, the bus socket), with this test binary's directory
// bound in. SECRET_BACKEND and its test variables are gone (testpeer's Env
// drops them), so libsecret decides on its own.
func (p *realPortal) sandboxed(t *testing.T, appID string, argv ...string) *exec.Cmd {
	t.Helper()
	return p.bus.Flatpak(t, appID, filepath.Dir(p.exe)).Command(testCtx(t), argv...)
}

// probeIn runs this test binary as a probe inside appID's sandbox and returns
// what it printed.
func (p *realPortal) probeIn(t *testing.T, appID string) map[string]string {
	t.Helper()
	cmd := p.sandboxed(t, appID, p.exe)
	cmd.Env = append(cmd.Env, probeEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe in %s: %v\n%s\nportal log:\n%s", appID, err, out, tail(p.portal.Log(), 2000))
	}
	kv := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	return kv
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestRealPortal(t *testing.T) {
	p := startRealPortal(t)
	const appA, appB = "org.example.MoneypennyA", "org.example.MoneypennyB"
	ctx := testCtx(t)

	t.Run("host", func(t *testing.T) {
		if v, err := Version(ctx, WithAddress(p.bus.Address)); err != nil || v != 1 {
			t.Fatalf("Version = %d, %v", v, err)
		}
		// Unsandboxed callers are served too, all under app id "".
		s, err := RetrieveSecret(ctx, WithAddress(p.bus.Address))
		if err != nil {
			t.Fatalf("%v\nportal log:\n%s", err, tail(p.portal.Log(), 2000))
		}
		if s.Len() != SecretLen {
			t.Fatalf("%d bytes", s.Len())
		}
	})

	a1 := p.probeIn(t, appA)
	t.Run("sandbox-detected", func(t *testing.T) {
		if a1["kind"] != KindFlatpak || a1["appid"] != appA || a1["version"] != "1" {
			t.Fatalf("probe saw %v", a1)
		}
		if want := AppKeyringPath(p.bus.Home(), appA); a1["keyring"] != want {
			t.Fatalf("KeyringPath inside = %s, AppKeyringPath outside = %s", a1["keyring"], want)
		}
	})
	t.Run("stable-per-app", func(t *testing.T) {
		if len(a1["secret"]) != 2*SecretLen {
			t.Fatalf("secret is %d hex digits", len(a1["secret"]))
		}
		a2 := p.probeIn(t, appA)
		for _, got := range []string{a1["again"], a1["fresh"], a2["secret"], a2["fresh"]} {
			if got != a1["secret"] {
				t.Fatal("the same app got different secrets")
			}
		}
	})
	t.Run("different-per-app", func(t *testing.T) {
		b := p.probeIn(t, appB)
		if len(b["secret"]) != 2*SecretLen || b["secret"] == a1["secret"] {
			t.Fatal("a second app must get its own 64-byte secret")
		}
	})
	t.Run("kept-by-gnome-keyring", func(t *testing.T) {
		// The backend keeps one item per app, found by app_id alone.
		conn := p.bus.Conn(t)
		var unlocked, locked []dbus.ObjectPath
		err := conn.Object(testpeer.SecretsName, testpeer.SecretsPath).
			CallWithContext(ctx, "org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"app_id": appA}).
			Store(&unlocked, &locked)
		if err != nil || len(unlocked)+len(locked) != 1 {
			t.Fatalf("items for app_id=%s: %v %v %v", appA, unlocked, locked, err)
		}
	})
	t.Run("libsecret-agrees", func(t *testing.T) {
		// Unmodified libsecret inside the sandbox switches to its file
		// backend, keyed by the portal secret, at the path we compute.
		// (SecretTool retries a run that hangs on libsecret 0.20.5's own
		// portal race; see testpeer.)
		app := p.bus.Flatpak(t, appA)
		if _, err := app.SecretTool(t, "s3cret", "store", "--label=moneypenny test", "service", "mp-portal-test"); err != nil {
			t.Fatalf("%v\nportal log:\n%s", err, tail(p.portal.Log(), 2000))
		}
		if out, err := app.SecretTool(t, "", "lookup", "service", "mp-portal-test"); err != nil || out != "s3cret" {
			t.Fatalf("secret-tool lookup: %q %v", out, err)
		}
		path := AppKeyringPath(p.bus.Home(), appA)
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("libsecret did not write %s: %v", path, err)
		}
		a, _ := hex.DecodeString(a1["secret"])
		if !keyedBy(t, file, a, "mp-portal-test") {
			t.Fatal("libsecret's file is not keyed by the secret we retrieved")
		}
		b, _ := hex.DecodeString(p.probeIn(t, appB)["secret"])
		if keyedBy(t, file, b, "mp-portal-test") {
			t.Fatal("negative control: another app's secret must not fit")
		}
	})
}

// keyedBy reports whether a libsecret v1 keyring file was written with
// password pw, without a full parser: the file stores each attribute value as
// HMAC-SHA256(key, value), where key = PBKDF2-HMAC-SHA256(pw, salt, iterations,
// 16) with the salt and iteration count from the file's header. Finding that
// MAC for a value we stored proves the key, and so the password, is the same.
func keyedBy(t *testing.T, file, pw []byte, value string) bool {
	t.Helper()
	magic := []byte("GnomeKeyring\n\r\x00\n")
	if !bytes.HasPrefix(file, magic) || len(file) < 60 || file[16] != 1 || file[17] != 0 {
		t.Fatalf("not a libsecret v1 keyring file (%d bytes)", len(file))
	}
	// GVariant (uayutua(...)) from offset 18: salt length, salt, then the
	// iteration count aligned to 4 from the start of the GVariant.
	gv := file[18:]
	saltLen := int(binary.LittleEndian.Uint32(gv))
	off := 4 + saltLen
	off = (off + 3) &^ 3
	if off+4 > len(gv) {
		t.Fatal("short header")
	}
	salt := gv[4 : 4+saltLen]
	iter := int(binary.LittleEndian.Uint32(gv[off:]))
	key, err := pbkdf2.Key(sha256.New, string(pw), salt, iter, 16)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(value))
	return bytes.Contains(file, mac.Sum(nil))
}
