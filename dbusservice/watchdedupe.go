package dbusservice

import (
	"context"
	"slices"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Watch delivers one event per change, although providers repeat
// themselves: KeePassXC 2.7 emits each item signal three times (on the
// collection, on its alias and once more), and one change of its entries
// sends ItemChanged again for each field it writes. Events are therefore
// coalesced in bursts: an event waits until the signals have been quiet for
// coalesceQuiet, and each distinct event (kind and item) of the burst is
// delivered once, in the order it first arrived. Every change is still
// followed by an event: one that arrives after a burst was delivered
// starts a new burst. coalesceMax bounds the wait under a steady stream.
const (
	coalesceQuiet = 100 * time.Millisecond
	coalesceMax   = time.Second
)

// coalesceEvents forwards in to out, one event per distinct event and
// burst, until in is closed or ctx or stop ends. It closes out only once in
// is closed, so that a closed out means the watch has also removed its
// match rules. Events still waiting at the end are dropped: the watcher
// has gone.
func coalesceEvents(ctx context.Context, stop <-chan struct{}, in <-chan secret.Event, out chan<- secret.Event, quiet, longest time.Duration) {
	defer close(out)
	// Whatever ends the loop, wait for the sender to finish.
	defer func() {
		for range in {
		}
	}()
	var (
		pending []secret.Event
		first   time.Time // when pending's oldest event arrived
		timer   = time.NewTimer(quiet)
	)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-in:
			if !ok {
				return
			}
			if len(pending) == 0 {
				first = time.Now()
			}
			if !slices.Contains(pending, ev) {
				pending = append(pending, ev)
			}
			wait := quiet
			if left := longest - time.Since(first); left < wait {
				wait = max(left, 0)
			}
			timer.Reset(wait)
		case <-timer.C:
			for _, ev := range pending {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				case <-stop:
					return
				}
			}
			pending = pending[:0]
		case <-ctx.Done():
			return
		case <-stop:
			return
		}
	}
}
