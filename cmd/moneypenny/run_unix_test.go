//go:build !windows

package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestRunForwardsSignals: SIGTERM to moneypenny reaches the child, which
// handles it; its exit status comes back.
func TestRunForwardsSignals(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	// A child killed by a signal: 128+N, as a shell reports it.
	must(t, mp(t, env, "", "run", "--", "sh", "-c", "kill -KILL $$"), 128+9)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1} {
		cmd := exec.Command(moneypennyBin, "run", "--", "sh", "-c",
			`trap 'echo got signal; exit 42' TERM INT USR1; echo ready; while :; do sleep 0.05; done`)
		cmd.Env = env
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "ready" {
			t.Fatalf("child did not start: %q", sc.Text())
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		sc.Scan()
		line := sc.Text()
		err = cmd.Wait()
		ee, _ := err.(*exec.ExitError)
		if line != "got signal" || ee == nil || ee.ExitCode() != 42 {
			t.Fatalf("%v: child printed %q, moneypenny exited %v; want the child's trap and status 42", sig, line, err)
		}
	}
}

// TestRunKeepsTheTerminal: on a terminal (a pty from script(1)) the child
// gets the terminal itself, not a pipe, so interactive programs work.
func TestRunKeepsTheTerminal(t *testing.T) {
	scriptPath := testpeer.Need(t, "script")[0] // util-linux: under CI=true, missing fails
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	inner := moneypennyBin + ` run -- sh -c 'test -t 0 && test -t 1 && test -t 2 && echo child-has-tty'`
	cmd := exec.Command(scriptPath, "-qec", inner, "/dev/null")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child-has-tty") {
		t.Fatalf("under a pty: %v\n%s", err, out)
	}
}

// TestVaultSetPromptsHidden: on a terminal, vault set asks for the secret
// by path with echo off; the typed value never shows.
func TestVaultSetPromptsHidden(t *testing.T) {
	scriptPath := testpeer.Need(t, "script")[0] // util-linux: under CI=true, missing fails
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	cmd := exec.Command(scriptPath, "-qec", moneypennyBin+" vault set global/typed", "/dev/null")
	cmd.Env = env
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Type only once the prompt is up, as a person would.
	for i := 0; i < 100 && !strings.Contains(out.String(), "Secret for global/typed: "); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	_, _ = in.Write([]byte("typed-secret\n"))
	_ = in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("vault set on a terminal: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Secret for global/typed: ") || strings.Contains(out.String(), "typed-secret") {
		t.Fatalf("terminal showed %q", out.String())
	}
	if got := must(t, mp(t, env, "", "vault", "get", "global/typed"), 0).stdout; got != "typed-secret" {
		t.Fatalf("stored %q", got)
	}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunDoesNotWaitForGrandchildren: a child that exits leaving a
// background process with the (masked) output pipe open ends the run; the
// grandchild is not waited for.
func TestRunDoesNotWaitForGrandchildren(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	must(t, mp(t, env, "s3cret", "vault", "set", "global/k"), 0)
	cmd := exec.Command(moneypennyBin, "run", "--", "sh", "-c", `sleep 60 & echo "started $K"; exit 5`)
	cmd.Env = append(env, "K=vault://global/k")
	var out lockedBuffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, _ := err.(*exec.ExitError)
		if ee == nil || ee.ExitCode() != 5 || out.String() != "started <concealed by moneypenny>\n" {
			t.Fatalf("run = %v, output %q", err, out.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("run waited for the child's background process")
	}
}
