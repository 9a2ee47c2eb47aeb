package rotation

import (
	"bytes"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// ErrRetired is secret.ErrRetired, which Resolve wraps for a version that
// was evicted from the ring or is below the minimum decryption version.
var ErrRetired = secret.ErrRetired

// Key is one version of a group's key.
//
// Bytes is the ring's own buffer, shared by every caller: do not modify
// it, and do not keep it past the version's life. When a version leaves
// the ring (evicted, retired, or the ring closed) its buffer is zeroed
// after the ring's wipe delay (a minute by default), so a caller in the
// middle of using it is not disturbed; copy the bytes to keep them longer.
type Key struct {
	Version   uint32
	Created   time.Time
	Activated time.Time
	Bytes     []byte
}

// Ring is the in-memory view of a group: the newest versions, which one is
// current, and the minimum decryption version. A Syncer keeps it up to
// date. Current and Resolve are wait-free (one atomic load), allocate
// nothing on success and are safe for any number of goroutines.
type Ring struct {
	group string
	state atomic.Pointer[ringState]

	// errNoCurrent and errClosed are built once so that Current
	// allocates nothing even when it fails.
	errNoCurrent error
	errClosed    error

	mu        sync.Mutex // serialises writers: update, activation timer, Close
	timer     *time.Timer
	now       func() time.Time
	wipeDelay time.Duration
	closed    bool
}

type ringEntry struct {
	Key
	sealed []byte // the row as stored, to tell an unchanged row from a changed one
}

// ringState is immutable once published.
type ringState struct {
	keys    []*ringEntry // ascending by version
	current int          // index into keys, -1 when no version is active
	min     uint32       // minimum decryption version
	latest  uint32       // newest version the store has
	window  uint32       // lowest version the ring covers; older ones are evicted
	skipped []uint32     // versions in the window whose rows did not open, ascending
	closed  bool
}

// RingOption configures NewRing.
type RingOption func(*Ring)

// WithWipeDelay sets how long a version that left the ring keeps its bytes
// before they are zeroed (default one minute; zero wipes at once).
func WithWipeDelay(d time.Duration) RingOption { return func(r *Ring) { r.wipeDelay = d } }

// NewRing returns an empty ring for group. Syncers make their own; a ring
// of your own is fed with Update.
func NewRing(group string, opts ...RingOption) *Ring {
	r := &Ring{
		group:        group,
		now:          time.Now,
		wipeDelay:    time.Minute,
		errNoCurrent: fmt.Errorf("rotation: group %s has no active key: %w", group, secret.ErrNotFound),
		errClosed:    fmt.Errorf("rotation: group %s: ring %w", group, secret.ErrClosed),
	}
	for _, o := range opts {
		o(r)
	}
	r.state.Store(&ringState{current: -1})
	return r
}

// Group returns the group's name.
func (r *Ring) Group() string { return r.group }

// Current returns the active version: the newest whose activation time has
// passed on this node's clock and that is not retired. Before any version
// is active it returns an error wrapping secret.ErrNotFound.
func (r *Ring) Current() (Key, error) {
	st := r.state.Load()
	if st.current < 0 {
		if st.closed {
			return Key{}, r.errClosed
		}
		return Key{}, r.errNoCurrent
	}
	return st.keys[st.current].Key, nil
}

// Resolve returns version v, active or not yet active, for verifying or
// decrypting what it protected. A version that was evicted from the ring
// or is below the minimum decryption version gives an error wrapping
// secret.ErrRetired, and never another key; a version whose row did not
// decrypt wraps secret.ErrCorrupt; one the ring has not seen (or zero)
// wraps secret.ErrNotFound.
func (r *Ring) Resolve(v uint32) (Key, error) {
	st := r.state.Load()
	keys := st.keys
	lo, hi := 0, len(keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m].Version < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(keys) && keys[lo].Version == v {
		return keys[lo].Key, nil
	}
	return Key{}, r.resolveError(st, v)
}

func (r *Ring) resolveError(st *ringState, v uint32) error {
	switch {
	case st.closed:
		return r.errClosed
	case v == 0:
		return fmt.Errorf("rotation: group %s: version 0 does not exist: %w", r.group, secret.ErrNotFound)
	case v < st.min:
		return fmt.Errorf("rotation: group %s: version %d is below the minimum decryption version %d: %w", r.group, v, st.min, secret.ErrRetired)
	case v < st.window && v <= st.latest:
		return fmt.Errorf("rotation: group %s: version %d was evicted from the ring: %w", r.group, v, secret.ErrRetired)
	case v > st.latest:
		return fmt.Errorf("rotation: group %s: version %d is not known (newest is %d): %w", r.group, v, st.latest, secret.ErrNotFound)
	}
	i := sort.Search(len(st.skipped), func(i int) bool { return st.skipped[i] >= v })
	if i < len(st.skipped) && st.skipped[i] == v {
		return fmt.Errorf("rotation: group %s: version %d did not decrypt: %w", r.group, v, secret.ErrCorrupt)
	}
	return fmt.Errorf("rotation: group %s: version %d is not in the ring: %w", r.group, v, secret.ErrNotFound)
}

// Versions lists the versions the ring holds, oldest first.
func (r *Ring) Versions() []Key {
	st := r.state.Load()
	out := make([]Key, len(st.keys))
	for i, e := range st.keys {
		out[i] = e.Key
	}
	return out
}

// MinVersion returns the minimum decryption version.
func (r *Ring) MinVersion() uint32 { return r.state.Load().min }

// Latest returns the newest version the store had when the ring was last
// updated (held by the ring unless its row did not decrypt).
func (r *Ring) Latest() uint32 { return r.state.Load().latest }

// Update replaces the ring's contents with snap, opening each row with
// open. Rows that are unchanged since the last update keep their
// decrypted bytes; a row that does not open is left out and its error is
// returned among errs (the update still happens). Versions no longer in
// the snapshot are wiped after the wipe delay.
func (r *Ring) Update(snap Snapshot, open func(Row) ([]byte, error)) (errs []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return []error{r.errClosed}
	}
	old := r.state.Load()
	byVersion := make(map[uint32]*ringEntry, len(old.keys))
	for _, e := range old.keys {
		byVersion[e.Version] = e
	}
	st := &ringState{min: snap.MinVersion, latest: snap.Latest, window: max(snap.MinVersion, 1)}
	if len(snap.Rows) > 0 && snap.Rows[0].Version > st.window {
		// The store sent the newest rows only: what is older was evicted.
		// (A young group's rows start at the window already.)
		st.window = snap.Rows[0].Version
	}
	kept := make(map[*ringEntry]bool, len(old.keys))
	for _, row := range snap.Rows {
		if row.Version < st.window {
			continue
		}
		if e := byVersion[row.Version]; e != nil && bytes.Equal(e.sealed, row.Sealed) &&
			e.Created.Equal(row.Created) && e.Activated.Equal(row.Activated) {
			st.keys = append(st.keys, e)
			kept[e] = true
			continue
		}
		b, err := open(row)
		if err != nil {
			st.skipped = append(st.skipped, row.Version)
			errs = append(errs, err)
			continue
		}
		st.keys = append(st.keys, &ringEntry{
			Key:    Key{Version: row.Version, Created: row.Created, Activated: row.Activated, Bytes: b},
			sealed: bytes.Clone(row.Sealed),
		})
	}
	sort.Slice(st.keys, func(i, j int) bool { return st.keys[i].Version < st.keys[j].Version })
	r.publish(st)
	var gone []*ringEntry
	for _, e := range old.keys {
		if !kept[e] {
			gone = append(gone, e)
		}
	}
	r.wipeLater(gone)
	return errs
}

// publish computes the current version of st at this moment, stores st,
// and arms the timer for the next activation. Called with r.mu held.
func (r *Ring) publish(st *ringState) {
	now := r.now()
	st.current = -1
	var next time.Time
	for i := len(st.keys) - 1; i >= 0; i-- {
		e := st.keys[i]
		if e.Version < st.min {
			break
		}
		if !e.Activated.After(now) {
			st.current = i
			break
		}
		next = e.Activated // the oldest pending version above the current one
	}
	r.state.Store(st)
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if !next.IsZero() {
		r.timer = time.AfterFunc(next.Sub(now), r.activate)
	}
}

// activate republishes the ring when a pending version's time has come.
func (r *Ring) activate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	old := r.state.Load()
	st := *old
	r.publish(&st)
}

func (r *Ring) wipeLater(gone []*ringEntry) {
	if len(gone) == 0 {
		return
	}
	wipe := func() {
		for _, e := range gone {
			clear(e.Bytes)
		}
	}
	if r.wipeDelay <= 0 {
		wipe()
		return
	}
	time.AfterFunc(r.wipeDelay, wipe)
}

// Close empties the ring: every key is wiped after the wipe delay, and
// Current and Resolve fail with an error wrapping secret.ErrClosed.
func (r *Ring) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
	}
	old := r.state.Load()
	r.state.Store(&ringState{current: -1, closed: true})
	r.wipeLater(old.keys)
}
