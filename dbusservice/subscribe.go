package dbusservice

import (
	"context"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/nameowner"
)

// subscription is a signal channel, its match rules and a tracker of the
// unique name that owns org.freedesktop.secrets. The channel sees every
// signal of the connection, including unicast ones that any peer may send
// us whatever the match rules say, so readers believe only signals the
// tracked owner sent (see package nameowner).
type subscription struct {
	svc   *Service
	ch    chan *dbus.Signal
	rules [][]dbus.MatchOption // the rules added so far
	owner *nameowner.Tracker
}

// subscribe registers a signal channel, then adds the match rules and one
// for changes of the service's owner, then asks who the owner is: in that
// order no signal the rules let through is missed and no change of owner
// goes unseen. On error nothing stays registered.
//
// The channel is only unregistered, never closed by us: godbus closes
// registered channels itself when the connection closes, and closing it here
// too could panic. A receiver therefore sees !ok when the connection closes.
func (s *Service) subscribe(ctx context.Context, buf int, rules ...[]dbus.MatchOption) (*subscription, error) {
	sub := &subscription{svc: s, ch: make(chan *dbus.Signal, buf)}
	s.conn.Signal(sub.ch)
	for _, r := range append(rules[:len(rules):len(rules)], nameowner.Rule(busName)) {
		if err := s.conn.AddMatchSignalContext(ctx, r...); err != nil {
			sub.close()
			return nil, s.mapError(ctx, err)
		}
		sub.rules = append(sub.rules, r)
	}
	owner, err := nameowner.New(ctx, s.conn, busName)
	if err != nil {
		sub.close()
		return nil, s.mapError(ctx, err)
	}
	sub.owner = owner
	return sub, nil
}

// close removes the channel and the match rules.
func (sub *subscription) close() {
	sub.svc.conn.RemoveSignal(sub.ch)
	for _, r := range sub.rules {
		sub.svc.removeMatch(r)
	}
}

// sort classifies a signal from the channel. A change of the service's
// owner is applied to the tracker and returned with changed set; otherwise
// trusted reports whether the service's current owner sent sig. Everything
// else (a forgery, a change seen before the owner was looked up) is neither.
func (sub *subscription) sort(sig *dbus.Signal) (c nameowner.Change, changed, trusted bool) {
	if c, ok := sub.owner.Observe(sig); ok {
		return c, true, false
	}
	return nameowner.Change{}, false, sub.owner.Sent(sig)
}
