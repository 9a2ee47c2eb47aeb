package rotation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// rows makes a snapshot of versions from..to (all active at t0 unless
// pending says otherwise), sealed with NoopEncryptor.
func snapshot(t *testing.T, group string, from, to uint32, min uint32, t0 time.Time) Snapshot {
	t.Helper()
	snap := Snapshot{Config: GroupConfig{Name: group, KeySize: 32, Interval: time.Hour}, MinVersion: min, Latest: to, Now: t0}
	for v := from; v <= to; v++ {
		key := bytes.Repeat([]byte{byte(v)}, 32)
		sealed, err := NoopEncryptor{}.Seal(context.Background(), group, v, key)
		if err != nil {
			t.Fatal(err)
		}
		snap.Rows = append(snap.Rows, Row{Version: v, Created: t0, Activated: t0, Sealed: sealed})
		snap.LatestCreated = t0
	}
	return snap
}

func noopOpen(group string) func(Row) ([]byte, error) {
	return func(r Row) ([]byte, error) {
		return NoopEncryptor{}.Open(context.Background(), group, r.Version, r.Sealed)
	}
}

// TestRingResolveEvictedAndRetired: a version older than the ring's window
// and one below the minimum decryption version both wrap ErrRetired and
// never return another key; an evicted key's bytes are zeroed.
func TestRingResolveEvictedAndRetired(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	r := NewRing("g", WithWipeDelay(0))
	if errs := r.Update(snapshot(t, "g", 1, 3, 0, t0), noopOpen("g")); errs != nil {
		t.Fatal(errs)
	}
	held, err := r.Resolve(2)
	if err != nil || held.Bytes[0] != 2 {
		t.Fatalf("Resolve(2) = %v, %v", held, err)
	}
	// Keep 3: versions 4..6 arrive, 1..3 are evicted.
	r.Update(snapshot(t, "g", 4, 6, 0, t0), noopOpen("g"))
	for _, v := range []uint32{1, 2, 3} {
		k, err := r.Resolve(v)
		if !errors.Is(err, secret.ErrRetired) || k.Bytes != nil {
			t.Errorf("Resolve(%d) after eviction = %v, %v; want ErrRetired", v, k, err)
		}
	}
	if !bytes.Equal(held.Bytes, make([]byte, 32)) {
		t.Errorf("evicted key not wiped: % x", held.Bytes[:4])
	}
	if k, err := r.Current(); err != nil || k.Version != 6 {
		t.Errorf("Current = %d, %v; want 6", k.Version, err)
	}
	// Retire below 5.
	r.Update(snapshot(t, "g", 5, 6, 5, t0), noopOpen("g"))
	if _, err := r.Resolve(4); !errors.Is(err, secret.ErrRetired) {
		t.Errorf("Resolve(4) after retiring below 5: %v, want ErrRetired", err)
	}
	if k, err := r.Resolve(5); err != nil || k.Version != 5 {
		t.Errorf("Resolve(5) = %v, %v", k.Version, err)
	}
	if _, err := r.Resolve(7); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("Resolve(7), unknown: %v, want ErrNotFound", err)
	}
	if _, err := r.Resolve(0); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("Resolve(0): %v, want ErrNotFound", err)
	}
}

// TestRingActivation: a pending version is resolvable but not current
// until its activation time, then becomes current without another update.
func TestRingActivation(t *testing.T) {
	now := time.Now()
	r := NewRing("g")
	snap := snapshot(t, "g", 1, 2, 0, now.Add(-time.Hour))
	snap.Rows[1].Activated = now.Add(300 * time.Millisecond)
	r.Update(snap, noopOpen("g"))
	for {
		k, err := r.Current()
		if err != nil {
			t.Fatal(err)
		}
		if k.Version == 2 {
			if time.Now().Before(snap.Rows[1].Activated) {
				t.Fatalf("version 2 current %v before its activation", time.Until(snap.Rows[1].Activated))
			}
			break
		}
		if _, err := r.Resolve(2); err != nil {
			t.Fatalf("pending version 2 not resolvable: %v", err)
		}
		if time.Since(now) > 10*time.Second {
			t.Fatal("version 2 never became current")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRingNoCurrentBeforeFirstActivation: nothing active is ErrNotFound.
func TestRingNoCurrentBeforeFirstActivation(t *testing.T) {
	r := NewRing("g")
	if _, err := r.Current(); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("empty ring: %v", err)
	}
	snap := snapshot(t, "g", 1, 1, 0, time.Now())
	snap.Rows[0].Activated = time.Now().Add(time.Hour)
	r.Update(snap, noopOpen("g"))
	if _, err := r.Current(); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("only a pending version: %v", err)
	}
	r.Close()
	if _, err := r.Current(); !errors.Is(err, secret.ErrClosed) {
		t.Fatalf("closed ring: %v", err)
	}
}

// TestRingSkipsRowThatDoesNotOpen: a row that fails is reported, left out
// (Resolve wraps ErrCorrupt), and the others are served.
func TestRingSkipsRowThatDoesNotOpen(t *testing.T) {
	r := NewRing("g")
	snap := snapshot(t, "g", 1, 3, 0, time.Now().Add(-time.Hour))
	snap.Rows[2].Sealed[0] ^= 1
	errs := r.Update(snap, noopOpen("g"))
	if len(errs) != 1 || !errors.Is(errs[0], secret.ErrCorrupt) {
		t.Fatalf("errs = %v", errs)
	}
	if _, err := r.Resolve(3); !errors.Is(err, secret.ErrCorrupt) {
		t.Errorf("Resolve(3): %v, want ErrCorrupt", err)
	}
	if k, err := r.Current(); err != nil || k.Version != 2 {
		t.Errorf("Current = %d, %v; want 2", k.Version, err)
	}
}

// TestRingReadsDuringUpdates: readers on many goroutines always get a
// consistent key (its bytes match its version) while updates swap the
// state (run with -race).
func TestRingReadsDuringUpdates(t *testing.T) {
	r := NewRing("g")
	t0 := time.Now().Add(-time.Hour)
	r.Update(snapshot(t, "g", 1, 4, 0, t0), noopOpen("g"))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad sync.Once
	var badErr error
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				k, err := r.Current()
				if err != nil || k.Bytes[0] != byte(k.Version) {
					bad.Do(func() { badErr = fmt.Errorf("Current = %d % x, %v", k.Version, k.Bytes[:1], err) })
				}
			}
		}()
	}
	for v := uint32(5); v < 200; v++ {
		r.Update(snapshot(t, "g", v-3, v, 0, t0), noopOpen("g"))
	}
	close(stop)
	wg.Wait()
	if badErr != nil {
		t.Fatal(badErr)
	}
}

// TestCurrentAllocatesNothing: Current and Resolve of a held version
// allocate nothing.
func TestCurrentAllocatesNothing(t *testing.T) {
	r := NewRing("g")
	r.Update(snapshot(t, "g", 1, 8, 0, time.Now().Add(-time.Hour)), noopOpen("g"))
	if n := testing.AllocsPerRun(1000, func() { r.Current() }); n != 0 {
		t.Errorf("Current: %v allocs", n)
	}
	if n := testing.AllocsPerRun(1000, func() { r.Resolve(5) }); n != 0 {
		t.Errorf("Resolve: %v allocs", n)
	}
}

// TestLocalEncryptorBindsGroupAndVersion: a sealed key opens only for its
// own group and version and under its own KEK.
func TestLocalEncryptorBindsGroupAndVersion(t *testing.T) {
	ctx := context.Background()
	e, err := NewLocalEncryptor(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{9}, 32)
	sealed, err := e.Seal(ctx, "a", 7, key)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, key) {
		t.Fatal("sealed row contains the key")
	}
	if got, err := e.Open(ctx, "a", 7, sealed); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Open = %x, %v", got, err)
	}
	other, _ := NewLocalEncryptor(bytes.Repeat([]byte{2}, 32))
	for name, open := range map[string]func() ([]byte, error){
		"other group":   func() ([]byte, error) { return e.Open(ctx, "b", 7, sealed) },
		"other version": func() ([]byte, error) { return e.Open(ctx, "a", 8, sealed) },
		"other KEK":     func() ([]byte, error) { return other.Open(ctx, "a", 7, sealed) },
		"truncated":     func() ([]byte, error) { return e.Open(ctx, "a", 7, sealed[:20]) },
	} {
		if _, err := open(); !errors.Is(err, secret.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := NewLocalEncryptor(make([]byte, 16)); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Errorf("16-byte KEK: %v", err)
	}
}
