package rotation

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Rotator makes a group's new versions. Run one on every node that may
// rotate: each wakes when the next version is due by the store's clock,
// and the store lets exactly one of them insert it (see Storage.Rotate),
// so the cluster gets one version per interval whatever the number of
// rotators, with no gap and no duplicate. Set the fields, then call
// Start, or call RotateNow for a rotation on demand.
type Rotator struct {
	Storage   Storage
	Encryptor Encryptor
	Group     string
	// Rand is where keys come from (default crypto/rand.Reader).
	Rand io.Reader
	// MaxBackoff caps the delay between attempts while the store is
	// unreachable (default 5 s).
	MaxBackoff time.Duration
	// OnError receives failed attempts; the rotator retries. Nil discards.
	OnError func(error)
	// OnRotate, if set, is called after this rotator inserted a version.
	OnRotate func(RotateResult)
}

func (r *Rotator) check() error {
	switch {
	case r.Storage == nil:
		return fmt.Errorf("rotation: rotator without Storage: %w", secret.ErrInvalidArgument)
	case r.Encryptor == nil:
		return fmt.Errorf("rotation: rotator without Encryptor: %w", secret.ErrInvalidArgument)
	}
	return ValidGroupName(r.Group)
}

// seal returns the SealFunc that generates a key of size bytes.
func (r *Rotator) seal(size int) SealFunc {
	src := r.Rand
	if src == nil {
		src = rand.Reader
	}
	return func(ctx context.Context, version uint32) ([]byte, error) {
		key := make([]byte, size)
		defer clear(key)
		if _, err := io.ReadFull(src, key); err != nil {
			return nil, fmt.Errorf("rotation: generate key: %w", err)
		}
		return r.Encryptor.Seal(ctx, r.Group, version, key)
	}
}

// prepare loads the group, returning its key size, and checks that the
// encryptor opens at least one of its newest rows: a rotator with the
// wrong key-encryption key would add versions no other node can read.
func (r *Rotator) prepare(ctx context.Context) (int, error) {
	snap, err := r.Storage.Load(ctx, r.Group, 4)
	if err != nil {
		return 0, fmt.Errorf("rotation: load group %s: %w", r.Group, err)
	}
	if len(snap.Rows) == 0 {
		return snap.Config.KeySize, nil
	}
	var first error
	for _, row := range snap.Rows {
		b, err := r.Encryptor.Open(ctx, r.Group, row.Version, row.Sealed)
		if err == nil {
			clear(b)
			return snap.Config.KeySize, nil
		}
		if first == nil {
			first = err
		}
	}
	return 0, fmt.Errorf("rotation: group %s: the rotator's key-encryption key opens none of the newest keys, and would make versions other nodes cannot read: %w (%w)",
		r.Group, secret.ErrWrongPassword, first)
}

// RotateNow inserts a new version at once, whether or not one is due,
// after the same checks as Start.
func (r *Rotator) RotateNow(ctx context.Context) (RotateResult, error) {
	if err := r.check(); err != nil {
		return RotateResult{}, err
	}
	size, err := r.prepare(ctx)
	if err != nil {
		return RotateResult{}, err
	}
	res, err := r.Storage.Rotate(ctx, r.Group, true, r.seal(size))
	if err != nil {
		return res, fmt.Errorf("rotation: rotate %s: %w", r.Group, err)
	}
	if r.OnRotate != nil {
		r.OnRotate(res)
	}
	return res, nil
}

// Start checks that the group exists and that the encryptor opens its
// keys (else an error wrapping secret.ErrWrongPassword), makes a version if one is due, and
// keeps rotating until ctx ends. A rotation under way when ctx ends is
// finished first (within 30 s), so that OnRotate reports every version
// this rotator inserted; Handle.Wait waits for it.
func (r *Rotator) Start(ctx context.Context) (*Handle, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	size, err := r.prepare(ctx)
	if err != nil {
		return nil, err
	}
	h := &Handle{done: make(chan struct{})}
	go func() {
		defer close(h.done)
		r.loop(ctx, r.seal(size))
	}()
	return h, nil
}

func (r *Rotator) loop(ctx context.Context, seal SealFunc) {
	maxBackoff := r.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = DefaultMaxBackoff
	}
	backoff := minBackoff
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		// An attempt that has begun is not cut short when ctx ends: its
		// transaction may commit just as a cancel arrives, and then the
		// version exists while the rotator never learns it did
		// (OnRotate would miss it). It ends on its own, within
		// rotateTimeout, and stopping waits for it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rotateTimeout)
		res, err := r.Storage.Rotate(rctx, r.Group, false, seal)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if r.OnError != nil {
				r.OnError(fmt.Errorf("rotation: rotate %s: %w", r.Group, err))
			}
			timer.Reset(backoff)
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		backoff = minBackoff
		if res.Inserted && r.OnRotate != nil {
			r.OnRotate(res)
		}
		// The next due time is on the store's clock; the wait until then
		// is a duration, the same on ours.
		timer.Reset(max(res.NextDue(), time.Millisecond))
	}
}

// CreateGroup creates a group in st with its first version, generated from
// crypto/rand and sealed by enc, current at once. An existing group is
// left as it is: created is false and snap describes it (compare its
// Config with cfg to tell a mismatch).
func CreateGroup(ctx context.Context, st Storage, enc Encryptor, cfg GroupConfig) (snap Snapshot, created bool, err error) {
	cfg, err = cfg.WithDefaults()
	if err != nil {
		return Snapshot{}, false, err
	}
	r := &Rotator{Storage: st, Encryptor: enc, Group: cfg.Name}
	return st.CreateGroup(ctx, cfg, r.seal(cfg.KeySize))
}
