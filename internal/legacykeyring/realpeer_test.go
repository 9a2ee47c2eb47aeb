package legacykeyring

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// TestRealGnomeKeyring has gnome-keyring-daemon write a login.keyring on a
// private bus, through secret-tool, and parses what it wrote after each
// change: many items, an edit, a deletion.
func TestRealGnomeKeyring(t *testing.T) {
	testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool", "dbus-send")
	const password = "real-peer-pw"
	bus := testpeer.NewBus(t)
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--components=secrets",
		"--control-directory="+filepath.Join(bus.Dir, "run", "keyring"), "--unlock")
	cmd.Stdin = strings.NewReader(password)
	bus.Start("gnome-keyring", cmd)
	if !testpeer.WaitFor(10*time.Second, func() bool {
		return exec.Command("dbus-send", "--bus="+bus.Address, "--print-reply", "--dest=org.freedesktop.secrets",
			"/org/freedesktop/secrets", "org.freedesktop.DBus.Peer.Ping").Run() == nil
	}) {
		t.Fatalf("gnome-keyring did not start:\n%s", bus.Log("gnome-keyring"))
	}
	tool := func(stdin string, args ...string) {
		t.Helper()
		c := exec.Command("secret-tool", args...)
		c.Env = bus.Env()
		c.Stdin = strings.NewReader(stdin)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("secret-tool %v: %v: %s", args, err, out)
		}
	}
	file := filepath.Join(bus.DataHome(), "keyrings", "login.keyring")
	parse := func() []Record {
		t.Helper()
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !IsLegacy(data) {
			t.Fatal("gnome-keyring's file is not recognised as v0")
		}
		_, recs, err := Parse(data, []byte(password))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Parse(data, []byte("not-"+password)); !errors.Is(err, secret.ErrWrongPassword) {
			t.Fatalf("wrong password: %v", err)
		}
		return recs
	}
	byUser := func(recs []Record) map[string]Record {
		m := make(map[string]Record)
		for _, r := range recs {
			m[r.Attributes["user"]] = r
		}
		return m
	}

	const n = 20
	long := strings.Repeat("0123456789abcdef", 300) // secrets beyond one AES block
	for i := range n {
		tool(fmt.Sprintf("secret-%d-%s", i, long[:i*200]), "store", fmt.Sprintf("--label=item %d", i),
			"app", "legacy-test", "user", fmt.Sprint(i))
	}
	recs := parse()
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	m := byUser(recs)
	for i := range n {
		r, ok := m[fmt.Sprint(i)]
		if !ok {
			t.Fatalf("item %d missing", i)
		}
		if want := fmt.Sprintf("secret-%d-%s", i, long[:i*200]); string(r.Secret) != want {
			t.Errorf("item %d: wrong secret of %d bytes", i, len(r.Secret))
		}
		if r.Label != fmt.Sprintf("item %d", i) || r.Attributes["app"] != "legacy-test" || len(r.Attributes) != 2 {
			t.Errorf("item %d: label %q attributes %v", i, r.Label, r.Attributes)
		}
		if time.Since(r.Created) > time.Hour || r.Modified.Before(r.Created) {
			t.Errorf("item %d: times %v %v", i, r.Created, r.Modified)
		}
	}

	tool("changed", "store", "--label=item 3", "app", "legacy-test", "user", "3") // replaces
	tool("", "clear", "user", "5")
	m = byUser(parse())
	if len(m) != n-1 || string(m["3"].Secret) != "changed" {
		t.Fatalf("after edit and clear: %d items, item 3 %q", len(m), m["3"].Secret)
	}
	if _, ok := m["5"]; ok {
		t.Error("cleared item still in the file")
	}
}
