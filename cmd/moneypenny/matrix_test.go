package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/keyctl"
)

// matrixBackend is one backend the verb matrix runs on: how to run the CLI
// against it and what differs between backends.
type matrixBackend struct {
	name string
	run  func(t *testing.T, stdin string, args ...string) result
	// header matches the [...] line search prints for an item.
	header *regexp.Regexp
	// lockable: lock and unlock work (else they fail as not supported).
	lockable bool
	// volatile: a store warns that the backend is not persistent.
	volatile bool
}

// TestVerbMatrix runs every verb on every backend that runs here: the file
// keyring, the kernel keyring, gnome-keyring's Secret Service (on a private
// bus, with a scripted prompter) and the Windows Credential Manager (the
// Windows build of the CLI under Wine), asserting exit codes and output.
// search used to panic on keyctl and Windows, whose item IDs have no "/".
func TestVerbMatrix(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.keyring")
		env := fileEnv(t, path, "matrix pw")
		b := matrixBackend{name: keyring.File, header: regexp.MustCompile(`^\[no path\]$`), lockable: true,
			run: func(t *testing.T, stdin string, args ...string) result { return mp(t, env, stdin, args...) }}
		verbMatrix(t, b)
		// The verbs only the file keyring has.
		for _, args := range [][]string{{"repair"}, {"repair", "--dry-run"}} {
			if r := must(t, b.run(t, "", args...), 0); !strings.Contains(r.stdout, "nothing to repair") {
				t.Errorf("%v: %q", args, r.stdout)
			}
		}
		src := append(append([]string(nil), env...), "MONEYPENNY_SOURCE_PASSWORD=moneypenny-v1")
		r := must(t, mp(t, src, "", "migrate", "--dry-run", "--from-file", "../../testdata/filekeyring/libsecret-v1.keyring"), 0)
		if !strings.Contains(r.stdout, "would move 3,") {
			t.Errorf("migrate --dry-run: %q", r.stdout)
		}
		must(t, b.run(t, "kept", "store", "--label=K", "keep", "me"), 0)
		must(t, mp(t, append(append([]string(nil), env...), "MONEYPENNY_NEW_PASSWORD=new matrix pw"), "", "change-password"), 0)
		if got := must(t, mp(t, fileEnv(t, path, "new matrix pw"), "", "lookup", "keep", "me"), 0).stdout; got != "kept" {
			t.Errorf("after change-password: %q", got)
		}
		if r := b.run(t, "", "lookup", "keep", "me"); r.code != 1 || !strings.Contains(r.stderr, "wrong password") {
			t.Errorf("old password after change-password: %+v", r)
		}
	})
	t.Run("keyctl", func(t *testing.T) {
		if err := keyctl.Probe(t.Context()); err != nil {
			testpeer.Missing(t, "kernel keyrings: "+err.Error())
		}
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "MONEYPENNY_BACKEND=keyctl", "DBUS_SESSION_BUS_ADDRESS=disabled:"}
		verbMatrix(t, matrixBackend{name: keyring.Keyctl, header: regexp.MustCompile(`^\[[0-9]+\]$`), volatile: true,
			run: func(t *testing.T, stdin string, args ...string) result { return mp(t, env, stdin, args...) }})
	})
	t.Run("secret-service", func(t *testing.T) {
		testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon")
		bus := testpeer.NewBus(t)
		bus.StartGnomeKeyring(t, "login password")
		bus.StartPrompter(t, testpeer.AcceptPrompts("login password"))
		env := bus.Env("MONEYPENNY_UNLOCK_CACHE=0")
		verbMatrix(t, matrixBackend{name: keyring.SecretService, header: regexp.MustCompile(`^\[/[0-9]+\]$`), lockable: true,
			run: func(t *testing.T, stdin string, args ...string) result { return mp(t, env, stdin, args...) }})
	})
	t.Run("credential-manager", func(t *testing.T) {
		env, run := wineCLI(t)
		verbMatrix(t, matrixBackend{name: keyring.CredentialManager, header: regexp.MustCompile(`^\[moneypenny:.+\]$`),
			run: func(t *testing.T, stdin string, args ...string) result { return run(t, env, stdin, args...) }})
	})
}

// wineCLI is the CLI's Windows build run under Wine through the test
// wrapper, and the environment it needs (the Wine prefix's variables).
// Only SKIP_WINE=1, which scripts/test.sh sets where Wine cannot run,
// skips.
func wineCLI(t *testing.T) (env []string, run func(t *testing.T, env []string, stdin string, args ...string) result) {
	t.Helper()
	if os.Getenv("SKIP_WINE") == "1" {
		t.Skip("SKIP_WINE=1: scripts/test.sh leaves Wine out on this machine")
	}
	exe := windowsBinary(t)
	wrapper, err := filepath.Abs("../../scripts/wine/go_windows_amd64_exec")
	if err != nil {
		t.Fatal(err)
	}
	env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MONEYPENNY_WINEPREFIX=") || strings.HasPrefix(kv, "WINE") {
			env = append(env, kv)
		}
	}
	return env, func(t *testing.T, env []string, stdin string, args ...string) result {
		return runCmd(t, env, stdin, wrapper, append([]string{exe}, args...)...)
	}
}

var windowsBuild struct {
	once sync.Once
	exe  string
	err  error
}

// windowsBinary is the CLI cross-built for Windows, once per test binary,
// after checking that Wine and its prefix are usable.
func windowsBinary(t *testing.T) string {
	t.Helper()
	testpeer.Need(t, "wine", "x86_64-w64-mingw32-gcc")
	windowsBuild.once.Do(func() {
		// Next to the Linux build, in the directory TestMain removes.
		windowsBuild.exe = filepath.Join(filepath.Dir(moneypennyBin), "moneypenny.exe")
		build := exec.Command("go", "build", "-o", windowsBuild.exe, ".")
		build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			windowsBuild.err = fmt.Errorf("build for windows: %v: %s", err, out)
			return
		}
		if out, err := exec.Command("../../scripts/wine/wine-prefix.sh").CombinedOutput(); err != nil {
			windowsBuild.err = fmt.Errorf("wine prefix: %v: %s", err, out)
		}
	})
	if windowsBuild.err != nil {
		t.Fatal(windowsBuild.err)
	}
	return windowsBuild.exe
}

// verbMatrix runs every verb once on b, on items tagged uniquely (the
// kernel keyring and the Wine prefix are shared with other tests).
func verbMatrix(t *testing.T, b matrixBackend) {
	tag := fmt.Sprintf("mp-matrix-%s-%d", b.name, time.Now().UnixNano())
	run := b.run

	for _, user := range []string{"a", "b"} {
		r := must(t, run(t, "hidden-"+user, "store", "--label=Matrix "+user, "matrix", tag, "user", user), 0)
		if b.volatile != strings.Contains(r.stderr, "not persistent") || r.stdout != "" {
			t.Errorf("store: stdout %q stderr %q (volatile %v)", r.stdout, r.stderr, b.volatile)
		}
	}
	if r := must(t, run(t, "", "lookup", "matrix", tag, "user", "a"), 0); r.stdout != "hidden-a" || r.stderr != "" {
		t.Errorf("lookup: %+v", r)
	}
	if r := must(t, run(t, "", "lookup", "user", "a", "matrix", tag, "--timeout", "1m"), 0); r.stdout != "hidden-a" {
		t.Errorf("lookup with a trailing option: %+v", r)
	}
	if r := must(t, run(t, "", "lookup", "matrix", tag, "user", "nobody"), 1); r.stdout != "" || r.stderr != "" {
		t.Errorf("lookup of nothing: %+v", r)
	}

	checkBlocks := func(what string, r result, secrets ...string) {
		t.Helper()
		var headers []string
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(l, "[") {
				headers = append(headers, l)
				if !b.header.MatchString(l) {
					t.Errorf("%s: item header %q does not match %s", what, l, b.header)
				}
			}
		}
		if len(headers) != len(secrets) {
			t.Errorf("%s: %d items, want %d:\n%s", what, len(headers), len(secrets), r.stdout)
		}
		for _, s := range secrets {
			if !strings.Contains(r.stdout, "secret = "+s+"\n") {
				t.Errorf("%s: no %q:\n%s", what, s, r.stdout)
			}
		}
		if !strings.Contains(r.stderr, "attribute.matrix = "+tag+"\n") || strings.Contains(r.stderr, "panic") {
			t.Errorf("%s: stderr %q", what, r.stderr)
		}
	}
	checkBlocks("search", must(t, run(t, "", "search", "matrix", tag, "user", "a"), 0), "hidden-a")
	checkBlocks("search --all", must(t, run(t, "", "search", "--all", "matrix", tag), 0), "hidden-a", "hidden-b")
	checkBlocks("search --unlock", must(t, run(t, "", "search", "matrix", tag, "--unlock", "--all"), 0), "hidden-a", "hidden-b")
	if r := must(t, run(t, "", "search", "matrix", tag, "user", "nobody"), 0); r.stdout != "" {
		t.Errorf("search of nothing: %+v", r)
	}

	var items []map[string]any
	r := must(t, run(t, "", "search", "--json", "--all", "matrix", tag), 0)
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 2 {
		t.Errorf("search --json: %v: %s", err, r.stdout)
	}
	for _, it := range items {
		if s, _ := it["secret"].(string); !strings.HasPrefix(s, "hidden-") {
			t.Errorf("search --json item %v", it)
		}
	}
	r = must(t, run(t, "", "list", "--json", "matrix", tag), 0)
	items = nil
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 2 || strings.Contains(r.stdout, "hidden-") {
		t.Errorf("list --json: %v: %s", err, r.stdout)
	}
	r = must(t, run(t, "", "list", "matrix", tag), 0)
	if strings.Count(r.stdout, "label = Matrix ") != 2 || strings.Contains(r.stdout, "hidden-") {
		t.Errorf("list: %s", r.stdout)
	}

	if b.lockable {
		must(t, run(t, "", "lock"), 0)
		checkBlocks("search --unlock after lock", must(t, run(t, "", "search", "--unlock", "--all", "matrix", tag), 0), "hidden-a", "hidden-b")
		must(t, run(t, "", "lock"), 0)
		must(t, run(t, "", "unlock"), 0)
	} else {
		for _, verb := range []string{"lock", "unlock"} {
			if r := must(t, run(t, "", verb), 1); !strings.Contains(r.stderr, "not supported") {
				t.Errorf("%s: %q", verb, r.stderr)
			}
		}
	}
	if r := must(t, run(t, "", "lookup", "matrix", tag, "user", "b"), 0); r.stdout != "hidden-b" {
		t.Errorf("lookup after lock and unlock: %+v", r)
	}

	if b.name != keyring.File {
		for _, args := range [][]string{{"repair"}, {"change-password"}, {"migrate", "--from-file", "x.keyring"}} {
			if r := must(t, run(t, "", args...), 1); !strings.Contains(r.stderr, "works on the file keyring") {
				t.Errorf("%v on %s: %q", args, b.name, r.stderr)
			}
		}
	}
	if r := must(t, run(t, "", "diagnose"), 0); !strings.Contains(r.stdout, "selected: "+b.name) {
		t.Errorf("diagnose:\n%s", r.stdout)
	}
	var diag struct {
		Selected string `json:"selected"`
	}
	r = must(t, run(t, "", "diagnose", "--json"), 0)
	if err := json.Unmarshal([]byte(r.stdout), &diag); err != nil || diag.Selected != b.name {
		t.Errorf("diagnose --json: %v: %s", err, r.stdout)
	}
	for _, args := range [][]string{{"help", "search"}, {"search", "--help"}, {"--version"}, {"completion", "bash"}} {
		if r := must(t, run(t, "", args...), 0); r.stdout == "" {
			t.Errorf("%v printed nothing", args)
		}
	}
	if r := must(t, run(t, "", "frobnicate"), 2); !strings.Contains(r.stderr, "usage:") {
		t.Errorf("unknown verb: %q", r.stderr)
	}

	vaultMatrix(t, b, tag) // vault_verbs_test.go

	must(t, run(t, "", "clear", "matrix", tag, "user", "a"), 0)
	if r := must(t, run(t, "", "clear", "matrix", tag, "user", "a"), 1); r.stdout != "" || r.stderr != "" {
		t.Errorf("clear of nothing: %+v", r)
	}
	must(t, run(t, "", "lookup", "matrix", tag, "user", "a"), 1)
	must(t, run(t, "", "clear", "matrix", tag), 0)
	must(t, run(t, "", "lookup", "matrix", tag), 1)
}

// TestItemHeader: search's [...] line for every backend's IDs, the macOS
// Keychain's too (which cannot run here); none may panic.
func TestItemHeader(t *testing.T) {
	for _, tc := range []struct{ backend, id, want string }{
		{keyring.SecretService, "/org/freedesktop/secrets/collection/login/2", "/2"},
		{keyring.SecretService, "odd", "odd"},
		{keyring.File, "3", "no path"},
		{keyring.Keyctl, "839101207", "839101207"},
		{keyring.CredentialManager, "moneypenny:service=a/b", "moneypenny:service=a/b"},
		{keyring.Keychain, `"svc"/"acct"`, `"svc"/"acct"`},
		{keyring.Keyctl, "", "no path"},
	} {
		if got := itemHeader(tc.backend, tc.id); got != tc.want {
			t.Errorf("itemHeader(%s, %q) = %q, want %q", tc.backend, tc.id, got, tc.want)
		}
	}
}
