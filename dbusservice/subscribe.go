package dbusservice

import (
	"context"

	"github.com/godbus/dbus/v5"
)

// subscribe registers a signal channel and then adds the match rules, so no
// signal the rules let through is missed. unsubscribe removes both; on error
// nothing stays registered.
//
// The channel is only unregistered, never closed by us: godbus closes
// registered channels itself when the connection closes, and closing it here
// too could panic. A receiver therefore sees !ok when the connection closes.
func (s *Service) subscribe(ctx context.Context, buf int, rules ...[]dbus.MatchOption) (sigs <-chan *dbus.Signal, unsubscribe func(), err error) {
	ch := make(chan *dbus.Signal, buf)
	s.conn.Signal(ch)
	added := 0
	unsubscribe = func() {
		s.conn.RemoveSignal(ch)
		for _, r := range rules[:added] {
			s.removeMatch(r)
		}
	}
	for _, r := range rules {
		if err := s.conn.AddMatchSignalContext(ctx, r...); err != nil {
			unsubscribe()
			return nil, nil, s.mapError(ctx, err)
		}
		added++
	}
	return ch, unsubscribe, nil
}
