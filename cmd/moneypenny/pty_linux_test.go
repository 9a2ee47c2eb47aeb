package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/keyctl"
)

// ptyRun is moneypenny running with a pseudo-terminal as its controlling
// terminal and its stdin, stdout and stderr, as in an interactive shell.
type ptyRun struct {
	t      *testing.T
	master *os.File
	slave  *os.File
	cmd    *exec.Cmd
	done   chan struct{}

	mu  sync.Mutex
	out strings.Builder
}

// openPTY opens a new pseudo-terminal pair through /dev/ptmx.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		testpeer.Missing(t, "no pseudo-terminals (/dev/ptmx): "+err.Error())
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		t.Fatalf("open the pty's terminal: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

func startPTY(t *testing.T, env []string, args ...string) *ptyRun {
	t.Helper()
	m, s := openPTY(t)
	cmd := exec.Command(commandFor(t, env), args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &ptyRun{t: t, master: m, slave: s, cmd: cmd, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := m.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *ptyRun) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the terminal has shown want.
func (p *ptyRun) waitFor(want string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.output(), want) {
		if time.Now().After(deadline) {
			p.t.Fatalf("the terminal never showed %q; it shows %q", want, p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *ptyRun) echoOn() bool {
	p.t.Helper()
	tio, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
	if err != nil {
		p.t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// waitEcho waits until the terminal's echo is off (false) or on (true):
// the prompt turns it off just after printing itself.
func (p *ptyRun) waitEcho(on bool) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for p.echoOn() != on {
		if time.Now().After(deadline) {
			p.t.Fatalf("echo never turned on=%v", on)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *ptyRun) typeIn(s string) {
	p.t.Helper()
	if _, err := p.master.WriteString(s); err != nil {
		p.t.Fatal(err)
	}
}

// wait returns the exit code; a death by signal is 128+signal, as in a shell.
func (p *ptyRun) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("moneypenny still running; the terminal shows %q", p.output())
	}
	// What it wrote last may still be on its way through the master side
	// (the test keeps the terminal open, so there is no end of file).
	for prev := ""; prev != p.output(); {
		prev = p.output()
		time.Sleep(100 * time.Millisecond)
	}
	ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// promptEnv is a file keyring environment without MONEYPENNY_PASSWORD, so
// that the password is asked for on the terminal.
func promptEnv(t *testing.T, path string) []string {
	return setEnv(fileEnv(t, path, "unused"), "MONEYPENNY_PASSWORD", unset)
}

// Every signal that can end a hidden prompt leaves the terminal echoing.
func TestPromptRestoresEchoOnSignals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.keyring")
	must(t, noTTY(t, fileEnv(t, path, "pw"), "s", "store", "--label=L", "a", "b"), 0)
	for _, tc := range []struct {
		name string
		send func(p *ptyRun)
		sig  syscall.Signal
	}{
		{"Ctrl-C", func(p *ptyRun) { p.typeIn("\x03") }, syscall.SIGINT},
		{"Ctrl-backslash", func(p *ptyRun) { p.typeIn("\x1c") }, syscall.SIGQUIT},
		{"SIGHUP", func(p *ptyRun) { p.cmd.Process.Signal(syscall.SIGHUP) }, syscall.SIGHUP},
		{"SIGTERM", func(p *ptyRun) { p.cmd.Process.Signal(syscall.SIGTERM) }, syscall.SIGTERM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPTY(t, promptEnv(t, path), "lookup", "a", "b")
			p.waitFor("Password for the keyring: ")
			p.waitEcho(false)
			tc.send(p)
			code := p.wait()
			if !p.echoOn() {
				t.Fatalf("echo is still off after %s; the terminal shows %q", tc.name, p.output())
			}
			if want := 128 + int(tc.sig); code != want {
				t.Errorf("exit %d after %s, want %d; the terminal shows %q", code, tc.name, want, p.output())
			}
			if strings.Contains(p.output(), "goroutine ") {
				t.Errorf("a Go stack trace after %s: %q", tc.name, p.output())
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		p := startPTY(t, promptEnv(t, path), "--timeout", "500ms", "lookup", "a", "b")
		p.waitFor("Password for the keyring: ")
		if code := p.wait(); code != 1 || !p.echoOn() {
			t.Fatalf("prompt timeout: exit %d, echo on %v; the terminal shows %q", code, p.echoOn(), p.output())
		}
	})
	// The prompt itself still works, and what is typed is not shown.
	p := startPTY(t, promptEnv(t, path), "lookup", "a", "b")
	p.waitFor("Password for the keyring: ")
	p.waitEcho(false)
	p.typeIn("pw\r")
	if code := p.wait(); code != 0 || !strings.Contains(p.output(), "s") || strings.Contains(p.output(), "pw") {
		t.Fatalf("lookup through the prompt: exit %d, terminal %q", code, p.output())
	}
}

// A keyring created on a terminal asks for its password twice; a mismatch
// or an empty password creates nothing.
func TestNewKeyringAsksTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.keyring")
	env := promptEnv(t, path)
	store := func() *ptyRun {
		// The secret comes from stdin as well: the keyring's password is
		// asked for first, then the secret.
		p := startPTY(t, env, "store", "--label=L", "a", "b")
		p.waitFor("Password for the new keyring: ")
		return p
	}
	p := store()
	p.typeIn("first\r")
	p.waitFor("Repeat the password: ")
	p.typeIn("typo\r")
	if code := p.wait(); code != 1 || !strings.Contains(p.output(), "do not match") {
		t.Fatalf("mismatched passwords: exit %d, terminal %q", code, p.output())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a mismatch created the keyring: %v", err)
	}
	p = store()
	p.typeIn("\r")
	p.waitFor("Repeat the password: ")
	p.typeIn("\r")
	if code := p.wait(); code != 1 || !strings.Contains(p.output(), "is empty") {
		t.Fatalf("an empty password: exit %d, terminal %q", code, p.output())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("an empty password created the keyring: %v", err)
	}
	p = store()
	p.typeIn("chosen\r")
	p.waitFor("Repeat the password: ")
	p.typeIn("chosen\r")
	p.waitFor("Password: ") // the secret
	p.typeIn("the secret\r")
	if code := p.wait(); code != 0 {
		t.Fatalf("store with matching passwords: exit %d, terminal %q", code, p.output())
	}
	if got := must(t, noTTY(t, setEnv(env, "MONEYPENNY_PASSWORD", "chosen"), "", "lookup", "a", "b"), 0).stdout; got != "the secret" {
		t.Fatalf("lookup with the chosen password = %q", got)
	}
	// An existing keyring is asked for once.
	p = startPTY(t, env, "lookup", "a", "b")
	p.waitFor("Password for the keyring: ")
	p.typeIn("chosen\r")
	if code := p.wait(); code != 0 || strings.Contains(p.output(), "Repeat") {
		t.Fatalf("lookup: exit %d, terminal %q", code, p.output())
	}
	// Enter at an existing keyring's prompt is an empty password: refused.
	p = startPTY(t, env, "lookup", "a", "b")
	p.waitFor("Password for the keyring: ")
	p.typeIn("\r")
	if code := p.wait(); code != 1 || !strings.Contains(p.output(), "the password typed at the terminal is empty") {
		t.Fatalf("Enter at the prompt: exit %d, terminal %q", code, p.output())
	}
}

// With a warm unlock cache and no password supplied, change-password still
// asks for the current password and checks it.
func TestChangePasswordAsksCurrentWithWarmCache(t *testing.T) {
	if err := keyctl.Probe(t.Context()); err != nil {
		testpeer.Missing(t, "kernel keyrings: "+err.Error())
	}
	path := filepath.Join(t.TempDir(), "k.keyring")
	env := privateSession(t, setEnv(promptEnv(t, path), "MONEYPENNY_UNLOCK_CACHE", unset))
	t.Cleanup(func() { noTTY(t, env, "", "lock") })
	must(t, noTTY(t, setEnv(env, "MONEYPENNY_PASSWORD", "right"), "s", "store", "--label=L", "a", "b"), 0)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := startPTY(t, env, "change-password")
	p.waitFor("Current password for the keyring: ")
	p.typeIn("wrong\r")
	if code := p.wait(); code != 1 || !strings.Contains(p.output(), "the password typed at the terminal") || !strings.Contains(p.output(), "is wrong") {
		t.Fatalf("change-password with a wrong current password: exit %d, terminal %q", code, p.output())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a wrong current password changed the file")
	}
	p = startPTY(t, env, "change-password")
	p.waitFor("Current password for the keyring: ")
	p.typeIn("right\r")
	p.waitFor("New password: ")
	p.typeIn("newer\r")
	p.waitFor("Repeat the new password: ")
	p.typeIn("newer\r")
	if code := p.wait(); code != 0 {
		t.Fatalf("change-password: exit %d, terminal %q", code, p.output())
	}
	must(t, noTTY(t, setEnv(env, "MONEYPENNY_PASSWORD", "newer"), "", "lookup", "a", "b"), 0)
}
