//go:build linux

package keyctl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"golang.org/x/sys/unix"
)

// Environment of the re-executed test binary.
const (
	// envSession holds the name of the session keyring the process joined
	// before re-executing itself; set, TestMain joins nothing.
	envSession = "MONEYPENNY_KEYCTL_TEST_SESSION"
	// envJoin names the session keyring to join instead of a fresh one
	// ("_uid_ses.0" makes a process look like one without a session).
	envJoin = "MONEYPENNY_KEYCTL_TEST_JOIN"
	// envSeccomp makes TestMain block the keyring system calls with this
	// errno ("ENOSYS" or "EPERM") in a seccomp filter, as Flatpak does.
	envSeccomp = "MONEYPENNY_KEYCTL_TEST_SECCOMP"
	// envHelper selects the TestHelper* function a child process runs.
	envHelper = "MONEYPENNY_KEYCTL_TEST_HELPER"
)

// TestMain gives the whole test process a private session keyring.
//
// The session keyring lives in each thread's credentials, and by the time
// TestMain runs the Go runtime has several threads: joining a keyring here
// would change only the current one. So it joins on a locked thread and
// then execve()s the test binary from that thread, which gives the new
// process image, and every thread it starts, that session keyring (what
// `keyctl session` does). The keyring dies with the test process.
func TestMain(m *testing.M) {
	if e := os.Getenv(envSeccomp); e != "" {
		if err := blockKeyctl(e); err != nil {
			fmt.Fprintln(os.Stderr, "keyctl test: install seccomp filter:", err)
			os.Exit(3)
		}
	} else if os.Getenv(envSession) == "" {
		// On success this does not return.
		err := reexecInSession(os.Getenv(envJoin))
		fmt.Fprintln(os.Stderr, "keyctl test: no private session keyring, keyctl tests will be skipped:", err)
	}
	os.Exit(m.Run())
}

func reexecInSession(name string) error {
	runtime.LockOSThread() // never unlocked: the exec replaces the process
	if name == "" {
		name = "moneypenny-keyctl-test-" + randomHex(6)
	}
	if _, err := unix.KeyctlJoinSessionKeyring(name); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	env := []string{envSession + "=" + name}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envSession+"=") {
			env = append(env, kv)
		}
	}
	return unix.Exec(exe, os.Args, env)
}

// blockKeyctl installs, on every thread, a seccomp filter that fails
// keyctl, add_key and request_key with errno, as Flatpak's does.
func blockKeyctl(errnoName string) error {
	errno := unix.ENOSYS
	if errnoName == "EPERM" {
		errno = unix.EPERM
	}
	var arch uint32
	switch runtime.GOARCH {
	case "amd64":
		arch = unix.AUDIT_ARCH_X86_64
	case "arm64":
		arch = unix.AUDIT_ARCH_AARCH64
	default:
		return fmt.Errorf("no seccomp arch for %s", runtime.GOARCH)
	}
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	prog := []unix.SockFilter{
		{Code: ld, K: 4}, // seccomp_data.arch
		{Code: jeq, Jt: 1, K: arch},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		{Code: ld, K: 0}, // seccomp_data.nr
		{Code: jeq, Jt: 3, K: unix.SYS_KEYCTL},
		{Code: jeq, Jt: 2, K: unix.SYS_ADD_KEY},
		{Code: jeq, Jt: 1, K: unix.SYS_REQUEST_KEY},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(errno)},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return e
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// needSession skips (fails under CI) unless keyrings work and the process
// runs in the private session keyring TestMain set up.
func needSession(t *testing.T) {
	t.Helper()
	if err := Probe(context.Background()); err != nil {
		testpeer.Missing(t, "kernel keyrings: "+err.Error())
	}
	if os.Getenv(envSession) == "" {
		testpeer.Missing(t, "no private session keyring for the test process")
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openTest opens a keyring with a unique name and removes the keyring (and
// with it every item) when the test ends. Unique names matter for the user
// keyring, which every root process on the machine shares.
func openTest(t *testing.T, opts ...Option) *Keyring {
	t.Helper()
	needSession(t)
	name := "moneypenny-test-" + randomHex(6)
	k, err := Open(testCtx(t), append([]Option{WithName(name)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ring, home := k.ring, k.home.id
	t.Cleanup(func() { _ = unlinkKey(ring, home) })
	return k
}

// mustDescribe describes a serial or fails the test.
func mustDescribe(t *testing.T, id int) keyDesc {
	t.Helper()
	d, err := describeKey(id)
	if err != nil {
		t.Fatalf("describe %d: %v", id, err)
	}
	return d
}

// procKeysPerm reads a key's permission mask from /proc/keys, the kernel's
// own listing, as a cross-check of KEYCTL_DESCRIBE.
func procKeysPerm(t *testing.T, id int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/keys")
	if err != nil {
		t.Skipf("no /proc/keys: %v", err)
	}
	want := fmt.Sprintf("%08x ", id)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, want) {
			// serial flags usage timeout "perm" PERM uid gid type desc
			f := strings.Fields(line)
			for i := range f[:len(f)-1] {
				if f[i] == "perm" {
					return f[i+1]
				}
			}
		}
	}
	t.Fatalf("key %d not in /proc/keys", id)
	return ""
}

// runHelper runs TestHelper<name> in a child process of this test binary
// with extra environment, as uid (65534 for "another user") when uid >= 0,
// and returns its output. The child fails unless the helper ran and passed.
func runHelper(t *testing.T, name string, uid int, env ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its parent directory is 0700, and the go test binary
	// sits in a 0700 directory too. Copy it where the other uid can run it.
	dir, err := os.MkdirTemp("", "keyctl-helper-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if uid >= 0 {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cp := filepath.Join(dir, "keyctl.test")
		if err := copyFile(exe, cp); err != nil {
			t.Fatal(err)
		}
		exe = cp
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestHelper"+name+"$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{envHelper + "=" + name}, env...)...)
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHelper"+name) {
		t.Fatalf("helper %s: %v\n%s", name, err, out)
	}
	return string(out)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// helperOnly skips a TestHelper function unless runHelper started it.
func helperOnly(t *testing.T, name string) {
	if os.Getenv(envHelper) != name {
		t.Skip("runs only as a child of another test")
	}
}
