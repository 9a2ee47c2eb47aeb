// Package eventqueue hands a store's change events to one Watch reader
// without bound: a writer never blocks on a slow reader and no event is
// lost. The file keyring and the provider's memory store both use it.
package eventqueue

import (
	"context"
	"sync"

	"github.com/moneypenny-go/keyring/secret"
)

// Queue is one reader's queue. Push may be called from any goroutine; Run
// delivers to Out until the context ends or stop closes.
type Queue struct {
	mu      sync.Mutex
	pending []secret.Event
	wake    chan struct{}
	out     chan secret.Event
}

// New returns an empty queue.
func New() *Queue {
	return &Queue{wake: make(chan struct{}, 1), out: make(chan secret.Event)}
}

// Out is the reader's channel; Run closes it when it returns.
func (q *Queue) Out() <-chan secret.Event { return q.out }

// Push queues evs, in order, after what is already queued.
func (q *Queue) Push(evs []secret.Event) {
	q.mu.Lock()
	q.pending = append(q.pending, evs...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run delivers queued events to Out until ctx ends or stop is closed, then
// closes Out. Events still queued then are dropped.
func (q *Queue) Run(ctx context.Context, stop <-chan struct{}) {
	defer close(q.out)
	for {
		q.mu.Lock()
		batch := q.pending
		q.pending = nil
		q.mu.Unlock()
		for _, ev := range batch {
			select {
			case q.out <- ev:
			case <-ctx.Done():
				return
			case <-stop:
				return
			}
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return
		case <-stop:
			return
		}
	}
}
