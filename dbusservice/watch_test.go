package dbusservice

import (
	"context"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// waitEvent reads events until one of kind for id arrives (others are
// skipped: the service may report more than the test cares about).
func waitEvent(t *testing.T, events <-chan secret.Event, kind secret.EventKind, id string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event channel closed while waiting for %v %s", kind, id)
			}
			if ev.Kind == kind && ev.ItemID == id {
				return
			}
		case <-deadline:
			t.Fatalf("no %v event for %s within 20s", kind, id)
		}
	}
}

func TestWatchItemEvents(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	other := k.connect() // changes made by another client are seen too
	ctx := testCtx(t)
	c := defaultCollection(t, ctx, s)
	wctx, stop := context.WithCancel(ctx)
	svcEvents, err := s.Watch(wctx)
	if err != nil {
		t.Fatal(err)
	}
	collEvents, err := c.Watch(wctx)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := other.DefaultCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	it, err := oc.Create(ctx, "watched", secret.Attributes{"watch": "1"}, secret.NewString("x"), true)
	if err != nil {
		t.Fatal(err)
	}
	id := it.ID()
	waitEvent(t, svcEvents, secret.ItemCreated, id)
	waitEvent(t, collEvents, secret.ItemCreated, id)
	if err := it.SetLabel(ctx, "relabelled"); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, svcEvents, secret.ItemChanged, id)
	waitEvent(t, collEvents, secret.ItemChanged, id)
	if err := it.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, svcEvents, secret.ItemDeleted, id)
	waitEvent(t, collEvents, secret.ItemDeleted, id)

	// A collection's watch sees only its own items.
	sess, err := other.Collection(ctx, "session")
	if err != nil {
		t.Fatal(err)
	}
	sit, err := sess.Create(ctx, "elsewhere", secret.Attributes{"watch": "2"}, secret.NewString("y"), true)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, svcEvents, secret.ItemCreated, sit.ID())
	select {
	case ev := <-collEvents:
		t.Fatalf("the default collection's watch saw %v %s", ev.Kind, ev.ItemID)
	default:
	}

	stop()
	for _, ch := range []<-chan secret.Event{svcEvents, collEvents} {
		closed := time.After(10 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					break drain
				}
			case <-closed:
				t.Fatal("event channel not closed after the context ended")
			}
		}
	}
	noMatchRulesLeft(t, s)
}

func TestCollectionWatchEndsOnClose(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	c, err := s.DefaultCollection(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	events, err := c.Watch(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	select {
	case _, ok := <-events:
		if ok {
			t.Fatal("event after Close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Collection.Watch channel not closed by Collection.Close")
	}
	// The service it borrowed stays open.
	if _, err := s.ReadAlias(testCtx(t), "default"); err != nil {
		t.Fatalf("Collection.Close closed a service it does not own: %v", err)
	}
	noMatchRulesLeft(t, s)
}

func TestWatchEndsOnClose(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	events, err := s.Watch(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	select {
	case _, ok := <-events:
		if ok {
			t.Fatal("event after Close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch channel not closed by Service.Close")
	}
}

// TestEventDedupe: the repeats of one event within dedupeWindow of each
// other are dropped, an event after a quiet window and events of other
// items or kinds pass.
func TestEventDedupe(t *testing.T) {
	var d eventDedupe
	t0 := time.Unix(1700000000, 0)
	a := secret.Event{Kind: secret.ItemChanged, ItemID: "/a"}
	steps := []struct {
		ev   secret.Event
		at   time.Duration
		want bool
	}{
		{a, 0, true},
		{a, time.Millisecond, false},
		{secret.Event{Kind: secret.ItemChanged, ItemID: "/b"}, 2 * time.Millisecond, true},
		{secret.Event{Kind: secret.ItemDeleted, ItemID: "/a"}, 3 * time.Millisecond, true},
		{a, 200 * time.Millisecond, false}, // still within the window of the last repeat
		{a, 200*time.Millisecond + dedupeWindow, true},
	}
	for i, s := range steps {
		if got := d.fresh(s.ev, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d (%v at %v): fresh = %v, want %v", i, s.ev, s.at, got, s.want)
		}
	}
}
