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

// host is a Secret Service provider on a private bus with its default
// collection unlocked, and a client connected to it.
type host struct {
	t    *testing.T
	bus  *testpeer.Bus
	ss   *testpeer.SecretService
	svc  *dbusservice.Service
	coll *dbusservice.Collection
}

// forEachHost runs f as one subtest per provider (gnome-keyring, KeePassXC,
// KWallet), each on its own bus. Under CI=true a provider that is not
// installed fails its subtest.
func forEachHost(t *testing.T, f func(t *testing.T, h *host)) {
	for _, p := range testpeer.Providers() {
		t.Run(string(p), func(t *testing.T) { f(t, startHost(t, p)) })
	}
}

func startHost(t *testing.T, p testpeer.Provider) *host {
	t.Helper()
	testpeer.Need(t, "dbus-daemon", "secret-tool")
	bus := testpeer.NewBus(t)
	h := &host{t: t, bus: bus, ss: bus.StartProvider(t, p)}
	t.Cleanup(func() {
		if t.Failed() {
			log := h.ss.Log()
			if len(log) > 4000 {
				log = "…" + log[len(log)-4000:]
			}
			t.Logf("%s's log:\n%s", p, log)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	svc, err := dbusservice.Connect(ctx, dbusservice.WithAddress(bus.Address))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	h.svc = svc
	if h.coll, err = svc.Collection(ctx, string(h.ss.Collection)); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *host) is(p testpeer.Provider) bool { return h.ss.Provider == p }

func pairs(kv []string) secret.Attributes {
	a := secret.Attributes{}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i]] = kv[i+1]
	}
	return a
}

// tool runs secret-tool with extra env (the file backend) and returns its
// stdout.
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

// store writes an item on the host's default collection, replacing the
// one with exactly these attributes, as secret-tool store does.
func (h *host) store(label, value string, attrs ...string) {
	h.t.Helper()
	if _, err := h.coll.Create(ctxT(h.t), label, pairs(attrs), secret.NewString(value), true); err != nil {
		h.t.Fatalf("store %s on %s: %v", label, h.ss.Provider, err)
	}
}

// lookup returns the host's secret for attrs, "" when there is none.
func (h *host) lookup(attrs ...string) string {
	h.t.Helper()
	ctx := ctxT(h.t)
	items, err := h.coll.Search(ctx, pairs(attrs))
	if err != nil {
		h.t.Fatalf("search %v on %s: %v", attrs, h.ss.Provider, err)
	}
	if len(items) == 0 {
		return ""
	}
	v, err := items[0].Secret(ctx)
	if err != nil {
		h.t.Fatalf("secret of %v on %s: %v", attrs, h.ss.Provider, err)
	}
	defer v.Wipe()
	return string(v.Bytes())
}

// fileLookup reads the file keyring with libsecret's own file backend.
func (h *host) fileLookup(path, password string, attrs ...string) string {
	h.t.Helper()
	out, _ := h.tool("", []string{"SECRET_BACKEND=file", "SECRET_FILE_TEST_PATH=" + path,
		"SECRET_FILE_TEST_PASSWORD=" + password}, append([]string{"lookup"}, attrs...)...)
	return out
}

// lock locks the default collection the way each provider allows: through
// the Secret Service, or for KeePassXC through its own interface (what the
// user's "Lock databases" does).
func (h *host) lock() {
	h.t.Helper()
	if h.is(testpeer.KeePassXCProvider) {
		h.ss.KeePassXC.Lock(h.t)
		return
	}
	if err := h.coll.Lock(ctxT(h.t)); err != nil {
		h.t.Fatalf("lock: %v", err)
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
	forEachHost(t, func(t *testing.T, h *host) {
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
			// The copy carries exactly the attributes the application
			// stored, none of those KeePassXC adds to every entry (its Uuid
			// would make a re-stored item look like a different one).
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
	})
}

func TestMigrateNoQuery(t *testing.T) {
	forEachHost(t, func(t *testing.T, h *host) {
		dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
		if _, err := Migrate(ctxT(t), h.svc, dst, nil, Options{}); !errors.Is(err, secret.ErrInvalidArgument) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestMigrateOneCollection(t *testing.T) {
	forEachHost(t, func(t *testing.T, h *host) {
		ctx := ctxT(t)
		h.store("in default", "d", "app", "mp-coll")
		dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
		// The provider's own collection, named by its path.
		rep, err := Migrate(ctx, h.svc, dst, []secret.Attributes{{"app": "mp-coll"}}, Options{Collection: string(h.ss.Collection), DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := labels(rep.Moved); len(got) != 1 || got[0] != "in default" {
			t.Fatalf("moved %v from %s", got, h.ss.Collection)
		}
		if _, err := Migrate(ctx, h.svc, dst, []secret.Attributes{{"app": "mp-coll"}}, Options{Collection: "mp-no-such-collection"}); err == nil {
			t.Fatal("a collection the host does not have was accepted")
		}
		if h.lookup("app", "mp-coll") != "d" {
			t.Fatal("the host item changed")
		}

		if !h.is(testpeer.GnomeKeyringProvider) {
			h.ss.CannotHeadlessly(t, "hold a second collection", "CreateCollection opens its new-database or new-wallet wizard, a GUI dialog")
		}
		if _, err := h.tool("s", nil, "store", "--collection=session", "--label=in session", "app", "mp-coll"); err != nil {
			t.Fatal(err)
		}
		rep, err = Migrate(ctx, h.svc, dst, []secret.Attributes{{"app": "mp-coll"}}, Options{Collection: "session", Keep: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := labels(rep.Moved); len(got) != 1 || got[0] != "in session" {
			t.Fatalf("moved %v", got)
		}
	})
}

// TestWriteFailureKeepsHost makes the durable write impossible: the file's
// directory is replaced by a regular file after opening (which stops root
// too, unlike a read-only mode). Every host item must stay.
func TestWriteFailureKeepsHost(t *testing.T) {
	forEachHost(t, func(t *testing.T, h *host) {
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
	})
}

// TestLockedWithoutPrompter locks the host collection; with no prompter on
// the bus gnome-keyring dismisses the unlock prompt, so the items are
// reported as failed and nothing changes.
func TestLockedWithoutPrompter(t *testing.T) {
	forEachHost(t, func(t *testing.T, h *host) {
		switch h.ss.Provider {
		case testpeer.KeePassXCProvider:
			h.ss.CannotHeadlessly(t, "dismiss an unlock prompt", "its Secret Service unlock prompt is a GUI dialog nobody can answer offscreen")
		case testpeer.KWalletProvider:
			h.ss.CannotHeadlessly(t, "dismiss an unlock prompt", "kwalletd5 completes the prompt itself for the harness's empty wallet password; any other password opens a GUI dialog")
		}
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
	})
}

// TestLockedUnlockedThroughPrompt locks the host collection; the host's
// unlock prompt succeeds (on gnome-keyring the scripted prompter types the
// login password, kwalletd5 completes it itself for the empty wallet
// password), and the items move.
func TestLockedUnlockedThroughPrompt(t *testing.T) {
	forEachHost(t, func(t *testing.T, h *host) {
		if h.is(testpeer.KeePassXCProvider) {
			h.ss.CannotHeadlessly(t, "unlock through the Secret Service", "its unlock prompt is a GUI dialog nobody can answer offscreen")
		}
		ctx := ctxT(t)
		h.store("Locked", "sl", "app", "mp-locked")
		h.lock()
		var prompter *testpeer.Prompter
		if h.is(testpeer.GnomeKeyringProvider) {
			prompter = h.bus.StartPrompter(t, testpeer.AcceptPrompts(testpeer.GnomeKeyringPassword))
		}
		dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
		rep, err := Migrate(ctx, h.svc, dst, []secret.Attributes{{"app": "mp-locked"}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Moved) != 1 || len(rep.Failed) != 0 {
			t.Fatalf("report %+v", rep)
		}
		if prompter != nil && len(prompter.Prompts()) == 0 {
			t.Error("no unlock prompt reached the prompter")
		}
		recs := records(t, dst)
		if len(recs) != 1 || string(recs[0].Secret.Bytes()) != "sl" {
			t.Fatalf("file holds %d records", len(recs))
		}
		if h.lookup("app", "mp-locked") != "" {
			t.Error("the host item is still there")
		}
	})
}

// TestImportFileV0 imports the login.keyring the real gnome-keyring of the
// test wrote, and the committed fixture.
func TestImportFileV0(t *testing.T) {
	h := startHost(t, testpeer.GnomeKeyringProvider)
	ctx := ctxT(t)
	h.store("From v0", "v0-secret", "app", "mp-v0")
	src := filepath.Join(h.bus.DataHome(), "keyrings", "login.keyring")
	path := filepath.Join(t.TempDir(), "k.keyring")
	dst := openDst(t, path)

	if _, err := ImportFile(ctx, dst, src, []byte("wrong"), Options{}); !errors.Is(err, secret.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	rep, err := ImportFile(ctx, dst, src, []byte(testpeer.GnomeKeyringPassword), Options{})
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
	rep, err = ImportFile(ctx, dst, src, []byte(testpeer.GnomeKeyringPassword), Options{})
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

// TestLockedHostHidesItems locks KeePassXC's database, which then answers
// every search with nothing: without a way to unlock it (auto-unlock off
// here; KeePassXC's unlock prompt is a GUI dialog) the migration, dry run
// included, fails with ErrLocked instead of reporting nothing to move, and
// nothing is written or deleted.
func TestLockedHostHidesItems(t *testing.T) {
	h := startHost(t, testpeer.KeePassXCProvider)
	ctx := ctxT(t)
	h.store("Hidden", "sh", "app", "mp-hidden")
	h.lock()
	svc, err := dbusservice.Connect(ctx, dbusservice.WithAddress(h.bus.Address), dbusservice.WithAutoUnlock(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
	for _, dry := range []bool{true, false} {
		rep, err := Migrate(ctx, svc, dst, []secret.Attributes{{"app": "mp-hidden"}}, Options{DryRun: dry})
		if !errors.Is(err, secret.ErrLocked) {
			t.Fatalf("dry run %v of a locked KeePassXC database: %+v, %v; want ErrLocked", dry, rep, err)
		}
	}
	if n := len(records(t, dst)); n != 0 {
		t.Fatalf("%d records written", n)
	}
	h.ss.KeePassXC.Unlock(t)
	if h.lookup("app", "mp-hidden") != "sh" {
		t.Fatal("the host item is gone")
	}
}
