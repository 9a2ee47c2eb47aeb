package dbusservice

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

func TestConnectWithoutBusOrService(t *testing.T) {
	bus := testpeer.NewBus(t) // a bus on which nobody owns org.freedesktop.secrets
	dir := t.TempDir()
	for name, addr := range map[string]string{
		"no socket":     "unix:path=" + filepath.Join(dir, "nothing-here"),
		"no service":    bus.Address,
		"autolaunch":    "autolaunch:",
		"disabled":      "disabled:",
		"garbage":       "not-an-address",
		"unknown proto": "carrier-pigeon:coop=1",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := Connect(ctx, WithAddress(addr))
		cancel()
		if !errors.Is(err, secret.ErrUnavailable) {
			t.Errorf("%s: Connect = %v, %v; want ErrUnavailable", name, s, err)
		}
		t.Logf("%s: %v", name, err)
	}
	// No address at all: the environment is consulted, nothing launched.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if _, err := Connect(context.Background()); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("no session bus: %v, want ErrUnavailable", err)
	}
	if _, err := OpenCollection(context.Background(), "default"); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("OpenCollection without a bus: %v, want ErrUnavailable", err)
	}
}

// A socket that accepts and then never speaks must not hang Connect: the
// handshake is bounded by ctx.
func TestConnectToSilentBusHonoursDeadline(t *testing.T) {
	dir, err := os.MkdirTemp("", "mp-silent-") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		testpeer.Missing(t, fmt.Sprintf("unix sockets unavailable: %v", err))
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = Connect(ctx, WithAddress("unix:path="+sock))
	if !errors.Is(err, secret.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Connect to a silent socket: %v, want ErrUnavailable and DeadlineExceeded", err)
	}
}

func TestCancelledContextAndClose(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ReadAlias(ctx, "default"); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadAlias with a cancelled context: %v", err)
	}
	if _, err := Connect(ctx, WithAddress(k.bus.Address)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect with a cancelled context: %v", err)
	}
	c, err := s.DefaultCollection(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.ReadAlias(context.Background(), "default"); !errors.Is(err, secret.ErrClosed) {
		t.Fatalf("ReadAlias after Close: %v, want ErrClosed", err)
	}
	if _, err := c.Items(context.Background()); !errors.Is(err, secret.ErrClosed) {
		t.Fatalf("collection of a closed service: %v, want ErrClosed", err)
	}
	if _, err := s.Watch(context.Background()); !errors.Is(err, secret.ErrClosed) {
		t.Fatalf("Watch after Close: %v", err)
	}
}
