package dbusservice

import (
	"context"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
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
	forEachProvider(t, func(t *testing.T, k *provider) {
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

		// A collection's watch sees only its own items: gnome-keyring has a
		// second collection to try that on ("session").
		if k.is(testpeer.GnomeKeyringProvider) {
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
	})
}

func TestCollectionWatchEndsOnClose(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
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
	})
}

func TestWatchEndsOnClose(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
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
	})
}

// TestCoalesceEvents: repeats of an event within a burst are delivered
// once, in first-arrival order with the burst's other events; an event
// after the burst was delivered is delivered again; out closes with in.
func TestCoalesceEvents(t *testing.T) {
	in := make(chan secret.Event)
	out := make(chan secret.Event, 16)
	go coalesceEvents(context.Background(), nil, in, out, 50*time.Millisecond, time.Second)
	a := secret.Event{Kind: secret.ItemChanged, ItemID: "/a"}
	b := secret.Event{Kind: secret.ItemChanged, ItemID: "/b"}
	d := secret.Event{Kind: secret.ItemDeleted, ItemID: "/a"}
	for _, ev := range []secret.Event{a, a, b, a, d, a} {
		in <- ev
	}
	next := func() secret.Event {
		t.Helper()
		select {
		case ev := <-out:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
		return secret.Event{}
	}
	for _, want := range []secret.Event{a, b, d} {
		if got := next(); got != want {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	select {
	case ev := <-out:
		t.Fatalf("a repeat was delivered: %v", ev)
	case <-time.After(300 * time.Millisecond):
	}
	in <- a // a new change after the burst
	if got := next(); got != a {
		t.Fatalf("got %v after the burst, want %v", got, a)
	}
	close(in)
	select {
	case _, ok := <-out:
		if ok {
			t.Fatal("event after in closed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("out not closed")
	}
}
