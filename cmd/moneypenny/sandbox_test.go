package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// desktop is a private session bus with gnome-keyring and the real
// xdg-desktop-portal serving gnome-keyring's Secret portal.
type desktop struct {
	bus *testpeer.Bus
}

func startDesktop(t *testing.T) *desktop {
	t.Helper()
	testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool", "bwrap")
	bus := testpeer.NewBus(t)
	bus.StartGnomeKeyring(t, "login password")
	bus.StartPortal(t)
	return &desktop{bus: bus}
}

// in runs argv inside the fake Flatpak f and returns the result.
func (d *desktop) in(t *testing.T, f *testpeer.Flatpak, stdin string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := f.Command(ctx, argv...)
	cmd.Env = append(cmd.Env, "MONEYPENNY_UNLOCK_CACHE=0")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// libsecretIn runs libsecret's secret-tool inside f, retrying the hangs of
// libsecret's own portal race (see testpeer.Flatpak.SecretTool).
func libsecretIn(t *testing.T, f *testpeer.Flatpak, stdin string, args ...string) result {
	t.Helper()
	out, err := f.SecretTool(t, stdin, args...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return result{stdout: out}
	case errors.As(err, &ee):
		return result{code: ee.ExitCode(), stdout: out, stderr: err.Error()}
	default:
		t.Fatalf("secret-tool %v in %s: %v", args, f.AppID, err)
		return result{}
	}
}

// onHost runs a program on the host side of the same desktop.
func (d *desktop) onHost(t *testing.T, stdin, prog string, args ...string) result {
	t.Helper()
	return runCmd(t, d.bus.Env("MONEYPENNY_UNLOCK_CACHE=0"), stdin, prog, args...)
}

func TestFlatpakSharesWithLibsecret(t *testing.T) {
	d := startDesktop(t)
	st := secretToolPath(t)
	one := d.bus.Flatpak(t, "org.example.MpOne")
	two := d.bus.Flatpak(t, "org.example.MpTwo")

	must(t, d.in(t, one, "sandboxed secret", moneypennyBin, "store", "--label=From moneypenny", "app", "mp", "n", "1"), 0)
	if got := must(t, libsecretIn(t, one, "", "lookup", "app", "mp"), 0).stdout; got != "sandboxed secret" {
		t.Fatalf("libsecret in the sandbox reads %q", got)
	}
	must(t, libsecretIn(t, one, "from libsecret", "store", "--label=From libsecret", "app", "mp", "n", "2"), 0)
	if got := must(t, d.in(t, one, "", moneypennyBin, "lookup", "n", "2"), 0).stdout; got != "from libsecret" {
		t.Fatalf("moneypenny in the sandbox reads %q", got)
	}
	if _, err := os.Stat(one.KeyringPath()); err != nil {
		t.Fatalf("no keyring file where libsecret keeps it: %v", err)
	}
	// Nothing landed in the host's collection.
	if r := d.onHost(t, "", st, "search", "--all", "app", "mp"); r.stdout != "" {
		t.Fatalf("sandboxed items leaked to the host collection:\n%s", r.stdout)
	}

	// Another app has another portal secret: the first app's file does
	// not open with it.
	if r := d.in(t, two, "", moneypennyBin, "lookup", "app", "mp"); r.code != 1 || r.stdout != "" {
		t.Fatalf("a second app sees the first one's items: %+v", r)
	}
	data, err := os.ReadFile(one.KeyringPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(two.DataHome+"/keyrings", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(two.KeyringPath(), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := d.in(t, two, "", moneypennyBin, "lookup", "app", "mp"); r.code == 0 || !strings.Contains(r.stderr, "password") {
		t.Fatalf("the first app's file opened with the second app's secret: %+v", r)
	}

	// diagnose inside names the sandbox, the app and the portal.
	diag := must(t, d.in(t, one, "", moneypennyBin, "diagnose"), 0).stdout
	for _, want := range []string{"flatpak", "org.example.MpOne", "portal"} {
		if !strings.Contains(strings.ToLower(diag), strings.ToLower(want)) {
			t.Errorf("diagnose in the sandbox lacks %q:\n%s", want, diag)
		}
	}

	// From the host, --app-id opens the app's keyring with its portal
	// secret from the host Secret Service.
	if got := must(t, d.onHost(t, "", moneypennyBin, "--app-id", "org.example.MpOne", "lookup", "n", "1"), 0).stdout; got != "sandboxed secret" {
		t.Fatalf("--app-id on the host reads %q", got)
	}
	// The app controls its data directory: from the host, a keyring
	// directory owned by someone else is refused.
	dir := filepath.Dir(one.KeyringPath())
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	defer os.Chown(dir, os.Getuid(), os.Getgid())
	if r := d.onHost(t, "", moneypennyBin, "--app-id", "org.example.MpOne", "lookup", "n", "1"); r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "owned by uid 65534") {
		t.Fatalf("--app-id with a keyring directory owned by another user: %+v", r)
	}
}

func TestMigrateIntoFlatpak(t *testing.T) {
	d := startDesktop(t)
	st := secretToolPath(t)
	app := d.bus.Flatpak(t, "org.example.MpMigrate")
	must(t, d.onHost(t, "host-a", st, "store", "--label=A", "app", "mp-mig", "user", "a"), 0)
	must(t, d.onHost(t, "host-b\nline two", st, "store", "--label=B", "app", "mp-mig", "user", "b"), 0)
	must(t, d.onHost(t, "keep me", st, "store", "--label=Other", "app", "unrelated"), 0)

	// A dry run reports and changes nothing.
	r := must(t, d.in(t, app, "", moneypennyBin, "migrate", "--dry-run", "app", "mp-mig"), 0)
	if !strings.Contains(r.stdout, "2") {
		t.Errorf("dry-run summary: %q", r.stdout)
	}
	if _, err := os.Stat(app.KeyringPath()); !os.IsNotExist(err) {
		t.Fatalf("dry run wrote the keyring: %v", err)
	}
	if got := must(t, d.onHost(t, "", st, "lookup", "user", "a"), 0).stdout; got != "host-a" {
		t.Fatalf("dry run touched the host: %q", got)
	}

	must(t, d.in(t, app, "", moneypennyBin, "migrate", "app", "mp-mig"), 0)
	for user, want := range map[string]string{"a": "host-a", "b": "host-b\nline two"} {
		if got := must(t, libsecretIn(t, app, "", "lookup", "app", "mp-mig", "user", user), 0).stdout; got != want {
			t.Errorf("libsecret in the sandbox reads %q for %s", got, user)
		}
		if r := d.onHost(t, "", st, "lookup", "app", "mp-mig", "user", user); r.code != 1 {
			t.Errorf("host item %s still there after the migration", user)
		}
	}
	if got := must(t, d.onHost(t, "", st, "lookup", "app", "unrelated"), 0).stdout; got != "keep me" {
		t.Errorf("unrelated host item: %q", got)
	}
	// A re-run is harmless.
	before, _ := os.ReadFile(app.KeyringPath())
	r = must(t, d.in(t, app, "", moneypennyBin, "migrate", "--json", "app", "mp-mig"), 0)
	if !strings.Contains(r.stdout, "{") {
		t.Errorf("--json report: %q", r.stdout)
	}
	after, _ := os.ReadFile(app.KeyringPath())
	if !bytes.Equal(before, after) {
		t.Error("a re-run with nothing to do rewrote the keyring")
	}
}
