package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runOpts runs moneypenny in a new session (so it has no controlling
// terminal and /dev/tty cannot be opened, wherever the tests run), with
// extra descriptors from fd 3 on, and kills it after a minute.
func runOpts(t *testing.T, env []string, stdin string, extra []*os.File, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, commandFor(t, env), args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = newSession()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("moneypenny %v still running after a minute; stderr: %s", args, errOut.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("moneypenny %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// noTTY runs moneypenny without a controlling terminal.
func noTTY(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	return runOpts(t, env, stdin, nil, args...)
}

// setEnv returns env with name set to value (or removed when value is
// unset), leaving env itself alone.
func setEnv(env []string, name, value string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	if value != unset {
		out = append(out, name+"="+value)
	}
	return out
}

const unset = "\x00unset"

// wantMessage fails unless stderr names every want and none of the
// misleading hints.
func wantMessage(t *testing.T, what string, r result, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("%s: stderr lacks %q: %q", what, w, r.stderr)
		}
	}
	for _, bad := range []string{"choose a backend", "backend unavailable", "diagnose"} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("%s: a password error says %q: %q", what, bad, r.stderr)
		}
	}
}

func pipeWith(t *testing.T, content string, closeWriter bool) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	if _, err := w.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if closeWriter {
		w.Close()
	}
	return r
}

// --password-fd reads one line, honours --timeout and leaves fds 0-2 open.
func TestPasswordFD(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.keyring")
	env := setEnv(fileEnv(t, path, "unused"), "MONEYPENNY_PASSWORD", unset)
	// fd 0: the first line is the password, the rest the secret.
	must(t, noTTY(t, env, "pw one\nthe secret\nsecond line", "--password-fd", "0", "store", "--label=L", "a", "b"), 0)
	if got := must(t, noTTY(t, setEnv(env, "MONEYPENNY_PASSWORD", "pw one"), "", "lookup", "a", "b"), 0).stdout; got != "the secret\nsecond line" {
		t.Fatalf("after --password-fd 0 store, lookup = %q", got)
	}
	// One line only: what follows is not part of the password.
	r := runOpts(t, env, "", []*os.File{pipeWith(t, "pw one\nnot the password\n", true)}, "--password-fd", "3", "lookup", "a", "b")
	if r.code != 0 || r.stdout != "the secret\nsecond line" {
		t.Fatalf("--password-fd 3 with two lines: %+v", r)
	}
	// A descriptor nobody writes to: --timeout ends the wait.
	r = runOpts(t, env, "", []*os.File{pipeWith(t, "", false)}, "--timeout", "300ms", "--password-fd", "3", "lookup", "a", "b")
	if r.code != 1 {
		t.Fatalf("--password-fd on a silent pipe with --timeout 300ms: %+v", r)
	}
	wantMessage(t, "silent --password-fd", r, "--password-fd 3", "timed out")
	// A wrong one is named.
	r = runOpts(t, env, "", []*os.File{pipeWith(t, "wrong\n", true)}, "--password-fd", "3", "lookup", "a", "b")
	if r.code != 1 {
		t.Fatalf("wrong password on fd 3: %+v", r)
	}
	wantMessage(t, "wrong --password-fd", r, "--password-fd 3", "wrong")
	// A descriptor that is not open.
	r = noTTY(t, env, "", "--password-fd", "9", "lookup", "a", "b")
	if r.code != 1 {
		t.Fatalf("--password-fd 9 (not open): %+v", r)
	}
	wantMessage(t, "closed --password-fd", r, "--password-fd 9", "not open")
}

// An empty password is refused from every input unless asked for.
func TestEmptyPasswordRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.keyring")
	env := fileEnv(t, path, "")
	r := noTTY(t, env, "s", "store", "--label=L", "a", "b")
	if r.code != 1 {
		t.Fatalf("store with MONEYPENNY_PASSWORD empty: %+v", r)
	}
	wantMessage(t, "empty MONEYPENNY_PASSWORD", r, "MONEYPENNY_PASSWORD is empty", "--allow-empty-password", "MONEYPENNY_ALLOW_EMPTY_PASSWORD=1")
	noEnvPW := setEnv(env, "MONEYPENNY_PASSWORD", unset)
	r = runOpts(t, noEnvPW, "s", []*os.File{pipeWith(t, "\n", true)}, "--password-fd", "3", "store", "--label=L", "a", "b")
	if r.code != 1 {
		t.Fatalf("store with an empty line on --password-fd: %+v", r)
	}
	wantMessage(t, "empty --password-fd", r, "--password-fd 3 is empty", "--allow-empty-password")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused empty password created the keyring: %v", err)
	}
	// Asked for explicitly, both ways.
	must(t, noTTY(t, env, "s", "--allow-empty-password", "store", "--label=L", "a", "b"), 0)
	allowed := setEnv(env, "MONEYPENNY_ALLOW_EMPTY_PASSWORD", "1")
	if got := must(t, noTTY(t, allowed, "", "lookup", "a", "b"), 0).stdout; got != "s" {
		t.Fatalf("lookup with an allowed empty password = %q", got)
	}
	// change-password's new password and migrate's source password too.
	r = noTTY(t, setEnv(allowed, "MONEYPENNY_ALLOW_EMPTY_PASSWORD", unset), "", "--allow-empty-password=false", "change-password")
	if r.code != 1 {
		t.Fatalf("change-password of an empty-password keyring without the opt-in: %+v", r)
	}
	env2 := fileEnv(t, filepath.Join(dir, "k2.keyring"), "pw")
	r = noTTY(t, setEnv(env2, "MONEYPENNY_NEW_PASSWORD", ""), "", "change-password")
	if r.code != 1 {
		t.Fatalf("change-password to an empty MONEYPENNY_NEW_PASSWORD: %+v", r)
	}
	wantMessage(t, "empty MONEYPENNY_NEW_PASSWORD", r, "MONEYPENNY_NEW_PASSWORD is empty")
	r = noTTY(t, setEnv(env2, "MONEYPENNY_SOURCE_PASSWORD", ""), "", "migrate", "--from-file", "../../testdata/filekeyring/libsecret-v1.keyring")
	if r.code != 1 {
		t.Fatalf("migrate with an empty MONEYPENNY_SOURCE_PASSWORD: %+v", r)
	}
	wantMessage(t, "empty MONEYPENNY_SOURCE_PASSWORD", r, "MONEYPENNY_SOURCE_PASSWORD is empty")
}

// Every password error names the input to fix, and none sends the user to
// pick another backend.
func TestPasswordErrorsNameTheInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.keyring")
	env := fileEnv(t, path, "right")
	must(t, noTTY(t, env, "s", "store", "--label=L", "a", "b"), 0)

	r := noTTY(t, setEnv(env, "MONEYPENNY_PASSWORD", unset), "", "lookup", "a", "b")
	if r.code != 1 {
		t.Fatalf("lookup with no password and no terminal: %+v", r)
	}
	wantMessage(t, "no password", r, "MONEYPENNY_PASSWORD is not set", "--password-fd", "no terminal")

	r = noTTY(t, setEnv(env, "MONEYPENNY_PASSWORD", "wrong"), "", "lookup", "a", "b")
	wantMessage(t, "wrong MONEYPENNY_PASSWORD", r, "MONEYPENNY_PASSWORD is wrong")

	r = noTTY(t, env, "", "change-password")
	if r.code != 1 {
		t.Fatalf("change-password without a new password: %+v", r)
	}
	wantMessage(t, "change-password without MONEYPENNY_NEW_PASSWORD", r, "MONEYPENNY_NEW_PASSWORD is not set")
	if strings.Contains(r.stderr, "set MONEYPENNY_PASSWORD") {
		t.Errorf("change-password asks for MONEYPENNY_PASSWORD, which is set: %q", r.stderr)
	}

	src := "../../testdata/filekeyring/libsecret-v1.keyring"
	r = noTTY(t, env, "", "migrate", "--from-file", src)
	if r.code != 1 {
		t.Fatalf("migrate --from-file without a source password: %+v", r)
	}
	wantMessage(t, "migrate without MONEYPENNY_SOURCE_PASSWORD", r, "MONEYPENNY_SOURCE_PASSWORD is not set", src)
	r = noTTY(t, setEnv(env, "MONEYPENNY_SOURCE_PASSWORD", "wrong"), "", "migrate", "--from-file", src)
	if r.code != 1 {
		t.Fatalf("migrate --from-file with a wrong source password: %+v", r)
	}
	wantMessage(t, "migrate with a wrong MONEYPENNY_SOURCE_PASSWORD", r, "MONEYPENNY_SOURCE_PASSWORD is wrong")

	// The usage text says where each password comes from.
	usage := noTTY(t, env, "", "help").stdout
	for _, w := range []string{"MONEYPENNY_PASSWORD", "--password-fd", "MONEYPENNY_NEW_PASSWORD", "MONEYPENNY_SOURCE_PASSWORD", "--allow-empty-password"} {
		if !strings.Contains(usage, w) {
			t.Errorf("the usage text does not mention %s:\n%s", w, usage)
		}
	}
}
