package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The unlock cache lives in the kernel keyring, which every root process on
// the machine shares, and `moneypenny lock` clears all of it: tests that
// need a warm cache run their commands in a session keyring of their own.
// The test binary doubles as the wrapper that joins it: run with these two
// variables set, it joins the named session keyring and execs moneypenny.
const (
	sessionKeyringEnv = "MONEYPENNY_TEST_SESSION_KEYRING"
	sessionExecEnv    = "MONEYPENNY_TEST_SESSION_EXEC"
)

// runAsSessionWrapper does the wrapper's job when asked to; TestMain calls
// it first. It returns only when not asked.
func runAsSessionWrapper() {
	name, prog := os.Getenv(sessionKeyringEnv), os.Getenv(sessionExecEnv)
	if name == "" || prog == "" {
		return
	}
	// The session keyring is a per-thread credential: join and exec on
	// the same OS thread.
	runtime.LockOSThread()
	if _, err := unix.KeyctlJoinSessionKeyring(name); err != nil {
		fmt.Fprintf(os.Stderr, "join session keyring %s: %v\n", name, err)
		os.Exit(125)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, sessionKeyringEnv+"=") && !strings.HasPrefix(kv, sessionExecEnv+"=") {
			env = append(env, kv)
		}
	}
	err := unix.Exec(prog, append([]string{prog}, os.Args[1:]...), env)
	fmt.Fprintf(os.Stderr, "exec %s: %v\n", prog, err)
	os.Exit(125)
}

// privateSession returns env with which the commands of one test run in a
// session keyring of their own (see runCommand), kept alive between them by
// a link from the user keyring and removed when the test ends.
func privateSession(t testing.TB, env []string) []string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	name := "moneypenny-test-session-" + hex.EncodeToString(b)
	id, err := unix.AddKey("keyring", name, nil, unix.KEY_SPEC_USER_KEYRING)
	if err != nil {
		t.Fatalf("create a session keyring for the test: %v", err)
	}
	t.Cleanup(func() { _, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0) })
	// Joining by name looks the keyring up without possession, so the
	// owner needs search permission besides the possessor's.
	const possessorAll, ownerViewReadSearch = 0x3f000000, 0x000b0000 // keyctl(2) KEY_POS_ALL, KEY_USR_{VIEW,READ,SEARCH}
	if err := unix.KeyctlSetperm(id, possessorAll|ownerViewReadSearch); err != nil {
		t.Fatalf("set the test session keyring's permissions: %v", err)
	}
	return append(append([]string(nil), env...), sessionKeyringEnv+"="+name, sessionExecEnv+"="+moneypennyBin)
}

// commandFor is the program that runs moneypenny with env: the test binary
// as the session wrapper when env asks for a private session.
func commandFor(t testing.TB, env []string) string {
	for _, kv := range env {
		if strings.HasPrefix(kv, sessionKeyringEnv+"=") {
			self, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			return self
		}
	}
	return moneypennyBin
}
