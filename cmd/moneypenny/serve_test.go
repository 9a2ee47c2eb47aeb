//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// daemonProc is a running `moneypenny serve`.
type daemonProc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed once the process is reaped
}

// startServe runs moneypenny serve on the bus with args; password, if not
// empty, goes in on --password-fd 3. It returns once the daemon owns
// org.freedesktop.secrets.
func startServe(t *testing.T, b *testpeer.Bus, password string, args []string, extraEnv ...string) *daemonProc {
	t.Helper()
	cmd := exec.Command(moneypennyBin, append([]string{"serve"}, args...)...)
	cmd.Env = b.Env(extraEnv...)
	log := filepath.Join(t.TempDir(), "serve.log")
	lf, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lf.Close() })
	cmd.Stdout, cmd.Stderr = lf, lf
	if password != "" {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { _, _ = w.WriteString(password); w.Close() }()
		cmd.ExtraFiles = []*os.File{r}
		cmd.Args = append(cmd.Args, "--password-fd", "3")
		defer r.Close()
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	d := &daemonProc{cmd: cmd, log: log, done: done}
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	conn := b.Conn(t)
	pid := uint32(cmd.Process.Pid)
	ok := testpeer.WaitFor(testpeer.StartTimeout, func() bool {
		var owner uint32
		err := conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.freedesktop.secrets").Store(&owner)
		return err == nil && owner == pid
	})
	if !ok {
		data, _ := os.ReadFile(log)
		t.Fatalf("moneypenny serve did not own the name; log:\n%s", data)
	}
	return d
}

func (d *daemonProc) Log() string {
	b, _ := os.ReadFile(d.log)
	return string(b)
}

// stop ends the daemon with SIGTERM and waits.
func (d *daemonProc) stop(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not stop on SIGINT")
	}
}

func stool(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	testpeer.Need(t, "secret-tool")
	return runCmd(t, env, stdin, "secret-tool", args...)
}

// TestServeFilesReadByLibsecret: what clients store through the daemon
// lands in $XDG_DATA_HOME/keyrings/login.keyring, a file libsecret's own
// file backend reads with the same password; SetAlias writes keyrings/default
// as gnome-keyring does; the daemon's warnings name what hardening it could
// not apply.
func TestServeFilesReadByLibsecret(t *testing.T) {
	b := testpeer.NewBus(t)
	d := startServe(t, b, "login-pw", nil)
	env := b.Env()
	if r := stool(t, env, "s3cret", "store", "--label=Via daemon", "service", "serve-test", "user", "alice"); r.code != 0 {
		t.Fatalf("store: %+v\n%s", r, d.Log())
	}
	if r := stool(t, env, "", "lookup", "service", "serve-test"); r.stdout != "s3cret" {
		t.Fatalf("lookup over D-Bus: %+v", r)
	}
	// Our own client through the daemon, too.
	if r := mp(t, append(env, "MONEYPENNY_BACKEND=secret-service"), "", "lookup", "user", "alice"); r.stdout != "s3cret" {
		t.Fatalf("moneypenny lookup through the daemon: %+v", r)
	}
	path := filepath.Join(b.DataHome(), "keyrings", "login.keyring")
	fileEnvironment := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.Home(), "DBUS_SESSION_BUS_ADDRESS=disabled:",
		"SECRET_BACKEND=file", "SECRET_FILE_TEST_PATH=" + path, "SECRET_FILE_TEST_PASSWORD=login-pw"}
	if r := stool(t, fileEnvironment, "", "lookup", "service", "serve-test", "user", "alice"); r.stdout != "s3cret" {
		t.Fatalf("libsecret's file backend on the daemon's file: %+v", r)
	}
	// SetAlias default → a new collection: keyrings/default names it.
	conn := b.Conn(t)
	var coll, prompt dbus.ObjectPath
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	if err := svc.Call("org.freedesktop.Secret.Service.CreateCollection", 0,
		map[string]dbus.Variant{"org.freedesktop.Secret.Collection.Label": dbus.MakeVariant("work")}, "").Store(&coll, &prompt); err != nil {
		t.Fatalf("CreateCollection: %v\n%s", err, d.Log())
	}
	if err := svc.Call("org.freedesktop.Secret.Service.SetAlias", 0, "default", coll).Err; err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(b.DataHome(), "keyrings", "default")); err != nil || string(data) != "work" {
		t.Fatalf("keyrings/default = %q, %v", data, err)
	}
	if r := stool(t, env, "w", "store", "--label=W", "service", "in-work"); r.code != 0 {
		t.Fatalf("store into the new default: %+v", r)
	}
	workEnv := append(fileEnvironment[:len(fileEnvironment)-2:len(fileEnvironment)-2],
		"SECRET_FILE_TEST_PATH="+filepath.Join(b.DataHome(), "keyrings", "work.keyring"), "SECRET_FILE_TEST_PASSWORD=login-pw")
	if r := stool(t, workEnv, "", "lookup", "service", "in-work"); r.stdout != "w" {
		t.Fatalf("work.keyring through libsecret: %+v", r)
	}
	// A restarted daemon serves the same items, and keeps the alias.
	d.stop(t)
	d = startServe(t, b, "login-pw", []string{"--replace"})
	if r := stool(t, env, "", "lookup", "service", "in-work"); r.stdout != "w" {
		t.Fatalf("after restart: %+v\n%s", r, d.Log())
	}
	// Deleting the collection removes its file and the default alias file.
	if err := conn.Object("org.freedesktop.secrets", coll).Call("org.freedesktop.Secret.Collection.Delete", 0).Err; err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"work.keyring", "default"} {
		if _, err := os.Stat(filepath.Join(b.DataHome(), "keyrings", gone)); !os.IsNotExist(err) {
			t.Fatalf("%s after Delete: %v", gone, err)
		}
	}
	var def dbus.ObjectPath
	if err := svc.Call("org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&def); err != nil || def != "/org/freedesktop/secrets/collection/login" {
		t.Fatalf("default after its collection was deleted = %s, %v; want login", def, err)
	}
	d.stop(t)
	d2 := startServe(t, b, "login-pw", []string{"--replace"})
	if r := stool(t, env, "", "lookup", "service", "serve-test"); r.stdout != "s3cret" {
		t.Fatalf("login after restart: %+v\n%s", r, d2.Log())
	}
}

// TestServeEphemeral: --ephemeral serves an unlocked keyring and writes
// nothing at all.
func TestServeEphemeral(t *testing.T) {
	b := testpeer.NewBus(t)
	startServe(t, b, "", []string{"--ephemeral"})
	env := b.Env()
	if r := stool(t, env, "x", "store", "--label=E", "k", "v"); r.code != 0 {
		t.Fatalf("store: %+v", r)
	}
	if r := stool(t, env, "", "lookup", "k", "v"); r.stdout != "x" {
		t.Fatalf("lookup: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(b.DataHome(), "keyrings")); !os.IsNotExist(err) {
		t.Fatalf("--ephemeral created keyrings/: %v", err)
	}
}

// TestServeReplace: a second daemon with --replace takes the name over and
// the first one exits; without --replace the second one refuses.
func TestServeReplace(t *testing.T) {
	b := testpeer.NewBus(t)
	first := startServe(t, b, "", []string{"--ephemeral"})
	r := mp(t, b.Env(), "", "serve", "--ephemeral")
	if r.code == 0 || !strings.Contains(r.stderr, "owned by another service") {
		t.Fatalf("second serve without --replace: %+v", r)
	}
	startServe(t, b, "", []string{"--ephemeral", "--replace"})
	select {
	case <-first.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the replaced daemon did not exit")
	}
	if !strings.Contains(first.Log(), "took org.freedesktop.secrets over") {
		t.Fatalf("replaced daemon's log: %s", first.Log())
	}
}

// TestServeCredential: the password comes from systemd's credential
// directory; a wrong one is refused at start, naming the reason.
func TestServeCredential(t *testing.T) {
	b := testpeer.NewBus(t)
	keyrings := filepath.Join(b.DataHome(), "keyrings")
	ctx := context.Background()
	k, err := filekeyring.Open(ctx, filepath.Join(keyrings, "login.keyring"), []byte("cred-pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateItem(ctx, "pre", secret.Attributes{"pre": "1"}, secret.NewString("existing"), true); err != nil {
		t.Fatal(err)
	}
	k.Close()
	creds := t.TempDir()
	if err := os.WriteFile(filepath.Join(creds, "moneypenny.keyring-password"), []byte("cred-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startServe(t, b, "", nil, "CREDENTIALS_DIRECTORY="+creds)
	if r := stool(t, b.Env(), "", "lookup", "pre", "1"); r.stdout != "existing" {
		t.Fatalf("lookup: %+v", r)
	}
	b2 := testpeer.NewBus(t)
	_ = os.MkdirAll(filepath.Join(b2.DataHome(), "keyrings"), 0o700)
	data, _ := os.ReadFile(filepath.Join(keyrings, "login.keyring"))
	_ = os.WriteFile(filepath.Join(b2.DataHome(), "keyrings", "login.keyring"), data, 0o600)
	if err := os.WriteFile(filepath.Join(creds, "moneypenny.keyring-password"), []byte("wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, b2.Env("CREDENTIALS_DIRECTORY="+creds), "", moneypennyBin, "serve", "--prompter=none")
	if r.code != 1 || !strings.Contains(r.stderr, "wrong password") {
		t.Fatalf("serve with a wrong password: %+v", r)
	}
}

// TestServeGcrPrompter: started without a password, the daemon finds gcr's
// system prompter on the bus (the harness's scripted one, which
// gnome-keyring itself accepts) and asks it when a client unlocks: a wrong
// password is asked again, the right one unlocks, a cancelled dialog is a
// dismissed prompt and leaves the collection locked.
func TestServeGcrPrompter(t *testing.T) {
	b := testpeer.NewBus(t)
	ctx := context.Background()
	seedLogin(t, b, "gcr-pw", "g", secret.Attributes{"g": "1"}, "behind gcr")
	var attempts atomic.Int32
	p := b.StartPrompter(t, func(testpeer.Prompt) testpeer.Answer {
		if attempts.Add(1) == 1 {
			return testpeer.Answer{Continue: true, Password: "wrong"}
		}
		return testpeer.Answer{Continue: true, Password: "gcr-pw"}
	})
	d := startServe(t, b, "", nil)
	if !strings.Contains(d.Log(), "prompter: gcr") {
		t.Fatalf("auto did not pick gcr: %s", d.Log())
	}
	c, err := dbusservice.OpenCollection(ctx, "default", dbusservice.WithAddress(b.Address))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if locked, _ := c.IsLocked(ctx); !locked {
		t.Fatal("login is unlocked without a password")
	}
	if err := c.Unlock(ctx); err != nil {
		t.Fatalf("Unlock through gcr: %v\n%s", err, d.Log())
	}
	if n := attempts.Load(); n != 2 {
		t.Fatalf("%d prompts, want 2 (a wrong password, then the right one)", n)
	}
	if r := stool(t, b.Env(), "", "lookup", "g", "1"); r.stdout != "behind gcr" {
		t.Fatalf("lookup after the unlock: %+v", r)
	}
	if prompts := p.Prompts(); prompts[0].Title != "Unlock Keyring" {
		t.Fatalf("prompt: %+v", prompts[0])
	}
	p.SetAnswer(testpeer.DismissPrompts)
	if err := c.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Unlock(ctx); !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("Unlock with a cancelled dialog: %v, want ErrDismissed", err)
	}
	if locked, _ := c.IsLocked(ctx); !locked {
		t.Fatal("unlocked by a cancelled dialog")
	}
}

// TestServeHardening: run as root (or with an unlimited memlock limit) the
// daemon locks its memory and says so; core dumps are off. Locked is every
// page that could hold a secret: the heap and stacks, whose resident pages
// are all locked, and the writable data of the executable. Once the
// keyring is open the executable's code, clean pages of the file that never
// go to swap, is not locked (see serve_filepages_linux.go).
func TestServeHardening(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("locking needs root or an unlimited RLIMIT_MEMLOCK; the warning path is what a user sees then")
	}
	b := testpeer.NewBus(t)
	fillKeyringFile(t, filepath.Join(b.DataHome(), "keyrings", "login.keyring"), "harden-pw", 20)
	d := startServe(t, b, "harden-pw", nil)
	if !strings.Contains(d.Log(), "hardening: core dumps off, memory locked") {
		t.Fatalf("log: %s", d.Log())
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", d.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// The pages are released in the background once the keyring is open.
	deadline := time.Now().Add(testpeer.StartTimeout)
	for {
		maps := readSmaps(t, d.cmd.Process.Pid)
		var anon, anonLocked, code, codeLocked, data, dataLocked int
		for _, m := range maps {
			switch {
			case m.path == exe && m.perms == "r-xp":
				code += m.rss
				codeLocked += m.locked
			case m.path == exe && m.perms == "rw-p":
				data += m.rss
				dataLocked += m.locked
			case m.droppable:
				// The vDSO getrandom's state (MAP_DROPPABLE): the
				// kernel cannot lock it, and drops it rather than
				// ever writing it to swap.
			case m.path == "" || m.path == "[heap]" || m.path == "[stack]":
				if m.perms == "rw-p" {
					anon += m.rss
					anonLocked += m.locked
				}
			}
		}
		if anon == 0 || anonLocked != anon {
			t.Fatalf("anonymous memory: %d KiB resident, %d KiB locked", anon, anonLocked)
		}
		if data == 0 || dataLocked != data {
			t.Fatalf("the executable's writable data: %d KiB resident, %d KiB locked", data, dataLocked)
		}
		if codeLocked == 0 {
			t.Logf("code: %d KiB resident, none locked", code)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the executable's code is still locked (%d of %d KiB resident)", codeLocked, code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type smapsEntry struct {
	perms, path       string
	size, rss, locked int // KiB
	droppable         bool
}

// readSmaps reads /proc/PID/smaps.
func readSmaps(t *testing.T, pid int) []smapsEntry {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []smapsEntry
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			e := smapsEntry{perms: f[1]}
			if len(f) >= 6 {
				e.path = strings.Join(f[5:], " ")
			}
			out = append(out, e)
			continue
		}
		if len(out) == 0 || len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "Size:":
			out[len(out)-1].size = n
		case "Rss:":
			out[len(out)-1].rss = n
		case "Locked:":
			out[len(out)-1].locked = n
		case "VmFlags:":
			out[len(out)-1].droppable = slices.Contains(f[1:], "dp")
		}
	}
	return out
}

// TestServeAskpass: with --prompter=askpass the unlock password comes from
// the program in MONEYPENNY_ASKPASS (the prompt text is its argument, the
// password its output); a program that exits non-zero is a cancelled
// dialog, a dismissed prompt.
func TestServeAskpass(t *testing.T) {
	b := testpeer.NewBus(t)
	ctx := context.Background()
	seedLogin(t, b, "ask-pw", "a", secret.Attributes{"a": "1"}, "asked")
	dir := t.TempDir()
	answer := filepath.Join(dir, "answer")
	script := filepath.Join(dir, "askpass")
	// Prints the answer file, or fails when there is none; logs the prompt.
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$1\" >> "+dir+"/prompts\nexec cat "+answer+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(answer, []byte("ask-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startServe(t, b, "", []string{"--prompter=askpass"}, "MONEYPENNY_ASKPASS="+script)
	c, err := dbusservice.OpenCollection(ctx, "default", dbusservice.WithAddress(b.Address))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Unlock(ctx); err != nil {
		t.Fatalf("Unlock through askpass: %v", err)
	}
	if r := stool(t, b.Env(), "", "lookup", "a", "1"); r.stdout != "asked" {
		t.Fatalf("lookup: %+v", r)
	}
	if prompts, _ := os.ReadFile(filepath.Join(dir, "prompts")); !strings.Contains(string(prompts), `"Login" keyring`) {
		t.Fatalf("askpass was asked %q", prompts)
	}
	if err := os.Remove(answer); err != nil {
		t.Fatal(err)
	}
	if err := c.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Unlock(ctx); !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("Unlock with a failing askpass: %v, want ErrDismissed", err)
	}
}

// TestServeReplaceGnomeKeyring: gnome-keyring-daemon does not let its name
// be replaced, so --replace fails with a message that says what to do, and
// gnome-keyring keeps serving.
func TestServeReplaceGnomeKeyring(t *testing.T) {
	testpeer.Need(t, "gnome-keyring-daemon")
	b := testpeer.NewBus(t)
	b.StartGnomeKeyring(t, "gk-pw")
	r := runCmd(t, b.Env(), "", moneypennyBin, "serve", "--ephemeral", "--replace")
	if r.code != 1 || !strings.Contains(r.stderr, "does not let itself be replaced") {
		t.Fatalf("serve --replace against gnome-keyring: %+v", r)
	}
	if r := stool(t, b.Env(), "v", "store", "--label=R", "still", "gk"); r.code != 0 {
		t.Fatalf("gnome-keyring no longer serves: %+v", r)
	}
}

// TestServeGcrCallerWindow: the window_id a client passes to Prompt reaches
// gcr's system prompter as caller-window, as gnome-keyring passes it, so
// the desktop parents the dialog to the client's window; an empty one is
// not sent.
func TestServeGcrCallerWindow(t *testing.T) {
	b := testpeer.NewBus(t)
	seedLogin(t, b, "window-pw", "w", secret.Attributes{"w": "1"}, "w")
	p := b.StartPrompter(t, testpeer.AcceptPrompts("window-pw"))
	d := startServe(t, b, "", nil)
	conn := b.Conn(t)
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	login := dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	unlock := func(window string) {
		t.Helper()
		var unlocked []dbus.ObjectPath
		var prompt dbus.ObjectPath
		if err := svc.Call("org.freedesktop.Secret.Service.Unlock", 0, []dbus.ObjectPath{login}).Store(&unlocked, &prompt); err != nil || prompt == "/" {
			t.Fatalf("Unlock: %v, %v, %s\n%s", unlocked, err, prompt, d.Log())
		}
		if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(prompt)); err != nil {
			t.Fatal(err)
		}
		sigs := make(chan *dbus.Signal, 4)
		conn.Signal(sigs)
		defer conn.RemoveSignal(sigs)
		if err := conn.Object("org.freedesktop.secrets", prompt).Call("org.freedesktop.Secret.Prompt.Prompt", 0, window).Err; err != nil {
			t.Fatal(err)
		}
		timeout := time.After(20 * time.Second)
		for {
			select {
			case sig := <-sigs:
				if sig.Path == prompt && sig.Name == "org.freedesktop.Secret.Prompt.Completed" {
					if dismissed, _ := sig.Body[0].(bool); dismissed {
						t.Fatalf("the unlock was dismissed\n%s", d.Log())
					}
					return
				}
			case <-timeout:
				t.Fatalf("no Completed\n%s", d.Log())
			}
		}
	}
	unlock("x11:0x2a00005")
	if got := p.Prompts(); len(got) != 1 || got[0].CallerWindow != "x11:0x2a00005" {
		t.Fatalf("prompts %+v; want one with caller-window x11:0x2a00005", got)
	}
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := svc.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{login}).Store(&locked, &prompt); err != nil {
		t.Fatal(err)
	}
	unlock("")
	got := p.Prompts()
	if len(got) != 2 {
		t.Fatalf("%d prompts, want 2", len(got))
	}
	if v, ok := got[1].Properties["caller-window"]; ok {
		t.Fatalf("caller-window %q sent for an empty window_id", v)
	}
}

// seedLogin writes a login.keyring under password pw into the bus's data
// home with one item, before a daemon starts.
func seedLogin(t *testing.T, b *testpeer.Bus, pw, label string, attrs secret.Attributes, value string) {
	t.Helper()
	ctx := context.Background()
	k, err := filekeyring.Open(ctx, filepath.Join(b.DataHome(), "keyrings", "login.keyring"), []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, err := k.CreateItem(ctx, label, attrs, secret.NewString(value), true); err != nil {
		t.Fatal(err)
	}
}
