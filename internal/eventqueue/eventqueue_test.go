package eventqueue

import (
	"context"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

// TestOrderAndStop: events pushed before and while the reader runs arrive
// in order, a push never blocks on a reader that is not reading, and Out
// is closed once stop closes.
func TestOrderAndStop(t *testing.T) {
	q := New()
	for i := 0; i < 1000; i++ { // no reader yet: must not block
		q.Push([]secret.Event{{Kind: secret.ItemCreated, ItemID: string(rune('a' + i%26))}})
	}
	stop := make(chan struct{})
	go q.Run(context.Background(), stop)
	for i := 0; i < 1000; i++ {
		ev := <-q.Out()
		if want := string(rune('a' + i%26)); ev.ItemID != want {
			t.Fatalf("event %d = %q, want %q", i, ev.ItemID, want)
		}
	}
	q.Push([]secret.Event{{Kind: secret.ItemDeleted, ItemID: "z"}})
	if ev := <-q.Out(); ev.Kind != secret.ItemDeleted {
		t.Fatalf("late event = %+v", ev)
	}
	close(stop)
	for range q.Out() {
	}
}

// TestContextEnds: Run returns and closes Out when its context ends.
func TestContextEnds(t *testing.T) {
	q := New()
	ctx, cancel := context.WithCancel(context.Background())
	go q.Run(ctx, nil)
	cancel()
	for range q.Out() {
	}
}
