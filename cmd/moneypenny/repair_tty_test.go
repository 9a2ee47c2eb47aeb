//go:build linux

package main

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// repairOnTerminal runs `moneypenny repair` with stdin on a terminal (see
// openPTY) and types answer once the question is on stderr.
func repairOnTerminal(t *testing.T, env []string, answer string) result {
	t.Helper()
	ctl, term := openPTY(t)
	cmd := exec.Command(moneypennyBin, "repair")
	cmd.Env = env
	cmd.Stdin = term
	var out bytes.Buffer
	cmd.Stdout = &out
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, ctl) // the terminal's echo
	var stderr bytes.Buffer
	buf := make([]byte, 256)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "[y/N]") {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("no question on stderr: %q", stderr.String())
		}
		n, err := errPipe.Read(buf)
		stderr.Write(buf[:n])
		if err != nil {
			t.Fatalf("stderr ended before the question: %q, stdout %q", stderr.String(), out.String())
		}
	}
	if _, err := ctl.Write([]byte(answer + "\n")); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(errPipe)
	stderr.Write(rest)
	err = cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: stderr.String()}
}

// TestRepairAsksOnATerminal: on a terminal, repair lists the items and
// asks; "n" (or just Enter) removes nothing, "y" removes them.
func TestRepairAsksOnATerminal(t *testing.T) {
	path, env := tamperedKeyring(t)
	before := mustRead(t, path)
	for _, no := range []string{"n", ""} {
		r := repairOnTerminal(t, env, no)
		if r.code != 1 || !strings.Contains(r.stderr, "nothing removed") || !strings.Contains(r.stdout, "(attributes: service)") {
			t.Fatalf("answer %q: %+v", no, r)
		}
		if !bytes.Equal(before, mustRead(t, path)) {
			t.Fatalf("answer %q changed the file", no)
		}
	}
	r := repairOnTerminal(t, env, "y")
	if r.code != 0 || !strings.Contains(r.stdout, "removed 2 item(s)") {
		t.Fatalf("answer y: %+v", r)
	}
	if got := must(t, mp(t, env, "", "lookup", "service", "good"), 0).stdout; got != "secret good" {
		t.Fatalf("the readable item after repair: %q", got)
	}
}
