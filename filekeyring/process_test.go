package filekeyring

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// The tests in this file run writers as separate processes: this test
// binary re-executed with writerEnv set, which stores items and prints
// "ack N" after each store returns.
const writerEnv = "FILEKEYRING_TEST_WRITER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(writerEnv); spec != "" {
		os.Exit(runWriter(spec))
	}
	os.Exit(m.Run())
}

// runWriter is the child: spec is "path|password|tag|first|count" (count 0:
// until killed).
func runWriter(spec string) int {
	var path, pw, tag string
	var first, count int
	parts := bytes.Split([]byte(spec), []byte("|"))
	if len(parts) != 5 {
		fmt.Fprintln(os.Stderr, "bad spec")
		return 2
	}
	path, pw, tag = string(parts[0]), string(parts[1]), string(parts[2])
	first, _ = strconv.Atoi(string(parts[3]))
	count, _ = strconv.Atoi(string(parts[4]))
	ctx := context.Background()
	k, err := Open(ctx, path, []byte(pw))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer k.Close()
	out := bufio.NewWriter(os.Stdout)
	for i := first; count == 0 || i < first+count; i++ {
		n := strconv.Itoa(i)
		if _, err := k.CreateItem(ctx, "item "+n, secret.Attributes{"writer": tag, "n": n}, secret.NewString("secret "+n), true); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(out, "ack", n)
		out.Flush()
	}
	return 0
}

func writerCmd(t *testing.T, path, pw, tag string, first, count int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%s|%d|%d", writerEnv, path, pw, tag, first, count))
	return cmd
}

// TestCrashSafety kills a writer with SIGKILL at random moments during a
// stream of writes: every acknowledged item must be in a file that opens.
func TestCrashSafety(t *testing.T) {
	path := tempPath(t)
	var acked []int
	for round := 0; round < 8; round++ {
		cmd := writerCmd(t, path, "crash", "w", round*100000, 0)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var roundAcks []int
		done := make(chan struct{})
		go func() {
			defer close(done)
			s := bufio.NewScanner(stdout)
			for s.Scan() {
				var n int
				if _, err := fmt.Sscanf(s.Text(), "ack %d", &n); err == nil {
					mu.Lock()
					roundAcks = append(roundAcks, n)
					mu.Unlock()
				}
			}
		}()
		// Kill at a random moment once the writer is under way (the key
		// derivation before its first write takes a while under -race).
		if !testpeer.WaitFor(60*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(roundAcks) > 0 }) {
			t.Fatalf("round %d: no acknowledgement within 60s\n%s", round, stderr.String())
		}
		time.Sleep(time.Duration(rand.IntN(150)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err = cmd.Wait()
		<-done
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("round %d: writer ended with %v before the kill\n%s", round, err, stderr.String())
		}
		mu.Lock()
		acked = append(acked, roundAcks...)
		mu.Unlock()

		k, err := Open(context.Background(), path, []byte("crash"))
		if err != nil {
			t.Fatalf("round %d: the file does not open after a crash: %v", round, err)
		}
		items, err := k.Items(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, it := range items {
			a, _ := it.Attributes(context.Background())
			have[a["n"]] = true
		}
		for _, n := range acked {
			if !have[strconv.Itoa(n)] {
				t.Fatalf("round %d: acknowledged item %d is missing", round, n)
			}
		}
		k.Close()
	}
	// The next write under the lock sweeps temporary files of killed writers.
	k := mustOpen(t, path, "crash")
	if _, err := k.CreateItem(context.Background(), "after", secret.Attributes{"n": "after"}, secret.NewString("x"), true); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp")); len(left) != 0 {
		t.Errorf("temporary files of killed writers left: %v", left)
	}
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged in any round")
	}
	t.Logf("%d acknowledged items survived 8 SIGKILLs", len(acked))
}

// TestManyProcessesAndLibsecret: several writer processes and libsecret's
// secret-tool store at once; every acknowledged item is there afterwards.
func TestManyProcessesAndLibsecret(t *testing.T) {
	testpeer.Need(t, "secret-tool")
	path := tempPath(t)
	const procs, each, theirs = 3, 15, 15
	// The file exists before anyone races. A libsecret that starts before
	// the file exists writes its first version without an etag, that is
	// over whatever is there by then: no writer can keep its items from
	// that (see the package doc), and the test would only measure who
	// finished PBKDF2 first.
	seed := mustOpen(t, path, "interop")
	if _, err := seed.CreateItem(context.Background(), "seed", secret.Attributes{"writer": "seed"}, secret.NewString("seed"), true); err != nil {
		t.Fatal(err)
	}
	seed.Close()
	var cmds []*exec.Cmd
	for p := 0; p < procs; p++ {
		cmd := writerCmd(t, path, "interop", strconv.Itoa(p), 0, each)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("writer stderr: %s", stderr.String())
			}
		})
	}
	// secret-tool does not lock; a store it reports as failed (libsecret's
	// "externally modified" refusal) is retried, as a user would.
	var stored []string
	for i := 0; i < theirs; i++ {
		n := "lib" + strconv.Itoa(i)
		for attempt := 0; ; attempt++ {
			if _, err := secretTool(t, path, "interop", []byte(n), "store", "--label="+n, "writer", "libsecret", "n", n); err == nil {
				stored = append(stored, n)
				break
			} else if attempt == 20 {
				t.Fatalf("secret-tool store %s kept failing: %v", n, err)
			}
		}
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer: %v", err)
		}
	}
	k := mustOpen(t, path, "interop")
	for p := 0; p < procs; p++ {
		if got := lookup(t, k, secret.Attributes{"writer": strconv.Itoa(p)}); len(got) != each {
			t.Errorf("writer %d: %d items, want %d", p, len(got), each)
		}
	}
	for _, n := range stored {
		out, err := secretTool(t, path, "interop", nil, "lookup", "n", n)
		if err != nil || out != n {
			t.Errorf("libsecret's acknowledged item %s: %q, %v", n, out, err)
		}
	}
}

// TestTruncatedFiles: every prefix of a real file is refused with an error,
// without a panic and without being modified.
func TestTruncatedFiles(t *testing.T) {
	full := mustRead(t, "../testdata/filekeyring/libsecret-v1.keyring")
	dir := t.TempDir()
	for n := 0; n < len(full); n++ {
		path := filepath.Join(dir, "k"+strconv.Itoa(n))
		if err := os.WriteFile(path, full[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := Open(context.Background(), path, []byte("moneypenny-v1"))
		if err == nil {
			// A prefix can still be a valid file only if it is the whole
			// file; anything shorter must fail.
			k.Close()
			t.Fatalf("a %d-byte prefix of a %d-byte file opened", n, len(full))
		}
		if !errors.Is(err, secret.ErrCorrupt) && !errors.Is(err, secret.ErrUnsupportedFormat) && !errors.Is(err, secret.ErrWrongPassword) {
			t.Fatalf("prefix %d: unexpected error kind: %v", n, err)
		}
		if !bytes.Equal(mustRead(t, path), full[:n]) {
			t.Fatalf("prefix %d was modified", n)
		}
	}
}
