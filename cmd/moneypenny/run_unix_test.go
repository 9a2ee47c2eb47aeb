//go:build !windows

package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
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
	scriptPath, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) is not installed (util-linux)")
	}
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	inner := moneypennyBin + ` run -- sh -c 'test -t 0 && test -t 1 && test -t 2 && echo child-has-tty'`
	cmd := exec.Command(scriptPath, "-qec", inner, "/dev/null")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child-has-tty") {
		t.Fatalf("under a pty: %v\n%s", err, out)
	}
}
