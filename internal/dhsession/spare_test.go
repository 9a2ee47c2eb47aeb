package dhsession

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

// TestSpareHandsOutEachPairOnce: concurrent takers, with refills in between,
// never get the same key pair (neither the same object nor the same public
// value), and a taken spare is gone from the Spare.
func TestSpareHandsOutEachPairOnce(t *testing.T) {
	s := NewSpare(Oakley1024())
	defer s.Close()
	s.fill.Wait()
	s.mu.Lock()
	ready := s.next
	s.mu.Unlock()
	if ready == nil {
		t.Fatal("no spare generated at start")
	}
	first, err := s.Take()
	if err != nil || first != ready {
		t.Fatalf("Take did not hand out the spare: %v", err)
	}
	s.mu.Lock()
	left := s.next
	s.mu.Unlock()
	if left != nil {
		t.Fatal("the spare is still kept after Take")
	}
	var mu sync.Mutex
	seen := map[string]bool{string(first.PublicKey()): true}
	keys := map[*PrivateKey]bool{first: true}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				k, err := s.Take()
				if err != nil {
					t.Error(err)
					return
				}
				s.Refill()
				mu.Lock()
				if keys[k] || seen[string(k.PublicKey())] {
					t.Error("a key pair was handed out twice")
				}
				keys[k], seen[string(k.PublicKey())] = true, true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(keys) != 21 {
		t.Fatalf("%d distinct keys for 21 takes", len(keys))
	}
}

// TestSpareCloseWipes: Close wipes the spare nobody took, and one whose
// generation was under way; Take keeps working, without refills.
func TestSpareCloseWipes(t *testing.T) {
	s := NewSpare(Oakley1024())
	s.fill.Wait()
	s.mu.Lock()
	k := s.next
	s.mu.Unlock()
	s.Close()
	if k == nil || k.x != nil {
		t.Fatal("the spare's private exponent survived Close")
	}
	late, err := s.Take()
	if err != nil || late == k {
		t.Fatalf("Take after Close: %v", err)
	}
	s.Refill()
	s.fill.Wait()
	if s.next != nil {
		t.Fatal("a closed Spare refilled")
	}

	// Close while the generation runs: the result is wiped, not kept.
	s2 := NewSpare(Oakley1024())
	s2.Close()
	if s2.next != nil || s2.filling {
		t.Fatal("a spare generated during Close was kept")
	}
}

// TestCheckPeerKey is SharedKeys' validation on its own.
func TestCheckPeerKey(t *testing.T) {
	g := Oakley1024()
	k, _ := GenerateKey(g, nil)
	if err := g.CheckPeerKey(k.PublicKey()); err != nil {
		t.Fatal(err)
	}
	pMinus1 := g.P.Bytes()
	pMinus1[len(pMinus1)-1]--
	for _, bad := range [][]byte{nil, {1}, pMinus1, g.P.Bytes(), bytes.Repeat([]byte{1}, 129)} {
		if err := g.CheckPeerKey(bad); !errors.Is(err, secret.ErrCorrupt) {
			t.Errorf("CheckPeerKey(%d bytes) = %v", len(bad), err)
		}
	}
}
