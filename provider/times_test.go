package provider

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// timedStore is a memory store that knows its own times, as a keyring
// file does.
type timedStore struct {
	*MemoryStore
	created, modified time.Time
}

var _ secret.TimesStore = (*timedStore)(nil)

func (s *timedStore) Times(context.Context) (time.Time, time.Time, error) {
	return s.created, s.modified, nil
}

func collectionTime(t *testing.T, conn *dbus.Conn, coll dbus.ObjectPath, name string) uint64 {
	t.Helper()
	var v dbus.Variant
	must(t, call(t, conn, coll, ifaceProps+".Get", ifaceCollection, name).Store(&v))
	u, ok := v.Value().(uint64)
	if !ok {
		t.Fatalf("%s is %s, want t", name, v.Signature())
	}
	return u
}

// TestCollectionTimes: Created and Modified of a collection whose store
// has times of its own (secret.TimesStore) are the store's, in Get and
// GetAll; a client's relabel, which no store keeps, moves Modified
// forward; a memory collection has the time the server first served it.
func TestCollectionTimes(t *testing.T) {
	start := time.Now().Unix()
	st := &timedStore{MemoryStore: NewMemoryStore("login"),
		created: time.Unix(1_500_000_000, 0), modified: time.Unix(1_600_000_000, 0)}
	s := serve(t, st, Options{})
	c := s.client(t)
	login := dbus.ObjectPath(collectionBase + "login")
	if got := collectionTime(t, c, login, "Created"); got != 1_500_000_000 {
		t.Errorf("Created %d, want the store's 1500000000", got)
	}
	if got := collectionTime(t, c, login, "Modified"); got != 1_600_000_000 {
		t.Errorf("Modified %d, want the store's 1600000000", got)
	}
	var all map[string]dbus.Variant
	must(t, call(t, c, login, ifaceProps+".GetAll", ifaceCollection).Store(&all))
	if all["Created"].Value() != uint64(1_500_000_000) || all["Modified"].Value() != uint64(1_600_000_000) {
		t.Errorf("GetAll: Created %v Modified %v", all["Created"], all["Modified"])
	}
	session := dbus.ObjectPath(collectionBase + "session")
	if got := collectionTime(t, c, session, "Created"); got < uint64(start) {
		t.Errorf("session Created %d, want the server's start (%d) or later", got, start)
	}
	must(t, call(t, c, login, ifaceProps+".Set", ifaceCollection, "Label", dbus.MakeVariant("Renamed")).Err)
	if got := collectionTime(t, c, login, "Modified"); got < uint64(start) {
		t.Errorf("Modified %d after a relabel, want now (%d or later)", got, start)
	}
	if got := collectionTime(t, c, login, "Created"); got != 1_500_000_000 {
		t.Errorf("Created %d after a relabel, want the store's", got)
	}
}

// TestLockedItemTimes: a locked item's Created and Modified are those noted
// when its collection locked, not zero (libsecret shows them in its
// listings without unlocking).
func TestLockedItemTimes(t *testing.T) {
	s := serve(t, nil, Options{})
	c := s.client(t)
	r := openRawDH(t, c, true)
	var item, prompt dbus.ObjectPath
	must(t, call(t, c, collectionBase+"login", ifaceCollection+".CreateItem",
		newItemProps("t", map[string]string{"t": "1"}), r.encode(t, "x"), false).Store(&item, &prompt))
	get := func(name string) uint64 {
		t.Helper()
		var v dbus.Variant
		must(t, call(t, c, item, ifaceProps+".Get", ifaceItem, name).Store(&v))
		u, _ := v.Value().(uint64)
		return u
	}
	created, modified := get("Created"), get("Modified")
	if created == 0 || modified < created {
		t.Fatalf("unlocked: Created %d Modified %d", created, modified)
	}
	var locked []dbus.ObjectPath
	must(t, call(t, c, servicePath, ifaceService+".Lock", []dbus.ObjectPath{collectionBase + "login"}).Store(&locked, &prompt))
	if c2, m2 := get("Created"), get("Modified"); c2 != created || m2 != modified {
		t.Fatalf("locked: Created %d Modified %d, want %d %d", c2, m2, created, modified)
	}
}
