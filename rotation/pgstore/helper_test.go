package pgstore

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/rotation"
)

// The tests re-execute their own binary as helper processes (rotators and
// syncers on other "nodes"). A helper is selected by MONEYPENNY_ROTATION_HELPER
// and talks to the test on stdin/stdout, one line per message.
const helperEnv = "MONEYPENNY_ROTATION_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

// testKEK is the cluster's key-encryption key in these tests.
var testKEK = []byte("0123456789abcdef0123456789abcdef")

func testEncryptor(t testing.TB) rotation.Encryptor {
	e, err := rotation.NewLocalEncryptor(testKEK)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// fingerprint names a key in test output without printing it.
func fingerprint(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// ringLine is a helper's report of its ring: "ring v:fp v:fp ...".
func ringLine(r *rotation.Ring) string {
	var b strings.Builder
	b.WriteString("ring")
	for _, k := range r.Versions() {
		fmt.Fprintf(&b, " %d:%s", k.Version, fingerprint(k.Bytes))
	}
	return b.String()
}

func runHelper(mode string) int {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	url, group := os.Getenv("DATABASE_URL"), os.Getenv("ROTATION_GROUP")
	st, err := Open(ctx, url)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer st.Close()
	enc, _ := rotation.NewLocalEncryptor(testKEK)
	out := &lineWriter{w: os.Stdout}
	in := bufio.NewScanner(os.Stdin)
	switch mode {
	case "rotator":
		// A node running a rotator and a syncer. "stop" ends the rotator;
		// "sync N" waits until the ring holds version N, then prints it.
		sh, err := (&rotation.Syncer{Storage: st, Encryptor: enc, Group: group, Keep: 64}).Start(ctx)
		if err != nil {
			out.println("error", err)
			return 1
		}
		rctx, stopRotator := context.WithCancel(ctx)
		defer stopRotator()
		rh, err := (&rotation.Rotator{Storage: st, Encryptor: enc, Group: group,
			OnRotate: func(r rotation.RotateResult) { out.println("rotated", r.Latest) },
		}).Start(rctx)
		if err != nil {
			out.println("error", err)
			return 1
		}
		out.println("started")
		for in.Scan() {
			f := strings.Fields(in.Text())
			switch {
			case len(f) == 1 && f[0] == "stop":
				stopRotator()
				rh.Wait()
				out.println("stopped")
			case len(f) == 2 && f[0] == "sync":
				n, _ := strconv.ParseUint(f[1], 10, 32)
				deadline := time.Now().Add(20 * time.Second)
				for sh.Ring().Latest() < uint32(n) && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				out.println(ringLine(sh.Ring()))
			}
		}
		stopRotator()
		return 0
	case "die-in-tx":
		// Rotate now, and announce being inside the transaction, after
		// the insert and before the commit, then wait to be killed.
		st.beforeCommit = func() {
			out.println("in-tx")
			time.Sleep(time.Hour)
		}
		_, err := (&rotation.Rotator{Storage: st, Encryptor: enc, Group: group}).RotateNow(ctx)
		out.println("error", err)
		return 1
	case "syncer":
		// A node that only syncs; prints "got V UNIXNANO" the first time
		// its ring holds version V.
		var mu sync.Mutex
		var seen uint32
		_, err := (&rotation.Syncer{Storage: st, Encryptor: enc, Group: group,
			DisablePush: os.Getenv("ROTATION_PUSH") == "off",
			OnUpdate: func(r *rotation.Ring) {
				now := time.Now().UnixNano()
				mu.Lock()
				defer mu.Unlock()
				if l := r.Latest(); l > seen {
					seen = l
					out.println("got", l, now)
				}
			}}).Start(ctx)
		if err != nil {
			out.println("error", err)
			return 1
		}
		out.println("started")
		io.Copy(io.Discard, os.Stdin) // until the test closes stdin
		return 0
	}
	return 2
}

type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) println(a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.w, a...)
}

// helper is a running helper process.
type helper struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}
}

func startHelper(t testing.TB, pg *testpeer.Postgres, mode, group string, env ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "DATABASE_URL="+pg.URL, "ROTATION_GROUP="+group)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
		cmd.Wait() // only once stdout is drained, as os/exec requires
	}()
	t.Cleanup(func() {
		h.stdin.Close()
		h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			h.cmd.Process.Kill()
			<-h.done
		}
	})
	return h
}

// expect waits for a line starting with prefix, failing on "error".
func (h *helper) expect(prefix string, timeout time.Duration) string {
	h.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-h.lines:
			if !ok {
				h.t.Fatalf("helper exited while waiting for %q", prefix)
			}
			if strings.HasPrefix(l, "error") {
				h.t.Fatalf("helper: %s", l)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			h.t.Fatalf("helper: no %q after %v", prefix, timeout)
		}
	}
}

func (h *helper) send(line string) {
	h.t.Helper()
	if _, err := io.WriteString(h.stdin, line+"\n"); err != nil {
		h.t.Fatal(err)
	}
}
