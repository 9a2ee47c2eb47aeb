package dbusservice

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// TestServiceKilledMidCall stops gnome-keyring (so a call is left without an
// answer), sends a call, then kills the daemon: the bus answers the pending
// call with NoReply, and later calls find no owner. Both are ErrUnavailable,
// long before the test's deadline, and nothing hangs.
func TestServiceKilledMidCall(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	ctx := testCtx(t)
	c := defaultCollection(t, ctx, s)
	if err := syscall.Kill(k.daemon.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Search(ctx, secret.Attributes{"mid": "call"})
		done <- err
	}()
	// Give the call time to reach the bus; if it gets there only after the
	// kill, the answer is ServiceUnknown, which is the same sentinel.
	time.Sleep(200 * time.Millisecond)
	k.daemon.Kill(t) // SIGKILL ends a stopped process too
	select {
	case err := <-done:
		if !errors.Is(err, secret.ErrUnavailable) {
			t.Fatalf("call while the service died: %v, want ErrUnavailable", err)
		}
		t.Logf("pending call: %v", err)
	case <-ctx.Done():
		t.Fatal("call hung after the service died")
	}
	if _, err := c.Items(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("call after the service died: %v, want ErrUnavailable", err)
	}
	if _, err := s.Item(c.Path() + "/1").Secret(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("secret after the service died: %v, want ErrUnavailable", err)
	}
}
