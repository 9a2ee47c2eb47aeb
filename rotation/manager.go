package rotation

import (
	"context"
)

// Manager runs a Rotator and a Syncer for one group, for a node that both
// rotates and uses the keys. Storage, Encryptor, Group and OnError are
// copied into Syncer and Rotator where those leave them empty; their other
// fields tune each part.
type Manager struct {
	Storage   Storage
	Encryptor Encryptor
	Group     string
	OnError   func(error)
	Syncer    Syncer
	Rotator   Rotator
}

// Start starts the syncer (loading the group, which must succeed) and
// then the rotator. The handle's Ring is the syncer's; Wait returns once
// both have stopped after ctx ends.
func (m *Manager) Start(ctx context.Context) (*Handle, error) {
	s, r := m.Syncer, m.Rotator
	if s.Storage == nil {
		s.Storage = m.Storage
	}
	if r.Storage == nil {
		r.Storage = m.Storage
	}
	if s.Encryptor == nil {
		s.Encryptor = m.Encryptor
	}
	if r.Encryptor == nil {
		r.Encryptor = m.Encryptor
	}
	if s.Group == "" {
		s.Group = m.Group
	}
	if r.Group == "" {
		r.Group = m.Group
	}
	if s.OnError == nil {
		s.OnError = m.OnError
	}
	if r.OnError == nil {
		r.OnError = m.OnError
	}
	ctx, cancel := context.WithCancel(ctx)
	sh, err := s.Start(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	rh, err := r.Start(ctx)
	if err != nil {
		cancel()
		sh.Wait()
		return nil, err
	}
	h := &Handle{ring: sh.ring, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer cancel()
		sh.Wait()
		rh.Wait()
	}()
	return h, nil
}
