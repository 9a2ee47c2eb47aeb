package testpeer

import (
	"os/exec"
	"strings"
	"testing"
)

func TestNewBusAnswers(t *testing.T) {
	b := NewBus(t)
	if !strings.HasPrefix(b.Address, "unix:path=") {
		t.Fatalf("address %q", b.Address)
	}
	cmd := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames")
	cmd.Env = b.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dbus-send: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "org.freedesktop.DBus") {
		t.Fatalf("ListNames: %s", out)
	}
}
