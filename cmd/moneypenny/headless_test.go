package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/keyctl"
)

func TestKeyctlBackendWarnsOnWrite(t *testing.T) {
	if err := keyctl.Probe(t.Context()); err != nil {
		testpeer.Missing(t, "kernel keyrings: "+err.Error())
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MONEYPENNY_BACKEND=keyctl"}
	tag := "mp-cli-" + time.Now().Format("150405.000000000")
	r := must(t, mp(t, env, "kernel secret", "store", "--label=K", "test", tag), 0)
	if !strings.Contains(r.stderr, "not persistent") && !strings.Contains(r.stderr, "reboot") {
		t.Errorf("no non-persistence warning on store: %q", r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("the warning is not one line: %q", r.stderr)
	}
	if got := must(t, mp(t, env, "", "lookup", "test", tag), 0).stdout; got != "kernel secret" {
		t.Fatalf("lookup = %q", got)
	}
	must(t, mp(t, env, "", "clear", "test", tag), 0)
	if r := mp(t, env, "", "lookup", "test", tag); r.code != 1 {
		t.Fatalf("lookup after clear: %+v", r)
	}
}

// TestUnlockCache: a store derives the key and caches it. With no password
// supplied, later commands use the cached key and need no prompt; a
// password that is supplied is checked by key derivation, so a wrong one
// fails for every verb, warm cache or not, and change-password cannot re-key
// the file with it; lock drops the cached key.
func TestUnlockCache(t *testing.T) {
	if err := keyctl.Probe(t.Context()); err != nil {
		testpeer.Missing(t, "kernel keyrings: "+err.Error())
	}
	path := filepath.Join(t.TempDir(), "cache.keyring")
	env := privateSession(t, setEnv(fileEnv(t, path, "right password"), "MONEYPENNY_UNLOCK_CACHE", unset))
	withPW := func(pw string) []string { return setEnv(env, "MONEYPENNY_PASSWORD", pw) }
	t.Cleanup(func() { noTTY(t, env, "", "lock") })
	must(t, noTTY(t, withPW("right password"), "cached", "store", "--label=C", "k", "v"), 0)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// No password at all and no terminal: the warm cache spares the prompt.
	if got := must(t, noTTY(t, withPW(unset), "", "lookup", "k", "v"), 0).stdout; got != "cached" {
		t.Fatalf("lookup with a warm cache and no password = %q", got)
	}
	// A wrong password is wrong, warm cache or not, whatever the verb.
	wrong := withPW("wrong password")
	for _, args := range [][]string{
		{"lookup", "k", "v"},
		{"store", "--label=X", "k", "v"},
		{"unlock"},
		{"repair"},
		{"change-password"},
	} {
		r := noTTY(t, setEnv(wrong, "MONEYPENNY_NEW_PASSWORD", "attacker"), "intruder", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "MONEYPENNY_PASSWORD is wrong") {
			t.Errorf("%v with a wrong MONEYPENNY_PASSWORD and a warm cache: %+v", args, r)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a wrong password with a warm cache changed the file")
	}
	if r := noTTY(t, withPW("attacker"), "", "lookup", "k", "v"); r.code != 1 {
		t.Fatalf("change-password with a wrong current password re-keyed the file: %+v", r)
	}
	// change-password checks the current password although the cache is
	// warm; afterwards the old password fails and the cache holds the new key.
	must(t, noTTY(t, setEnv(withPW("right password"), "MONEYPENNY_NEW_PASSWORD", "new password"), "", "change-password"), 0)
	if r := noTTY(t, withPW("right password"), "", "lookup", "k", "v"); r.code != 1 || !strings.Contains(r.stderr, "wrong") {
		t.Fatalf("the old password after change-password: %+v", r)
	}
	if got := must(t, noTTY(t, withPW(unset), "", "lookup", "k", "v"), 0).stdout; got != "cached" {
		t.Fatalf("lookup without a password after change-password = %q", got)
	}
	// lock drops the key: without a password there is nothing to unlock with.
	must(t, noTTY(t, env, "", "lock"), 0)
	r := noTTY(t, withPW(unset), "", "lookup", "k", "v")
	if r.code != 1 || !strings.Contains(r.stderr, "MONEYPENNY_PASSWORD is not set") {
		t.Fatalf("after lock, lookup without a password: %+v", r)
	}
	if got := must(t, noTTY(t, withPW("new password"), "", "lookup", "k", "v"), 0).stdout; got != "cached" {
		t.Fatalf("lookup with the new password = %q", got)
	}
}
