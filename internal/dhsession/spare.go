package dhsession

import "sync"

// Spare keeps one key pair generated ahead of need. A service answering
// OpenSession spends half its work on g^x, which does not depend on the
// client: with a Spare that exponentiation happens between sessions, and the
// reply waits for the shared secret only.
//
// Each pair is handed out once and never again: Take gives the caller the
// spare and forgets it, so two sessions never share a private exponent.
// Close wipes a spare nobody took.
type Spare struct {
	group *Group

	mu      sync.Mutex
	next    *PrivateKey
	filling bool
	closed  bool
	fill    sync.WaitGroup
}

// NewSpare returns a Spare of group g (keys from crypto/rand), empty until
// the first Refill: a service calls it once it is up, so that the first
// generation does not delay its start. Close it when done.
func NewSpare(g *Group) *Spare { return &Spare{group: g} }

// Take returns the spare key pair if one is ready, or generates one now.
// The caller owns the key and wipes it. Take does not start the next
// spare: call Refill when the machine has a moment (the provider does once
// a session's shared key is derived), so that the generation does not compete
// with the caller's own work.
func (s *Spare) Take() (*PrivateKey, error) {
	s.mu.Lock()
	k := s.next
	s.next = nil
	s.mu.Unlock()
	if k != nil {
		return k, nil
	}
	return GenerateKey(s.group, nil)
}

// Ready reports whether a spare is waiting, so that Take returns at once.
func (s *Spare) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next != nil
}

// Refill generates the next spare in the background unless one is ready or
// under way, or s is closed.
func (s *Spare) Refill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.filling || s.next != nil {
		return
	}
	s.filling = true
	s.fill.Add(1)
	go func() {
		defer s.fill.Done()
		k, err := GenerateKey(s.group, nil)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.filling = false
		if err != nil {
			return // Take generates on demand instead
		}
		if s.closed {
			k.Wipe()
			return
		}
		s.next = k
	}()
}

// Close waits for a generation under way and wipes the spare. Take still
// works afterwards, generating each key on demand.
func (s *Spare) Close() {
	s.mu.Lock()
	s.closed = true
	k := s.next
	s.next = nil
	s.mu.Unlock()
	k.Wipe()
	s.fill.Wait()
}
