package testpeer

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// StartTimeout bounds how long a helper waits for a peer to come up. Peers
// here start in well under a second; the margin is for a loaded CI machine.
const StartTimeout = 15 * time.Second

// Conn returns a new private connection to the bus, closed when the test
// ends. It is what a test uses to look at the bus directly (ReadAlias,
// SearchItems) without going through the code under test.
func (b *Bus) Conn(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(b.Address, dbus.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("testpeer: connect to %s: %v", b.Address, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// HasOwner reports whether name is owned on the bus right now.
func HasOwner(ctx context.Context, conn *dbus.Conn, name string) bool {
	var ok bool
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&ok)
	return err == nil && ok
}

// waitUntil polls cond until it holds; if StartTimeout passes first the test
// fails with what and the log of the peer that should have answered.
func (b *Bus) waitUntil(t testing.TB, what, logName string, cond func(ctx context.Context) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), StartTimeout)
	defer cancel()
	ok := WaitFor(StartTimeout, func() bool {
		callCtx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return cond(callCtx)
	})
	if !ok {
		t.Fatalf("testpeer: %s within %v; %s log:\n%s", what, StartTimeout, logName, tail(b.Log(logName), 4000))
	}
}

// tail keeps the end of a long log, where the reason for a failure usually is.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
