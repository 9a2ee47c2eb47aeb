package dbusservice

import (
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// dedupeWindow is how close together identical events must arrive to count
// as one change. KeePassXC 2.7 emits each item signal three times, and a
// single change of its entries (a secret set, an item created) sends
// ItemChanged several times more as each field is written, all within a few
// milliseconds; two real changes of one item this close together are one
// change to anyone reading the item afterwards.
const dedupeWindow = 250 * time.Millisecond

// eventDedupe passes the first of a burst of identical events (same kind,
// same item) and drops the repeats that follow it within dedupeWindow of
// one another. It is used by one watch goroutine and needs no lock.
type eventDedupe struct {
	last map[secret.Event]time.Time
}

// fresh reports whether ev starts a new burst and should be delivered.
func (d *eventDedupe) fresh(ev secret.Event, now time.Time) bool {
	if d.last == nil {
		d.last = make(map[secret.Event]time.Time)
	}
	prev, seen := d.last[ev]
	d.last[ev] = now
	if seen && now.Sub(prev) < dedupeWindow {
		return false
	}
	if len(d.last) > 256 {
		for e, t := range d.last {
			if now.Sub(t) >= dedupeWindow {
				delete(d.last, e)
			}
		}
	}
	return true
}
