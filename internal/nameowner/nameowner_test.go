package nameowner

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

const name = "org.example.Owned"

func connect(t *testing.T, b *testpeer.Bus) *dbus.Conn {
	t.Helper()
	c, err := dbus.Connect(b.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// next returns the next signal that Observe applies, failing after a while.
func next(t *testing.T, tr *Tracker, ch <-chan *dbus.Signal) Change {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case sig := <-ch:
			if c, ok := tr.Observe(sig); ok {
				return c
			}
		case <-deadline:
			t.Fatal("no change of owner observed")
		}
	}
}

func TestTrackerFollowsTheName(t *testing.T) {
	b := testpeer.NewBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := connect(t, b)
	if owner, err := Lookup(ctx, client, name); err != nil || owner != "" {
		t.Fatalf("Lookup of an unowned name = %q, %v", owner, err)
	}
	ch := make(chan *dbus.Signal, 16)
	client.Signal(ch)
	if err := client.AddMatchSignalContext(ctx, Rule(name)...); err != nil {
		t.Fatal(err)
	}
	tr, err := New(ctx, client, name)
	if err != nil || tr.Owner() != "" {
		t.Fatalf("New = %v, %v", tr, err)
	}

	a, bb, forger := connect(t, b), connect(t, b), connect(t, b)
	if r, err := a.RequestName(name, dbus.NameFlagAllowReplacement|dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("a: %v %v", r, err)
	}
	if c := next(t, tr, ch); c != (Change{"", a.Names()[0]}) {
		t.Fatalf("change %+v", c)
	}
	if r, err := bb.RequestName(name, dbus.NameFlagReplaceExisting|dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("b: %v %v", r, err)
	}
	if c := next(t, tr, ch); c != (Change{a.Names()[0], bb.Names()[0]}) || tr.Owner() != bb.Names()[0] {
		t.Fatalf("change %+v, owner %s", c, tr.Owner())
	}
	if !tr.Sent(&dbus.Signal{Sender: bb.Names()[0]}) || tr.Sent(&dbus.Signal{Sender: a.Names()[0]}) {
		t.Fatal("Sent does not follow the owner")
	}

	// A peer's NameOwnerChanged, broadcast or addressed to the client,
	// carries the peer's name as sender and changes nothing.
	forged := []any{name, bb.Names()[0], forger.Names()[0]}
	if err := forger.Emit("/org/freedesktop/DBus", ownerChanged, forged...); err != nil {
		t.Fatal(err)
	}
	msg := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:        dbus.MakeVariant(busDriverPath),
		dbus.FieldInterface:   dbus.MakeVariant(busDriver),
		dbus.FieldMember:      dbus.MakeVariant("NameOwnerChanged"),
		dbus.FieldDestination: dbus.MakeVariant(client.Names()[0]),
		dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(forged...)),
	}, Body: forged}
	if err := forger.Send(msg, nil).Err; err != nil {
		t.Fatal(err)
	}
	if _, err := bb.ReleaseName(name); err != nil {
		t.Fatal(err)
	}
	if c := next(t, tr, ch); c != (Change{bb.Names()[0], ""}) {
		t.Fatalf("after the forgery and a release: change %+v (a forged change was applied?)", c)
	}
	if tr.Sent(&dbus.Signal{Sender: ""}) || tr.Sent(&dbus.Signal{Sender: bb.Names()[0]}) {
		t.Fatal("an unowned name sent something")
	}
}

// Changes from before the lookup, still queued in the channel, do not move
// the tracker back.
func TestTrackerIgnoresStaleChanges(t *testing.T) {
	tr := &Tracker{name: name, owner: ":1.7"}
	stale := []*dbus.Signal{
		{Sender: busDriver, Path: busDriverPath, Name: ownerChanged, Body: []any{name, ":1.5", ""}},
		{Sender: busDriver, Path: busDriverPath, Name: ownerChanged, Body: []any{name, "", ":1.7"}},
	}
	for _, sig := range stale {
		if c, ok := tr.Observe(sig); ok || tr.Owner() != ":1.7" {
			t.Fatalf("stale %v applied: %+v, owner %s", sig.Body, c, tr.Owner())
		}
	}
	other := &dbus.Signal{Sender: busDriver, Path: busDriverPath, Name: ownerChanged, Body: []any{"org.example.Other", ":1.7", ""}}
	if _, ok := tr.Observe(other); ok {
		t.Fatal("a change of another name was applied")
	}
	fresh := &dbus.Signal{Sender: busDriver, Path: busDriverPath, Name: ownerChanged, Body: []any{name, ":1.7", ":1.9"}}
	if c, ok := tr.Observe(fresh); !ok || c != (Change{":1.7", ":1.9"}) || tr.Owner() != ":1.9" {
		t.Fatalf("fresh change: %+v %v, owner %s", c, ok, tr.Owner())
	}
}
