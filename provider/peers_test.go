package provider

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// TestPeerWatchOnlyDepartures: the service hears of clients leaving the bus
// (and closes their sessions) but is not woken for clients joining it.
func TestPeerWatchOnlyDepartures(t *testing.T) {
	s := serve(t, nil, Options{})
	sigs := make(chan *dbus.Signal, 64)
	s.conn.Signal(sigs)
	defer s.conn.RemoveSignal(sigs)
	for range 3 {
		c, err := dbus.Connect(s.bus.Address)
		must(t, err)
		var out dbus.Variant
		var path dbus.ObjectPath
		must(t, call(t, c, servicePath, ifaceService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &path))
		_ = c.Close()
	}
	if !waitFor(10*time.Second, func() bool { n, _ := s.srv.counts(); return n == 0 }) {
		t.Fatal("the sessions of clients that left are still open")
	}
	joins, leaves := 0, 0
	for {
		select {
		case sig := <-sigs:
			if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) != 3 {
				continue
			}
			if owner, _ := sig.Body[2].(string); owner != "" {
				joins++
			} else {
				leaves++
			}
			continue
		case <-time.After(200 * time.Millisecond):
		}
		break
	}
	if joins != 0 || leaves < 3 {
		t.Fatalf("the service received %d NameOwnerChanged for joining clients (want 0) and %d for leaving ones (want 3 or more)", joins, leaves)
	}
}
