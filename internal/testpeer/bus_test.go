package testpeer

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
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

// The buses the harness starts offer Debug.Stats, which the match-rule leak
// checks of the client packages rely on.
func TestNewBusCountsMatchRules(t *testing.T) {
	b := NewBus(t)
	conn, err := dbus.Connect(b.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	unique := conn.Names()[0]
	if n := MatchRules(t, conn, unique); n != 0 {
		t.Fatalf("%d match rules on a fresh connection", n)
	}
	rule := []dbus.MatchOption{dbus.WithMatchInterface("org.example.Counted")}
	if err := conn.AddMatchSignal(rule...); err != nil {
		t.Fatal(err)
	}
	if n := MatchRules(t, conn, unique); n != 1 {
		t.Fatalf("%d match rules after adding one", n)
	}
	if err := conn.RemoveMatchSignal(rule...); err != nil {
		t.Fatal(err)
	}
	if st := ConnectionStats(t, conn, unique); st["MatchRules"].Value() != uint32(0) || st["PeakMatchRules"].Value() != uint32(1) {
		t.Fatalf("after removing it: %v", st)
	}
}
