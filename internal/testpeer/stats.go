package testpeer

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// ConnectionStats returns what dbus-daemon's org.freedesktop.DBus.Debug.Stats
// interface knows about the connection with the given unique name
// (MatchRules, PeakMatchRules, IncomingMessages, …), asked over conn. Tests
// use it to check that match rules are removed again.
//
// The test fails when the bus cannot answer: a leak check that cannot look
// would pass whatever leaked. The buses NewBus starts can answer: Debian's
// dbus-daemon is built with the statistics, and they are open to
// connections of the bus's own user, which every test process is.
func ConnectionStats(t testing.TB, conn *dbus.Conn, unique string) map[string]dbus.Variant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stats map[string]dbus.Variant
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.Debug.Stats.GetConnectionStats", 0, unique).Store(&stats)
	if err != nil {
		t.Fatalf("testpeer: the bus's Debug.Stats cannot tell about %s, so its match rules cannot be checked: %v", unique, err)
		return nil
	}
	return stats
}

// MatchRules is the number of match rules the connection with the given
// unique name holds now, from ConnectionStats; the test fails when the bus
// does not say.
func MatchRules(t testing.TB, conn *dbus.Conn, unique string) uint32 {
	t.Helper()
	stats := ConnectionStats(t, conn, unique)
	n, ok := stats["MatchRules"].Value().(uint32)
	if !ok && stats != nil {
		t.Fatalf("testpeer: Debug.Stats of %s has no MatchRules count: %v", unique, stats)
	}
	return n
}
