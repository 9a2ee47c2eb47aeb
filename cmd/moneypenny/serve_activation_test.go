//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestServeDBusActivation: with the shipped activation file
// (dist/org.freedesktop.secrets.service, only the binary's path changed)
// in the bus's service directory, the first client starts the daemon: the
// session bus needs no running provider, and nothing else was started by
// hand. The daemon exits with the bus.
func TestServeDBusActivation(t *testing.T) {
	var pid uint32
	// Registered before the bus, so run after it stopped: the daemon must
	// not outlive it.
	t.Cleanup(func() {
		if pid == 0 {
			return
		}
		if !testpeer.WaitFor(20*time.Second, func() bool {
			// Gone, or a zombie nobody reaped (it was dbus-daemon's child).
			stat, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
			_, rest, _ := strings.Cut(string(stat), ") ")
			return err != nil || strings.HasPrefix(rest, "Z")
		}) {
			t.Errorf("the activated daemon (pid %d) outlived its bus", pid)
		}
	})
	b := testpeer.NewBus(t)
	shipped, err := os.ReadFile("../../dist/org.freedesktop.secrets.service")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(shipped), "Exec=/usr/local/bin/moneypenny serve") {
		t.Fatalf("the activation file's Exec line changed:\n%s", shipped)
	}
	service := strings.ReplaceAll(string(shipped), "/usr/local/bin/moneypenny", moneypennyBin)
	if err := os.WriteFile(filepath.Join(b.Dir, "services", "org.freedesktop.secrets.service"), []byte(service), 0o644); err != nil {
		t.Fatal(err)
	}
	// What a session manager (systemd, gnome-session) exports to the bus
	// before anything is activated; the password stands for the systemd
	// credential, which the plain bus has no way to pass.
	conn := b.Conn(t)
	env := map[string]string{"HOME": b.Home(), "XDG_DATA_HOME": b.DataHome(), "XDG_RUNTIME_DIR": filepath.Join(b.Dir, "run"),
		"XDG_CONFIG_HOME": filepath.Join(b.Dir, "config"), "MONEYPENNY_PASSWORD": "activated-pw",
		"DISPLAY": "", "WAYLAND_DISPLAY": "", "SSH_ASKPASS": "", "MONEYPENNY_ASKPASS": ""}
	if err := conn.BusObject().Call("org.freedesktop.DBus.UpdateActivationEnvironment", 0, env).Err; err != nil {
		t.Fatalf("UpdateActivationEnvironment: %v", err)
	}
	if r := stool(t, b.Env(), "activated", "store", "--label=A", "activation", "1"); r.code != 0 {
		t.Fatalf("store with an activatable service: %+v\nbus log:\n%s", r, b.Log("dbus-daemon"))
	}
	if r := stool(t, b.Env(), "", "lookup", "activation", "1"); r.stdout != "activated" {
		t.Fatalf("lookup: %+v", r)
	}
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.freedesktop.secrets").Store(&pid); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Readlink(filepath.Join("/proc", itoa(pid), "exe"))
	if exe != moneypennyBin {
		t.Fatalf("org.freedesktop.secrets is served by %s, want the activated %s", exe, moneypennyBin)
	}
	recs, err := filekeyring.ReadFile(filepath.Join(b.DataHome(), "keyrings", "login.keyring"), []byte("activated-pw"))
	if err != nil || len(recs) != 1 {
		t.Fatalf("login.keyring of the activated daemon: %d items, %v", len(recs), err)
	}
}

func itoa(u uint32) string { return strconv.FormatUint(uint64(u), 10) }

// TestServeSystemdUnit: the shipped user unit passes systemd-analyze verify
// (syntax, directives, sandboxing options this systemd knows), with its
// ExecStart pointed at the binary under test, and runs `moneypenny serve`
// as Type=dbus on the Secret Service name.
func TestServeSystemdUnit(t *testing.T) {
	analyze := testpeer.Need(t, "systemd-analyze")[0]
	shipped, err := os.ReadFile("../../dist/moneypenny.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(shipped)
	for _, want := range []string{"ExecStart=/usr/local/bin/moneypenny serve", "Type=dbus", "BusName=org.freedesktop.secrets", "LimitCORE=0"} {
		if !strings.Contains(unit, want) {
			t.Fatalf("the unit lacks %q:\n%s", want, unit)
		}
	}
	path := filepath.Join(t.TempDir(), "moneypenny.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/moneypenny", moneypennyBin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	// Without a running systemd, verify still parses the unit; what it
	// must not print is a complaint about it.
	if err != nil || strings.Contains(string(out), "moneypenny.service:") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
