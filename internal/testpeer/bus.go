package testpeer

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Bus is a private session bus with its own throwaway home. Its Env is what a
// peer or a child process under test should run with.
type Bus struct {
	// Address is the bus address, for DBUS_SESSION_BUS_ADDRESS.
	Address string
	// Dir holds home/, data/, config/, cache/, state/, run/ and the
	// daemons' logs.
	Dir string

	t       testing.TB
	mu      sync.Mutex
	procs   []*peer
	keyring *GnomeKeyring // the running gnome-keyring-daemon, if any
}

// NewBus starts dbus-daemon with a config that listens on a socket inside a
// fresh temporary directory and activates nothing. It is stopped, with every
// process started through Start, when the test ends.
func NewBus(t testing.TB) *Bus {
	t.Helper()
	daemon := Need(t, "dbus-daemon")[0]
	// t.TempDir paths can exceed the 108-byte limit of a unix socket path;
	// keep the bus directory short.
	dir, err := os.MkdirTemp("", "mp-bus-")
	if err != nil {
		t.Fatal(err)
	}
	b := &Bus{Dir: dir, t: t}
	t.Cleanup(func() {
		crashed := b.stopAll()
		// A peer that died on its own is the first suspect when a test
		// fails (gnome-keyring aborting, say), and its log is about to be
		// deleted with dir: keep the evidence in the test's output.
		for _, p := range crashed {
			t.Logf("testpeer: %s (pid %d) exited before the harness stopped it: %v; its log:\n%s",
				p.name, p.cmd.Process.Pid, p.err, tail(b.Log(p.name), 4000))
		}
		// A GLib critical in a peer is usually a client (the code under
		// test, or a scripted peer here) sending what the peer did not
		// expect; it is worth seeing even when the test passed.
		if log := b.Log(GnomeKeyringLog); t.Failed() && log != "" {
			t.Logf("testpeer: gnome-keyring's log:\n%s", tail(log, 4000))
		} else if strings.Contains(log, "-CRITICAL **") {
			t.Logf("testpeer: gnome-keyring logged GLib criticals:\n%s", tail(log, 4000))
		}
		_ = os.RemoveAll(dir)
	})
	for _, d := range []string{"home", "data", "config", "cache", "state", "run", "services"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := fmt.Sprintf(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=%s/run/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>%s/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="reply_timeout">60000</limit>
</busconfig>
`, dir, dir)
	confPath := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+confPath, "--nofork", "--nosyslog", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = b.logFile(t, "dbus-daemon")
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	b.track("dbus-daemon", cmd)
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		if s.Scan() {
			line <- strings.TrimSpace(s.Text())
		}
		close(line)
		_, _ = drain(out)
	}()
	select {
	case addr, ok := <-line:
		if !ok || addr == "" {
			t.Fatalf("dbus-daemon printed no address; log in %s", dir)
		}
		b.Address = addr
	case <-time.After(10 * time.Second):
		t.Fatalf("dbus-daemon did not start within 10s")
	}
	return b
}

// Env returns the environment for a process on this bus: the parent's
// environment with the bus address, HOME and XDG directories replaced and the
// variables that could reach a real keyring or display removed.
func (b *Bus) Env(extra ...string) []string {
	drop := map[string]bool{
		"DBUS_SESSION_BUS_ADDRESS": true, "HOME": true, "XDG_DATA_HOME": true,
		"XDG_CONFIG_HOME": true, "XDG_CACHE_HOME": true, "XDG_STATE_HOME": true, "XDG_RUNTIME_DIR": true,
		"FLATPAK_ID": true, "SNAP_NAME": true, "XDG_CURRENT_DESKTOP": true, "GNOME_KEYRING_TEST_PROMPTER": true,
		"GNOME_KEYRING_CONTROL": true, "GNOME_KEYRING_PID": true, "SSH_AUTH_SOCK": true,
		"DISPLAY": true, "WAYLAND_DISPLAY": true, "DBUS_SESSION_BUS_PID": true,
		"DBUS_STARTER_ADDRESS": true, "DBUS_STARTER_BUS_TYPE": true,
		"SECRET_BACKEND": true, "SECRET_FILE_TEST_PATH": true, "SECRET_FILE_TEST_PASSWORD": true,
		"MONEYPENNY_BACKEND": true, "MONEYPENNY_KEYRING": true, "MONEYPENNY_PASSWORD": true,
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	env = append(env,
		"DBUS_SESSION_BUS_ADDRESS="+b.Address,
		"HOME="+b.Home(),
		"XDG_DATA_HOME="+b.DataHome(),
		"XDG_CONFIG_HOME="+filepath.Join(b.Dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(b.Dir, "cache"),
		"XDG_STATE_HOME="+filepath.Join(b.Dir, "state"),
		"XDG_RUNTIME_DIR="+filepath.Join(b.Dir, "run"),
	)
	return append(env, extra...)
}

// Home is the throwaway HOME of this bus's peers.
func (b *Bus) Home() string { return filepath.Join(b.Dir, "home") }

// DataHome is the throwaway XDG_DATA_HOME; gnome-keyring keeps its
// keyrings/ below it.
func (b *Bus) DataHome() string { return filepath.Join(b.Dir, "data") }

// Start runs a long-lived peer with Env(extra...) whose output goes to
// Dir/<name>.log. It is killed when the test ends (and if the test binary
// dies: Pdeathsig).
func (b *Bus) Start(name string, cmd *exec.Cmd, extra ...string) {
	b.t.Helper()
	b.start(b.t, name, cmd, extra...)
}

// start is Start reporting failure to t, which may be a subtest of the test
// that owns the bus; the peer still lives as long as the bus.
func (b *Bus) start(t testing.TB, name string, cmd *exec.Cmd, extra ...string) {
	t.Helper()
	if cmd.Env == nil {
		cmd.Env = b.Env(extra...)
	}
	if cmd.Stdout == nil {
		cmd.Stdout = b.logFile(t, name)
	}
	if cmd.Stderr == nil {
		cmd.Stderr = b.logFile(t, name)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = childAttr()
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	b.track(name, cmd)
}

// Log returns the contents of Dir/<name>.log, for failure messages.
func (b *Bus) Log(name string) string {
	data, _ := os.ReadFile(filepath.Join(b.Dir, name+".log"))
	return string(data)
}

// logFile opens Dir/<name>.log for appending; it stays open as long as the
// bus, since the peer writing to it does.
func (b *Bus) logFile(t testing.TB, name string) *os.File {
	f, err := os.OpenFile(filepath.Join(b.Dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	b.t.Cleanup(func() { _ = f.Close() })
	return f
}

// peer is a started process and what became of it. A goroutine reaps it as
// soon as it exits, so that an exit nobody asked for is known, with its
// status, even if the test never looks.
type peer struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once reaped; err is set by then
	err  error         // cmd.Wait's result
	// asked is set before the harness signals the peer; an exit without it
	// is a crash or a peer giving up on its own.
	asked atomic.Bool
}

func (b *Bus) track(name string, cmd *exec.Cmd) {
	p := &peer{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	b.mu.Lock()
	b.procs = append(b.procs, p)
	b.mu.Unlock()
}

// stopAll ends the peers youngest first, waits for them, and returns those
// that had exited on their own before.
func (b *Bus) stopAll() (crashed []*peer) {
	b.mu.Lock()
	procs := b.procs
	b.procs = nil
	b.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		if procs[i].exited() {
			crashed = append(crashed, procs[i])
			continue
		}
		procs[i].terminate(syscall.SIGTERM)
	}
	return crashed
}

// stop ends one peer started through Start (sig first, SIGKILL if it lingers)
// and forgets it, so that the test's cleanup does not wait for it again.
func (b *Bus) stop(cmd *exec.Cmd, sig os.Signal) {
	b.mu.Lock()
	var found *peer
	for i, p := range b.procs {
		if p.cmd == cmd {
			found = p
			b.procs = append(b.procs[:i:i], b.procs[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	if found != nil {
		found.terminate(sig)
	}
}

// waitExit waits up to timeout for a peer started through Start to exit on
// its own (after being asked to quit over D-Bus, say).
func (b *Bus) waitExit(cmd *exec.Cmd, timeout time.Duration) {
	b.mu.Lock()
	var found *peer
	for _, p := range b.procs {
		if p.cmd == cmd {
			found = p
		}
	}
	b.mu.Unlock()
	if found == nil {
		return
	}
	found.asked.Store(true)
	select {
	case <-found.done:
	case <-time.After(timeout):
	}
}

func (p *peer) exited() bool {
	select {
	case <-p.done:
		return !p.asked.Load()
	default:
		return false
	}
}

// terminate signals p and waits until it is reaped, killing it if it has
// not exited within two seconds: a peer that ignores SIGTERM must not hang
// the test's cleanup.
func (p *peer) terminate(sig os.Signal) {
	p.asked.Store(true)
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// WaitFor polls cond every 20ms until it returns true or timeout passes.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
