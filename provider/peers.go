package provider

import (
	"github.com/godbus/dbus/v5"
)

// watchPeers follows NameOwnerChanged: when a client leaves the bus, its
// sessions are closed (keys wiped) and its prompts are cancelled and
// removed, so nothing it opened outlives it. It also notices when another
// service takes org.freedesktop.secrets over, and when the connection to
// the bus ends (the bus went away): either way the name is lost.
//
// The rule matches names losing their owner only (arg2, the new owner, is
// empty): the bus does not wake the service for every client that joins,
// as secret-tool does once per lookup.
func (s *Server) watchPeers() error {
	if err := s.conn.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(2, "")); err != nil {
		return err
	}
	if err := s.conn.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameLost")); err != nil {
		return err
	}
	sigs := make(chan *dbus.Signal, 64)
	s.conn.Signal(sigs)
	go func() {
		defer s.conn.RemoveSignal(sigs)
		in := (<-chan *dbus.Signal)(sigs)
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-s.conn.Context().Done():
				// Closed by its owner or by the bus: nobody can reach
				// this server any more, and a daemon must not linger.
				if s.ctx.Err() == nil {
					s.lostOnce.Do(func() { close(s.lost) })
				}
				return
			case sig, ok := <-in:
				if !ok {
					in = nil // the connection is closing: its context ends next
					continue
				}
				s.peerSignal(sig)
			}
		}
	}()
	return nil
}

func (s *Server) peerSignal(sig *dbus.Signal) {
	switch sig.Name {
	case "org.freedesktop.DBus.NameLost":
		if len(sig.Body) == 1 && sig.Body[0] == BusName {
			s.lostOnce.Do(func() { close(s.lost) })
		}
	case "org.freedesktop.DBus.NameOwnerChanged":
		if len(sig.Body) != 3 {
			return
		}
		name, _ := sig.Body[0].(string)
		newOwner, _ := sig.Body[2].(string)
		if newOwner != "" || len(name) == 0 || name[0] != ':' {
			return
		}
		s.dropPeer(name)
	}
}

// dropPeer forgets everything the connection name owned.
func (s *Server) dropPeer(name string) {
	var sessions []*session
	var prompts []*prompt
	s.mu.Lock()
	for k, ss := range s.sessions {
		if ss.owner == name {
			sessions = append(sessions, ss)
			delete(s.sessions, k)
		}
	}
	for k, p := range s.prompts {
		if p.owner == name {
			prompts = append(prompts, p)
			delete(s.prompts, k)
		}
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.close()
	}
	for _, p := range prompts {
		p.cancel()
	}
}

// counts reports how many sessions and prompts are open (for tests).
func (s *Server) counts() (sessions, prompts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions), len(s.prompts)
}
