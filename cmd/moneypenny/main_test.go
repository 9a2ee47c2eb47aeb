package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// moneypennyBin is the CLI built once for the whole test binary, so the
// tests exercise the real program: argv, stdin, exit codes.
var moneypennyBin string

func TestMain(m *testing.M) {
	runAsSessionWrapper() // see session_linux_test.go
	dir, err := os.MkdirTemp("", "moneypenny-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	moneypennyBin = filepath.Join(dir, "moneypenny")
	build := exec.Command("go", "build", "-o", moneypennyBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build moneypenny:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one finished command.
type result struct {
	code           int
	stdout, stderr string
}

// fileEnv is an environment in which moneypenny uses the file keyring at
// path with password pw, and secret-tool uses libsecret's file backend on
// the same file; no bus, a throwaway HOME.
func fileEnv(t *testing.T, path, pw string) []string {
	t.Helper()
	home := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"DBUS_SESSION_BUS_ADDRESS=disabled:",
		"MONEYPENNY_BACKEND=file", "MONEYPENNY_KEYRING=" + path, "MONEYPENNY_PASSWORD=" + pw,
		"MONEYPENNY_UNLOCK_CACHE=0",
		"SECRET_BACKEND=file", "SECRET_FILE_TEST_PATH=" + path, "SECRET_FILE_TEST_PASSWORD=" + pw,
	}
}

func runCmd(t *testing.T, env []string, stdin string, prog string, args ...string) result {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", prog, args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func mp(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	return runCmd(t, env, stdin, moneypennyBin, args...)
}

// secretTool runs secret-tool. A run that hit libsecret's own
// incompatibility with kwalletd (libsecret sends its DH key unpadded about
// one time in 256 and kwalletd refuses it: "Client public key size is
// invalid") is run again.
func secretTool(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	for range 3 {
		r := runCmd(t, env, stdin, secretToolPath(t), args...)
		if !strings.Contains(r.stderr, "Client public key size is invalid") {
			return r
		}
		t.Logf("secret-tool: libsecret sent kwalletd a short DH key; running it again")
	}
	return runCmd(t, env, stdin, secretToolPath(t), args...)
}

func secretToolPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("secret-tool")
	if err != nil {
		testpeer.Missing(t, "secret-tool is not installed (libsecret-tools)")
	}
	return p
}

func must(t *testing.T, r result, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

func TestStoreLookupClear(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw one")
	must(t, mp(t, env, "line one\nline two\n", "store", "--label=Two lines", "service", "s", "user", "u"), 0)
	r := must(t, mp(t, env, "", "lookup", "service", "s", "user", "u"), 0)
	if r.stdout != "line one\nline two\n" {
		t.Fatalf("lookup printed %q: stdin bytes must be kept exactly", r.stdout)
	}
	r = must(t, mp(t, env, "", "lookup", "service", "s", "user", "nobody"), 1)
	if r.stdout != "" || r.stderr != "" {
		t.Fatalf("lookup of nothing printed %+v; secret-tool prints nothing", r)
	}
	must(t, mp(t, env, "", "clear", "service", "s"), 0)
	must(t, mp(t, env, "", "lookup", "service", "s", "user", "u"), 1)
	must(t, mp(t, env, "", "clear", "service", "s"), 1)
}

func TestStoreReplacesExactAttributes(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	must(t, mp(t, env, "first", "store", "--label=A", "k", "v"), 0)
	must(t, mp(t, env, "second", "store", "--label=B", "k", "v"), 0)
	must(t, mp(t, env, "other", "store", "--label=C", "k", "v", "extra", "1"), 0)
	r := must(t, mp(t, env, "", "search", "--all", "k", "v"), 0)
	if n := strings.Count(r.stdout, "label = "); n != 2 {
		t.Fatalf("%d items after replace, want 2:\n%s", n, r.stdout)
	}
	if !strings.Contains(r.stdout, "secret = second") || strings.Contains(r.stdout, "secret = first") {
		t.Fatalf("replace did not replace:\n%s", r.stdout)
	}
}

func TestSearchOutputMatchesSecretTool(t *testing.T) {
	dir := t.TempDir()
	ours := fileEnv(t, filepath.Join(dir, "ours.keyring"), "pw")
	theirs := fileEnv(t, filepath.Join(dir, "theirs.keyring"), "pw")
	for _, env := range [][]string{ours, theirs} {
		must(t, secretTool(t, env, "s3cret", "store", "--label=The label", "service", "svc", "user", "u", "xdg:schema", "org.example.Schema"), 0)
	}
	got := must(t, mp(t, ours, "", "search", "--all", "service", "svc"), 0)
	want := must(t, secretTool(t, theirs, "", "search", "--all", "service", "svc"), 0)
	// Times can differ by a second between the two stores; compare the rest.
	strip := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "created = ") && !strings.HasPrefix(l, "modified = ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(got.stdout) != strip(want.stdout) {
		t.Fatalf("stdout differs from secret-tool's\nours:\n%s\ntheirs:\n%s", got.stdout, want.stdout)
	}
	sortedLines := func(s string) string {
		l := strings.Split(strings.TrimSpace(s), "\n")
		sort.Strings(l)
		return strings.Join(l, "\n")
	}
	if sortedLines(got.stderr) != sortedLines(want.stderr) {
		t.Fatalf("attribute lines differ\nours:\n%s\ntheirs:\n%s", got.stderr, want.stderr)
	}
}

func TestInteropWithSecretTool(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "shared.keyring"), "shared pw")
	// ours -> theirs
	must(t, mp(t, env, "from moneypenny", "store", "--label=Ours", "app", "x", "who", "mp"), 0)
	if r := must(t, secretTool(t, env, "", "lookup", "app", "x", "who", "mp"), 0); r.stdout != "from moneypenny" {
		t.Fatalf("secret-tool read %q", r.stdout)
	}
	// theirs -> ours
	must(t, secretTool(t, env, "from libsecret", "store", "--label=Theirs", "app", "x", "who", "st"), 0)
	if r := must(t, mp(t, env, "", "lookup", "app", "x", "who", "st"), 0); r.stdout != "from libsecret" {
		t.Fatalf("moneypenny read %q", r.stdout)
	}
	// their replace seen by us, our replace seen by them
	must(t, secretTool(t, env, "replaced by libsecret", "store", "--label=Ours v2", "app", "x", "who", "mp"), 0)
	if r := must(t, mp(t, env, "", "lookup", "app", "x", "who", "mp"), 0); r.stdout != "replaced by libsecret" {
		t.Fatalf("moneypenny read %q after secret-tool's replace", r.stdout)
	}
	must(t, mp(t, env, "replaced by moneypenny", "store", "--label=Theirs v2", "app", "x", "who", "st"), 0)
	if r := must(t, secretTool(t, env, "", "lookup", "app", "x", "who", "st"), 0); r.stdout != "replaced by moneypenny" {
		t.Fatalf("secret-tool read %q after our replace", r.stdout)
	}
	r := must(t, secretTool(t, env, "", "search", "--all", "app", "x"), 0)
	if n := strings.Count(r.stdout, "label = "); n != 2 {
		t.Fatalf("replaces created duplicates: %d items\n%s", n, r.stdout)
	}
	// clears, both ways
	must(t, mp(t, env, "", "clear", "who", "st"), 0)
	must(t, secretTool(t, env, "", "lookup", "app", "x", "who", "st"), 1)
	must(t, secretTool(t, env, "", "clear", "who", "mp"), 0)
	must(t, mp(t, env, "", "lookup", "app", "x", "who", "mp"), 1)
}

func TestWrongPasswordChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.keyring")
	good := fileEnv(t, path, "right")
	must(t, mp(t, good, "s", "store", "--label=L", "a", "b"), 0)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := fileEnv(t, path, "wrong")
	r := must(t, mp(t, bad, "intruder", "store", "--label=X", "c", "d"), 1)
	if !strings.Contains(r.stderr, "wrong password") {
		t.Fatalf("stderr %q does not say wrong password", r.stderr)
	}
	if strings.Contains(r.stderr, "intruder") || strings.Contains(r.stderr, "right") {
		t.Fatal("an error message contains secret material")
	}
	must(t, mp(t, bad, "", "lookup", "a", "b"), 1)
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a wrong password changed the file")
	}
}

func TestUsageErrors(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	for _, args := range [][]string{
		{"lookup"},
		{"lookup", "odd"},
		{"store", "a", "b"}, // no label
		{"frobnicate"},
		{},
	} {
		r := mp(t, env, "", args...)
		if r.code != 2 || !strings.Contains(r.stderr, "usage:") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with usage", args, r.code, r.stderr)
		}
	}
}

func TestListJSONHasNoSecrets(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	must(t, mp(t, env, "topsecret-value", "store", "--label=L1", "svc", "a"), 0)
	r := must(t, mp(t, env, "", "list", "--json"), 0)
	if strings.Contains(r.stdout, "topsecret-value") {
		t.Fatal("list printed a secret")
	}
	if !strings.Contains(r.stdout, `"label": "L1"`) || !strings.Contains(r.stdout, `"svc": "a"`) {
		t.Fatalf("list --json: %s", r.stdout)
	}
	r = must(t, mp(t, env, "", "search", "--json", "svc", "a"), 0)
	if !strings.Contains(r.stdout, `"secret": "topsecret-value"`) {
		t.Fatalf("search --json: %s", r.stdout)
	}
}

func TestChangePasswordAndRepair(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.keyring")
	env := fileEnv(t, path, "old pw")
	must(t, mp(t, env, "kept", "store", "--label=L", "a", "b"), 0)
	must(t, mp(t, append(env, "MONEYPENNY_NEW_PASSWORD=new pw"), "", "change-password"), 0)
	must(t, mp(t, env, "", "lookup", "a", "b"), 1)
	newEnv := fileEnv(t, path, "new pw")
	if r := must(t, mp(t, newEnv, "", "lookup", "a", "b"), 0); r.stdout != "kept" {
		t.Fatalf("after change-password: %q", r.stdout)
	}
	// libsecret happily appends an item under another password; repair --yes drops it.
	must(t, secretTool(t, fileEnv(t, path, "stray pw"), "stray", "store", "--label=S", "c", "d"), 0)
	r := must(t, mp(t, newEnv, "", "repair", "--yes"), 0)
	if !strings.Contains(r.stdout, "removed 1 item") {
		t.Fatalf("repair: %q", r.stdout)
	}
	must(t, mp(t, newEnv, "", "lookup", "a", "b"), 0)
}

func TestDiagnoseWithoutBus(t *testing.T) {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	r := must(t, mp(t, env, "", "diagnose"), 0)
	for _, want := range []string{"secret-service", "keyctl", "NOT persistent", "selected: none"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diagnose output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = must(t, mp(t, env, "", "lookup", "a", "b"), 1)
	if !strings.Contains(r.stderr, "MONEYPENNY_BACKEND") {
		t.Fatalf("with no backend the CLI must say which flag or variable to use: %q", r.stderr)
	}
}
