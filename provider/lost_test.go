package provider

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestLostWithConnection: when the server's connection ends before Close
// (the bus went away), Lost is closed, so that a daemon waiting on it
// exits instead of lingering unreachable; Close after Lost is fine, and a
// server closed first does not report a loss.
func TestLostWithConnection(t *testing.T) {
	b := testpeer.NewBus(t)
	conn, err := dbus.Connect(b.Address)
	must(t, err)
	srv, err := New(conn, Options{})
	must(t, err)
	must(t, srv.Claim(false))
	select {
	case <-srv.Lost():
		t.Fatal("Lost before anything happened")
	default:
	}
	_ = conn.Close()
	select {
	case <-srv.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost not closed when the connection ended")
	}
	must(t, srv.Close())

	conn2, err := dbus.Connect(b.Address)
	must(t, err)
	srv2, err := New(conn2, Options{})
	must(t, err)
	must(t, srv2.Close())
	_ = conn2.Close()
	select {
	case <-srv2.Lost():
		t.Fatal("Lost closed for a server closed before its connection")
	case <-time.After(200 * time.Millisecond):
	}
}
