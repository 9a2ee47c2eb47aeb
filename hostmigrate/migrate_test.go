package hostmigrate

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

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

const hostPassword = "host-login-pw"

// host is a real gnome-keyring-daemon on a private bus, unlocked with
// hostPassword, and a client connected to it.
type host struct {
	t   *testing.T
	bus *testpeer.Bus
	svc *dbusservice.Service
}

func startHost(t *testing.T) *host {
	t.Helper()
	testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	bus := testpeer.NewBus(t)
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--components=secrets",
		"--control-directory="+filepath.Join(bus.Dir, "run", "keyring"), "--unlock")
	cmd.Stdin = strings.NewReader(hostPassword)
	bus.Start("gnome-keyring", cmd)
	h := &host{t: t, bus: bus}
	if !testpeer.WaitFor(10*time.Second, func() bool {
		return exec.Command("dbus-send", "--bus="+bus.Address, "--print-reply", "--dest=org.freedesktop.secrets",
			"/org/freedesktop/secrets/aliases/default", "org.freedesktop.DBus.Peer.Ping").Run() == nil
	}) {
		t.Fatalf("gnome-keyring did not come up:\n%s", bus.Log("gnome-keyring"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc, err := dbusservice.Connect(ctx, dbusservice.WithAddress(bus.Address))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	h.svc = svc
	return h
}

// tool runs secret-tool against the host (or, with extra env, its file
// backend) and returns its stdout.
func (h *host) tool(stdin string, env []string, args ...string) (string, error) {
	cmd := exec.Command("secret-tool", args...)
	cmd.Env = h.bus.Env(env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil && errb.Len() > 0 {
		err = errors.New(err.Error() + ": " + errb.String())
	}
	return out.String(), err
}

func (h *host) store(label, value string, attrs ...string) {
	h.t.Helper()
	if _, err := h.tool(value, nil, append([]string{"store", "--label=" + label}, attrs...)...); err != nil {
		h.t.Fatalf("secret-tool store %s: %v", label, err)
	}
}

// lookup returns the host's secret for attrs, "" when there is none.
func (h *host) lookup(attrs ...string) string {
	h.t.Helper()
	out, _ := h.tool("", nil, append([]string{"lookup"}, attrs...)...)
	return out
}

// fileLookup reads the file keyring with libsecret's own file backend.
func (h *host) fileLookup(path, password string, attrs ...string) string {
	h.t.Helper()
	out, _ := h.tool("", []string{"SECRET_BACKEND=file", "SECRET_FILE_TEST_PATH=" + path,
		"SECRET_FILE_TEST_PASSWORD=" + password}, append([]string{"lookup"}, attrs...)...)
	return out
}

// lock locks the login collection. secret-tool's lock verb crashes in
// libsecret 0.20.5, so this calls Service.Lock directly.
func (h *host) lock() {
	h.t.Helper()
	out, err := exec.Command("dbus-send", "--bus="+h.bus.Address, "--print-reply", "--dest=org.freedesktop.secrets",
		"/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
		"array:objpath:/org/freedesktop/secrets/collection/login").CombinedOutput()
	if err != nil {
		h.t.Fatalf("lock: %v: %s", err, out)
	}
}

const filePassword = "sandbox-file-pw"

func openDst(t *testing.T, path string) *filekeyring.Keyring {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kr, err := filekeyring.Open(ctx, path, []byte(filePassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Close() })
	return kr
}

func records(t *testing.T, kr *filekeyring.Keyring) []filekeyring.Record {
	t.Helper()
	recs, err := kr.Records(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func labels(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Label)
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestMigrate(t *testing.T) {
	h := startHost(t)
	ctx := ctxT(t)
	h.store("Alice", "secret-a", "app", "mp-test", "user", "alice")
	h.store("Bob", "secret-b\nwith a newline", "app", "mp-test", "user", "bob")
	h.store("Other app", "secret-o", "app", "unrelated")
	path := filepath.Join(t.TempDir(), "keyrings", "default.keyring")
	dst := openDst(t, path)
	queries := []secret.Attributes{{"app": "mp-test"}, {"user": "alice"}} // overlapping on purpose

	// A dry run reports and changes nothing.
	var calls int
	rep, err := Migrate(ctx, h.svc, dst, queries, Options{DryRun: true, Progress: func(done, total int) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Moved) != 2 || len(rep.Failed)+len(rep.Skipped)+len(rep.AlreadyPresent) != 0 {
		t.Fatalf("dry run report %+v", rep)
	}
	if calls == 0 {
		t.Error("Progress never called")
	}
	if n := len(records(t, dst)); n != 0 {
		t.Fatalf("dry run wrote %d records", n)
	}
	if h.lookup("app", "mp-test", "user", "alice") != "secret-a" {
		t.Fatal("dry run touched the host")
	}

	// The real run copies both, once, and deletes them on the host.
	rep, err = Migrate(ctx, h.svc, dst, queries, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Moved) != 2 || len(rep.HostDeleteFailed) != 0 {
		t.Fatalf("report %+v", rep)
	}
	for _, e := range rep.Moved {
		if !strings.HasPrefix(e.HostPath, "/org/freedesktop/secrets/collection/") || e.Attributes["app"] != "mp-test" {
			t.Errorf("entry %+v", e)
		}
	}
	if got := h.fileLookup(path, filePassword, "app", "mp-test", "user", "alice"); got != "secret-a" {
		t.Errorf("libsecret reads %q from the file", got)
	}
	if got := h.fileLookup(path, filePassword, "user", "bob"); got != "secret-b\nwith a newline" {
		t.Errorf("libsecret reads %q from the file", got)
	}
	if h.lookup("app", "mp-test") != "" {
		t.Error("host items still there after the migration")
	}
	if h.lookup("app", "unrelated") != "secret-o" {
		t.Error("unrelated host item was touched")
	}
	recs := records(t, dst)
	if len(recs) != 2 {
		t.Fatalf("%d records in the file", len(recs))
	}
	for _, r := range recs {
		// The copy carries exactly what the host reported, nothing more
		// (secret-tool's items carry no xdg:schema on this gnome-keyring).
		want := secret.Attributes{"app": "mp-test", "user": strings.ToLower(r.Label)}
		if !sameAttributes(r.Attributes, want) {
			t.Errorf("%s: attributes %v, want %v", r.Label, r.Attributes, want)
		}
		if r.Created.IsZero() {
			t.Errorf("%s: no creation time", r.Label)
		}
	}

	// A re-run finds nothing to do.
	rep, err = Migrate(ctx, h.svc, dst, queries, Options{})
	if err != nil || len(rep.Moved)+len(rep.AlreadyPresent)+len(rep.Failed)+len(rep.Skipped) != 0 {
		t.Fatalf("re-run: %+v, %v", rep, err)
	}

	// The same item back on the host (an interrupted earlier run) is
	// recognised, not duplicated, and its host copy removed.
	h.store("Alice", "secret-a", "app", "mp-test", "user", "alice")
	rep, err = Migrate(ctx, h.svc, dst, queries, Options{})
	if err != nil || len(rep.AlreadyPresent) != 1 || len(rep.Moved) != 0 {
		t.Fatalf("already present: %+v, %v", rep, err)
	}
	if n := len(records(t, dst)); n != 2 {
		t.Fatalf("%d records after re-run", n)
	}
	if h.lookup("app", "mp-test") != "" {
		t.Error("host copy of an already-present item kept")
	}

	// A different secret under the same attributes is skipped, then
	// replaced on request.
	h.store("Alice", "secret-a2", "app", "mp-test", "user", "alice")
	rep, err = Migrate(ctx, h.svc, dst, queries, Options{})
	if err != nil || len(rep.Skipped) != 1 || rep.Skipped[0].Reason == "" {
		t.Fatalf("conflict: %+v, %v", rep, err)
	}
	if h.lookup("user", "alice") != "secret-a2" {
		t.Fatal("skipped host item was deleted")
	}
	rep, err = Migrate(ctx, h.svc, dst, queries, Options{Replace: true, Keep: true})
	if err != nil || len(rep.Moved) != 1 {
		t.Fatalf("replace: %+v, %v", rep, err)
	}
	if got := h.fileLookup(path, filePassword, "user", "alice"); got != "secret-a2" {
		t.Errorf("after Replace the file holds %q", got)
	}
	if h.lookup("user", "alice") != "secret-a2" {
		t.Error("Keep did not keep the host item")
	}
	if n := len(records(t, dst)); n != 2 {
		t.Fatalf("%d records after replace", n)
	}
}

func TestMigrateNoQuery(t *testing.T) {
	h := startHost(t)
	dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
	if _, err := Migrate(ctxT(t), h.svc, dst, nil, Options{}); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("err = %v", err)
	}
}

func TestMigrateOneCollection(t *testing.T) {
	h := startHost(t)
	ctx := ctxT(t)
	h.store("in login", "l", "app", "mp-coll")
	if _, err := h.tool("s", nil, "store", "--collection=session", "--label=in session", "app", "mp-coll"); err != nil {
		t.Fatal(err)
	}
	dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
	rep, err := Migrate(ctx, h.svc, dst, []secret.Attributes{{"app": "mp-coll"}}, Options{Collection: "session", Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(rep.Moved); len(got) != 1 || got[0] != "in session" {
		t.Fatalf("moved %v", got)
	}
}

// TestWriteFailureKeepsHost makes the durable write impossible: the file's
// directory is replaced by a regular file after opening (which stops root
// too, unlike a read-only mode). Every host item must stay.
func TestWriteFailureKeepsHost(t *testing.T) {
	h := startHost(t)
	ctx := ctxT(t)
	h.store("A", "sa", "app", "mp-fail", "n", "1")
	h.store("B", "sb", "app", "mp-fail", "n", "2")
	dir := filepath.Join(t.TempDir(), "keyrings")
	dst := openDst(t, filepath.Join(dir, "default.keyring"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("in the way"), 0o400); err != nil {
		t.Fatal(err)
	}
	rep, err := Migrate(ctx, h.svc, dst, []secret.Attributes{{"app": "mp-fail"}}, Options{})
	if err == nil {
		t.Fatalf("write into a non-directory succeeded: %+v", rep)
	}
	if len(rep.Moved) != 0 || len(rep.Failed) != 2 {
		t.Errorf("report %+v", rep)
	}
	if h.lookup("app", "mp-fail", "n", "1") != "sa" || h.lookup("app", "mp-fail", "n", "2") != "sb" {
		t.Fatal("a host item was lost after a failed write")
	}
}

// TestLockedWithoutPrompter locks the host collection; with no prompter on
// the bus gnome-keyring dismisses the unlock prompt, so the items are
// reported as failed and nothing changes.
func TestLockedWithoutPrompter(t *testing.T) {
	h := startHost(t)
	ctx := ctxT(t)
	h.store("Locked", "sl", "app", "mp-locked")
	h.lock()
	dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
	rep, err := Migrate(ctx, h.svc, dst, []secret.Attributes{{"app": "mp-locked"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 || len(rep.Moved) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if n := len(records(t, dst)); n != 0 {
		t.Fatalf("%d records written", n)
	}
}

// TestLockedUnlockedThroughPrompt locks the host collection; the scripted
// prompter types the login password into gnome-keyring's unlock prompt, and
// the items move.
func TestLockedUnlockedThroughPrompt(t *testing.T) {
	h := startHost(t)
	ctx := ctxT(t)
	h.store("Locked", "sl", "app", "mp-locked")
	h.lock()
	prompter := h.bus.StartPrompter(t, testpeer.AcceptPrompts(hostPassword))
	dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
	rep, err := Migrate(ctx, h.svc, dst, []secret.Attributes{{"app": "mp-locked"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Moved) != 1 || len(rep.Failed) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if len(prompter.Prompts()) == 0 {
		t.Error("no unlock prompt reached the prompter")
	}
	recs := records(t, dst)
	if len(recs) != 1 || string(recs[0].Secret.Bytes()) != "sl" {
		t.Fatalf("file holds %d records", len(recs))
	}
	if h.lookup("app", "mp-locked") != "" {
		t.Error("the host item is still there")
	}
}

// TestImportFileV0 imports the login.keyring the real gnome-keyring of the
// test wrote, and the committed fixture.
func TestImportFileV0(t *testing.T) {
	h := startHost(t)
	ctx := ctxT(t)
	h.store("From v0", "v0-secret", "app", "mp-v0")
	src := filepath.Join(h.bus.DataHome(), "keyrings", "login.keyring")
	path := filepath.Join(t.TempDir(), "k.keyring")
	dst := openDst(t, path)

	if _, err := ImportFile(ctx, dst, src, []byte("wrong"), Options{}); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	rep, err := ImportFile(ctx, dst, src, []byte(hostPassword), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(rep.Moved); len(got) != 1 || got[0] != "From v0" {
		t.Fatalf("moved %v", got)
	}
	if got := h.fileLookup(path, filePassword, "app", "mp-v0"); got != "v0-secret" {
		t.Errorf("libsecret reads %q", got)
	}
	if h.lookup("app", "mp-v0") != "v0-secret" {
		t.Error("the source keyring changed")
	}
	rep, err = ImportFile(ctx, dst, src, []byte(hostPassword), Options{})
	if err != nil || len(rep.AlreadyPresent) != 1 || len(rep.Moved) != 0 {
		t.Fatalf("re-import: %+v, %v", rep, err)
	}

	rep, err = ImportFile(ctx, dst, filepath.Join("..", "testdata", "legacykeyring", "login.keyring"), []byte("moneypenny-v0"), Options{})
	if err != nil || len(rep.Moved) != 3 {
		t.Fatalf("fixture: %+v, %v", rep, err)
	}
	if got := h.fileLookup(path, filePassword, "service", "github.com", "username", "alice"); got != "ghp_v0EXAMPLE0123456789" {
		t.Errorf("libsecret reads %q", got)
	}
}
