//go:build linux

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestServeTerminalPrompt: started by hand in a terminal without a
// password, the daemon asks for a new login password twice (the keyring
// does not exist yet) before it serves; what is stored then lands in a file
// under that password.
func TestServeTerminalPrompt(t *testing.T) {
	script := testpeer.Need(t, "script")[0]
	b := testpeer.NewBus(t)
	cmd := exec.Command(script, "-qfec", moneypennyBin+" serve --prompter=terminal", "/dev/null")
	cmd.Env = b.Env()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "tty.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	output := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() {
		time.Sleep(500 * time.Millisecond)
		_, _ = io.WriteString(in, "tty-pw\n")
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(in, "tty-pw\n")
	}()
	conn := b.Conn(t)
	if !testpeer.WaitFor(testpeer.StartTimeout, func() bool { return testpeer.HasOwner(t.Context(), conn, "org.freedesktop.secrets") }) {
		t.Fatalf("no daemon; output:\n%s", output())
	}
	if r := stool(t, b.Env(), "t", "store", "--label=T", "tty", "1"); r.code != 0 {
		t.Fatalf("store: %+v", r)
	}
	path := filepath.Join(b.DataHome(), "keyrings", "login.keyring")
	recs, err := filekeyring.ReadFile(path, []byte("tty-pw"))
	if err != nil || len(recs) != 1 {
		t.Fatalf("the file under the typed password: %v, %v\n%s", recs, err, output())
	}
	if !strings.Contains(output(), "New password for the login keyring") || !strings.Contains(output(), "Repeat") {
		t.Fatalf("prompts: %q", output())
	}
}
