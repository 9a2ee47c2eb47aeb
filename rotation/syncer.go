package rotation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Defaults for the Syncer's zero fields.
const (
	DefaultPollInterval = 5 * time.Second
	DefaultMaxBackoff   = 5 * time.Second
	minBackoff          = 100 * time.Millisecond
	// dueMargin is how long after a rotation's due time the syncer looks
	// for it when no push arrived (the rotator needs a moment to commit).
	dueMargin = 50 * time.Millisecond
	// overdueRetry is how often it looks again while a rotation is overdue.
	overdueRetry = 250 * time.Millisecond
	// loadTimeout bounds one load, so that a connection that hangs (a
	// network that drops packets instead of refusing) counts as the
	// store being away rather than stalling the syncer.
	loadTimeout = 10 * time.Second
	// rotateTimeout bounds one rotation attempt likewise.
	rotateTimeout = 30 * time.Second
)

// Syncer keeps a Ring in step with a group in Storage. Set the fields, then
// call Start.
//
// After the initial load it follows changes pushed by the engine
// (PostgreSQL LISTEN/NOTIFY), polls every PollInterval in case a push was
// lost, and looks early when the next rotation is due. While the store is
// unreachable the ring keeps serving what it has (pending versions still
// activate on time); the syncer retries with exponential back-off and
// catches up as soon as the store answers. A row that does not decrypt is
// left out and reported to OnError as a *RowError, never fatal.
type Syncer struct {
	Storage   Storage
	Encryptor Encryptor
	Group     string
	// Keep is how many of the newest versions the ring holds (default 16).
	// Older versions are evicted and Resolve answers ErrRetired for them.
	Keep int
	// PollInterval is the fallback poll period (default 5 s).
	PollInterval time.Duration
	// DisablePush turns LISTEN/NOTIFY off, for connection poolers that do
	// not carry it (PgBouncer in transaction mode): the syncer then relies
	// on polling and on looking when a rotation is due.
	DisablePush bool
	// MaxBackoff caps the delay between reconnection attempts (default 5 s).
	MaxBackoff time.Duration
	// OnError receives what goes wrong without stopping the syncer: a row
	// that does not decrypt (*RowError, once per row content), a failed
	// load, a broken subscription. It must not block. Nil discards.
	OnError func(error)
	// OnUpdate, if set, is called after each successful load with the ring.
	OnUpdate func(*Ring)
	// RingOptions configure the ring (WithWipeDelay).
	RingOptions []RingOption
}

// RowError reports a stored row that did not decrypt. The ring leaves the
// version out; Resolve of it wraps secret.ErrCorrupt.
type RowError struct {
	Group   string
	Version uint32
	Err     error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("rotation: group %s: version %d skipped: %v", e.Group, e.Version, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Handle is a running Syncer, Rotator or Manager.
type Handle struct {
	ring *Ring
	done chan struct{}
}

// Ring returns the ring a Syncer or Manager keeps up to date (nil for a
// Rotator alone).
func (h *Handle) Ring() *Ring { return h.ring }

// Done is closed once everything the handle runs has stopped.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Wait blocks until the context given to Start has ended and every
// goroutine has stopped. The ring stays readable afterwards.
func (h *Handle) Wait() { <-h.done }

func (s *Syncer) check() error {
	switch {
	case s.Storage == nil:
		return fmt.Errorf("rotation: syncer without Storage: %w", secret.ErrInvalidArgument)
	case s.Encryptor == nil:
		return fmt.Errorf("rotation: syncer without Encryptor: %w", secret.ErrInvalidArgument)
	}
	return ValidGroupName(s.Group)
}

func (s *Syncer) keep() int {
	if s.Keep <= 0 {
		return DefaultKeep
	}
	return s.Keep
}

// Start loads the group and returns once the ring holds it; a group that
// cannot be loaded fails Start. If the group has rows and none decrypts,
// Start fails with an error wrapping secret.ErrWrongPassword: the
// key-encryption key is not the cluster's. The syncer then runs until ctx
// ends.
func (s *Syncer) Start(ctx context.Context) (*Handle, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	snap, err := s.Storage.Load(ctx, s.Group, s.keep())
	if err != nil {
		return nil, fmt.Errorf("rotation: load group %s: %w", s.Group, err)
	}
	run := &syncRun{s: s, ring: NewRing(s.Group, s.RingOptions...), reported: map[uint32]string{}, snap: snap}
	errs := run.ring.Update(snap, run.open(ctx))
	if len(snap.Rows) > 0 && len(errs) == len(snap.Rows) {
		run.ring.Close()
		return nil, fmt.Errorf("rotation: group %s: none of its %d newest keys decrypts, the key-encryption key is not the one they were sealed with: %w (%w)",
			s.Group, len(snap.Rows), secret.ErrWrongPassword, errs[0])
	}
	run.report(errs)
	if s.OnUpdate != nil {
		s.OnUpdate(run.ring)
	}
	run.loadedAt = time.Now()
	h := &Handle{ring: run.ring, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		run.loop(ctx)
	}()
	return h, nil
}

// syncRun is one running syncer's state, owned by its goroutine.
type syncRun struct {
	s        *Syncer
	ring     *Ring
	snap     Snapshot  // last successful load
	loadedAt time.Time // local time of that load
	reported map[uint32]string
}

func (r *syncRun) open(ctx context.Context) func(Row) ([]byte, error) {
	return func(row Row) ([]byte, error) {
		b, err := r.s.Encryptor.Open(ctx, r.s.Group, row.Version, row.Sealed)
		if err == nil && len(b) != r.snapKeySize() {
			clear(b)
			err = fmt.Errorf("rotation: key is %d bytes, the group's are %d: %w", len(b), r.snapKeySize(), secret.ErrCorrupt)
		}
		if err != nil {
			return nil, &RowError{Group: r.s.Group, Version: row.Version, Err: err}
		}
		return b, nil
	}
}

func (r *syncRun) snapKeySize() int { return r.snap.Config.KeySize }

// report passes row errors to OnError once per row content.
func (r *syncRun) report(errs []error) {
	for _, err := range errs {
		var re *RowError
		if errors.As(err, &re) {
			sealed := ""
			for _, row := range r.snap.Rows {
				if row.Version == re.Version {
					sealed = string(row.Sealed)
				}
			}
			if prev, ok := r.reported[re.Version]; ok && prev == sealed {
				continue
			}
			r.reported[re.Version] = sealed
		}
		r.s.onError(err)
	}
}

func (s *Syncer) onError(err error) {
	if s.OnError != nil {
		s.OnError(err)
	}
}

// refresh loads the group and updates the ring.
func (r *syncRun) refresh(ctx context.Context) error {
	lctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	snap, err := r.s.Storage.Load(lctx, r.s.Group, r.s.keep())
	if err != nil {
		return err
	}
	prev := r.snap
	if snap.Latest < prev.Latest {
		// Versions are never reused; a store that went back (restored
		// from an old backup) will hand out numbers that meant other keys.
		r.s.onError(fmt.Errorf("rotation: group %s: the store's newest version went back from %d to %d (restored from a backup?); versions above %d will be made again with new keys: %w",
			r.s.Group, prev.Latest, snap.Latest, snap.Latest, secret.ErrCorrupt))
	}
	r.snap = snap
	errs := r.ring.Update(snap, r.open(lctx))
	r.loadedAt = time.Now()
	if len(errs) > 0 {
		r.report(errs)
	} else if len(prev.Rows) > 0 {
		clear(r.reported)
	}
	if r.s.OnUpdate != nil {
		r.s.OnUpdate(r.ring)
	}
	return nil
}

// nextLook is how long to wait before loading again when nothing is pushed:
// the poll interval, or less when a rotation is due sooner.
func (r *syncRun) nextLook() time.Duration {
	poll := r.s.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	due := r.snap.LatestCreated.Add(r.snap.Config.Interval).Sub(r.snap.Now) - time.Since(r.loadedAt)
	switch {
	case r.snap.Latest == 0:
		return poll
	case due+dueMargin > 0:
		return min(poll, due+dueMargin)
	case -due < poll:
		return min(poll, overdueRetry)
	}
	return poll
}

func (r *syncRun) loop(ctx context.Context) {
	s := r.s
	maxBackoff := s.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = DefaultMaxBackoff
	}
	backoff := minBackoff
	grow := func() {
		backoff = min(backoff*2, maxBackoff)
	}

	var sub <-chan struct{}
	stopSub := func() {}
	defer func() { stopSub() }()
	var retrySub time.Time // zero: subscribe now
	dbDown := false

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if !s.DisablePush && sub == nil && !time.Now().Before(retrySub) {
			stopSub()
			var c <-chan struct{}
			var err error
			c, stopSub, err = r.subscribe(ctx)
			switch {
			case err != nil:
				s.onError(fmt.Errorf("rotation: group %s: subscribe: %w", s.Group, err))
				retrySub = time.Now().Add(backoff)
				grow()
			case c == nil: // the engine cannot push
				retrySub = time.Now().Add(100 * 365 * 24 * time.Hour)
			default:
				sub = c
				// Catch up on what changed before the subscription.
				if err := r.refresh(ctx); err != nil {
					dbDown = true
				} else {
					dbDown, backoff = false, minBackoff
				}
			}
		}

		wait := r.nextLook()
		if dbDown {
			wait = backoff
		}
		if !s.DisablePush && sub == nil {
			wait = max(min(wait, time.Until(retrySub)), 0)
		}
		timer.Reset(wait)

		select {
		case <-ctx.Done():
			return
		case _, ok := <-sub:
			if !ok {
				sub = nil
				s.onError(fmt.Errorf("rotation: group %s: push subscription lost; polling until it is back", s.Group))
				retrySub = time.Now().Add(backoff)
				grow()
				break
			}
			drain(sub)
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err := r.refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.onError(fmt.Errorf("rotation: group %s: load (serving the last good ring): %w", s.Group, err))
			if dbDown {
				grow()
			}
			dbDown = true
			continue
		}
		dbDown = false
		if sub != nil {
			backoff = minBackoff
		}
	}
}

// subscribe subscribes under a context of its own, so that an abandoned
// subscription can be released.
func (r *syncRun) subscribe(ctx context.Context) (<-chan struct{}, func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	c, err := r.s.Storage.Subscribe(ctx, r.s.Group)
	return c, cancel, err
}

// drain empties a notification channel without blocking: one load covers
// every change so far.
func drain(c <-chan struct{}) {
	for {
		select {
		case _, ok := <-c:
			if !ok {
				return
			}
		default:
			return
		}
	}
}
