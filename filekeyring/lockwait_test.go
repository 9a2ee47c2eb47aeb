//go:build linux

package filekeyring

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// holdLock makes another process (util-linux flock(1)) hold the writer
// lock of path until the test ends.
func holdLock(t *testing.T, path string) {
	t.Helper()
	testpeer.Need(t, "flock")
	cmd := exec.Command("flock", "--exclusive", "--no-fork", lockPath(path), "sh", "-c", "echo locked; exec sleep 600")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("flock holder: %q, %v", line, err)
	}
}

// TestStuckWriterDoesNotFreezeTheProcess: while another process holds the
// writer lock, one write waits without a deadline; other writes still end
// at their own deadlines, reads go on, and Close returns and ends the
// waiting write.
func TestStuckWriterDoesNotFreezeTheProcess(t *testing.T) {
	path := tempPath(t)
	k, err := Open(context.Background(), path, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the lock holder is gone before this
	// Close, which a test that fails would otherwise hang in.
	t.Cleanup(func() { k.Close() })
	if _, err := k.CreateItem(context.Background(), "x", secret.Attributes{"n": "0"}, secret.NewString("v"), true); err != nil {
		t.Fatal(err)
	}
	holdLock(t, path)

	store := func(ctx context.Context, n string) error {
		_, err := k.CreateItem(ctx, "x", secret.Attributes{"n": n}, secret.NewString("v"), true)
		return err
	}
	stuck := make(chan error, 1)
	go func() { stuck <- store(context.Background(), "stuck") }()
	time.Sleep(100 * time.Millisecond) // let it reach the lock

	type result struct {
		err     error
		elapsed time.Duration
	}
	timed := func(d time.Duration, n string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			start := time.Now()
			err := store(ctx, n)
			ch <- result{err, time.Since(start)}
		}()
		return ch
	}
	short, long := timed(200*time.Millisecond, "short"), timed(700*time.Millisecond, "long")
	wait := func(name string, ch <-chan result) result {
		select {
		case r := <-ch:
			return r
		case <-time.After(5 * time.Second):
			t.Fatalf("the %s write is still blocked after 5s: another call's wait holds it", name)
			return result{}
		}
	}
	rs, rl := wait("200 ms", short), wait("700 ms", long)
	if !errors.Is(rs.err, context.DeadlineExceeded) || !errors.Is(rl.err, context.DeadlineExceeded) {
		t.Fatalf("errors %v / %v, want context.DeadlineExceeded", rs.err, rl.err)
	}
	// Each call keeps its own deadline: the longer one was not cut short.
	if rl.elapsed < 650*time.Millisecond {
		t.Fatalf("the 700 ms write gave up after %v", rl.elapsed)
	}

	// Reading needs no writer lock.
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if items, err := k.SearchItems(rctx, secret.Attributes{"n": "0"}); err != nil || len(items) != 1 {
		t.Fatalf("search while a writer waits: %d items, %v", len(items), err)
	}

	closed := make(chan error, 1)
	go func() { closed <- k.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close is blocked by a write waiting for another process's lock")
	}
	select {
	case err := <-stuck:
		if !errors.Is(err, secret.ErrClosed) {
			t.Fatalf("the waiting write ended with %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting write did not end when the keyring was closed")
	}
}
