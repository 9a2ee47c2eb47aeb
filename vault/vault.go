package vault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// DefaultMaxValueSize is the largest value a Vault stores unless
// WithMaxValueSize says otherwise: 64 KiB, room for a PEM chain or a service
// account JSON, and within what the Windows Credential Manager holds (200
// KiB with chunking). The kernel keyring holds less than 32 KiB per key: on
// keyctl a larger value fails with the backend's secret.ErrTooLarge.
const DefaultMaxValueSize = 64 << 10

// ErrExpired is secret.ErrExpired: Get of a secret whose expiry time has
// passed. The secret stays stored.
var ErrExpired = secret.ErrExpired

// maxConflictRetries bounds how often a write that keeps metadata re-reads
// and retries after losing a race to another writer; the waits between
// tries grow from 1 ms to 64 ms, with jitter so that the losers of one
// round do not collide again in the next.
const maxConflictRetries = 32

// A Vault holds named, scoped secrets with metadata in one Engine. It is
// safe for concurrent use.
type Vault struct {
	engine   Engine
	maxValue int
	now      func() time.Time
	note     string
}

// New returns a Vault over an engine the caller opened. Of the options, only
// WithMaxValueSize and WithClock matter here; Open uses the others to choose
// and open an engine.
func New(e Engine, opts ...Option) *Vault {
	c := newConfig(opts)
	return c.vault(e, "")
}

// Engine returns the engine, for its own methods (a single-entry engine's
// Reload, a remote engine's HealthCheck).
func (v *Vault) Engine() Engine { return v.engine }

// Info describes the engine and how it was chosen.
func (v *Vault) Info() Info {
	info := v.engine.Info()
	if v.note != "" {
		info.Note = v.note
	}
	return info
}

// HealthCheck runs the engine's HealthCheck (see HealthChecker), or
// returns an error wrapping secret.ErrNotSupported when it has none.
func (v *Vault) HealthCheck(ctx context.Context) error {
	hc, ok := v.engine.(HealthChecker)
	if !ok {
		return fmt.Errorf("vault: the %s engine has no health check: %w", v.engine.Info().Engine, secret.ErrNotSupported)
	}
	return hc.HealthCheck(ctx)
}

// Close closes the engine.
func (v *Vault) Close() error { return v.engine.Close() }

// SetOption sets metadata or a precondition for Set.
type SetOption func(*setConfig)

type setConfig struct {
	provider string
	expires  time.Time
	expireIn time.Duration
	cond     *Condition
}

// WithProvider records whose credential the secret is ("openai").
func WithProvider(name string) SetOption { return func(c *setConfig) { c.provider = name } }

// ExpiresAt makes the secret expire at t (to the second): Get fails with
// ErrExpired from then on.
func ExpiresAt(t time.Time) SetOption { return func(c *setConfig) { c.expires = t; c.expireIn = 0 } }

// ExpiresIn makes the secret expire d after it is written.
func ExpiresIn(d time.Duration) SetOption {
	return func(c *setConfig) { c.expireIn = d; c.expires = time.Time{} }
}

// IfAbsent makes Set fail with ErrConflict when the secret exists.
func IfAbsent() SetOption { return func(c *setConfig) { c.cond = &Condition{Absent: true} } }

// IfVersion makes Set fail with ErrConflict unless the secret is still at
// version (Record.Version, as Stat returns it): check-and-set for callers
// who read, decide and write.
func IfVersion(version string) SetOption {
	return func(c *setConfig) { c.cond = &Condition{Version: version} }
}

// Set stores val at p with the metadata the options give, replacing any
// value and metadata there, except created_at, which an overwrite keeps.
// The Vault does not keep val; the caller still wipes it.
func (v *Vault) Set(ctx context.Context, p Path, val *secret.Value, opts ...SetOption) error {
	if err := v.checkWrite(p, val); err != nil {
		return fmt.Errorf("vault: set %s: %w", p, err)
	}
	var sc setConfig
	for _, o := range opts {
		o(&sc)
	}
	err := v.rewrite(ctx, p, sc.cond, func(cur *Record, now time.Time) (*Record, error) {
		rec := &Record{Metadata: Metadata{Path: p, Provider: sc.provider, CreatedAt: now, UpdatedAt: now}, Value: val}
		if !sc.expires.IsZero() {
			rec.ExpiresAt = sc.expires.UTC()
		}
		if sc.expireIn > 0 {
			rec.ExpiresAt = now.Add(sc.expireIn)
		}
		// Expiry is kept to the second on every engine (the keyring
		// schema's "expires" is RFC 3339 without fractions).
		rec.ExpiresAt = rec.ExpiresAt.Truncate(time.Second)
		if cur != nil && !cur.CreatedAt.IsZero() {
			rec.CreatedAt = cur.CreatedAt
		}
		return rec, nil
	})
	if err != nil {
		return fmt.Errorf("vault: set %s: %w", p, err)
	}
	return nil
}

// UpdateValue replaces the value at p, keeping provider, expiry and
// created_at, and sets updated_at. The secret must exist (else an error
// wrapping secret.ErrNotFound); an expired one may be updated, which is how
// it is renewed in place.
func (v *Vault) UpdateValue(ctx context.Context, p Path, val *secret.Value) error {
	if err := v.checkWrite(p, val); err != nil {
		return fmt.Errorf("vault: update %s: %w", p, err)
	}
	err := v.rewrite(ctx, p, nil, func(cur *Record, now time.Time) (*Record, error) {
		if cur == nil {
			return nil, secret.ErrNotFound
		}
		m := cur.Metadata
		m.Path = p
		m.UpdatedAt = now
		if m.CreatedAt.IsZero() {
			m.CreatedAt = now
		}
		return &Record{Metadata: m, Value: val}, nil
	})
	if err != nil {
		return fmt.Errorf("vault: update %s: %w", p, err)
	}
	return nil
}

// rewrite is the read-modify-write loop of Set and UpdateValue: it reads
// the current metadata, builds the new record and writes it on the
// condition that nothing changed meanwhile, retrying when another writer
// got in first. With an explicit condition it tries once and reports the
// conflict instead.
func (v *Vault) rewrite(ctx context.Context, p Path, explicit *Condition, build func(cur *Record, now time.Time) (*Record, error)) error {
	for attempt := 0; ; attempt++ {
		cur, err := v.engine.Stat(ctx, p)
		switch {
		case errors.Is(err, secret.ErrNotFound):
			cur = nil
		case err != nil:
			return err
		}
		now := v.now().UTC()
		if cur != nil && !now.After(cur.UpdatedAt) {
			// Keep updated_at strictly increasing, whatever the clocks
			// of two writers say.
			now = cur.UpdatedAt.Add(time.Microsecond)
		}
		rec, err := build(cur, now)
		if err != nil {
			return err
		}
		var cond Condition
		switch {
		case explicit != nil:
			cond = *explicit
		case cur == nil:
			cond = Condition{Absent: true}
		default:
			cond = Condition{Version: cur.Version}
		}
		err = v.engine.Write(ctx, rec, cond)
		if explicit != nil || !errors.Is(err, ErrConflict) || attempt == maxConflictRetries {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// backoff waits before retry attempt+1: a random time below 2^attempt ms,
// capped at 64 ms.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Millisecond << min(attempt, 6)
	t := time.NewTimer(time.Duration(rand.Int64N(int64(limit))) + time.Millisecond/4)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *Vault) checkWrite(p Path, val *secret.Value) error {
	if p.IsZero() {
		return pathError("", "empty path")
	}
	if n := val.Len(); n > v.maxValue {
		return fmt.Errorf("value of %d bytes exceeds the %d-byte limit: %w", n, v.maxValue, secret.ErrTooLarge)
	}
	return nil
}

// Get returns the secret at p with its metadata. A secret that does not
// exist is an error wrapping secret.ErrNotFound; one that has expired is an
// *ExpiredError wrapping ErrExpired (and stays stored). The caller wipes
// the returned Secret.
func (v *Vault) Get(ctx context.Context, p Path) (*Secret, error) {
	if p.IsZero() {
		return nil, fmt.Errorf("vault: get: %w", pathError("", "empty path"))
	}
	rec, err := v.engine.Read(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("vault: get %s: %w", p, err)
	}
	if rec.Expired(v.now()) {
		rec.Value.Wipe()
		return nil, &ExpiredError{Path: p, ExpiresAt: rec.ExpiresAt}
	}
	rec.Path = p
	return &Secret{Metadata: rec.Metadata, Value: rec.Value}, nil
}

// GetValue is Get without the metadata.
func (v *Vault) GetValue(ctx context.Context, p Path) (*secret.Value, error) {
	s, err := v.Get(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.Value, nil
}

// ExpiredError is Get's error for a secret past its expiry time. It wraps
// ErrExpired.
type ExpiredError struct {
	Path      Path
	ExpiresAt time.Time
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("vault: get %s: expired at %s", e.Path, e.ExpiresAt.UTC().Format(time.RFC3339))
}

func (e *ExpiredError) Unwrap() error { return ErrExpired }

// Delete removes the secret at p, or returns an error wrapping
// secret.ErrNotFound.
func (v *Vault) Delete(ctx context.Context, p Path) error {
	if p.IsZero() {
		return fmt.Errorf("vault: delete: %w", pathError("", "empty path"))
	}
	if err := v.engine.Delete(ctx, p); err != nil {
		return fmt.Errorf("vault: delete %s: %w", p, err)
	}
	return nil
}

// Exists reports whether a secret is stored at p, expired or not, without
// reading its value.
func (v *Vault) Exists(ctx context.Context, p Path) (bool, error) {
	if p.IsZero() {
		return false, fmt.Errorf("vault: exists: %w", pathError("", "empty path"))
	}
	_, err := v.engine.Stat(ctx, p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, secret.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("vault: exists %s: %w", p, err)
}

// Stat returns the metadata and version of the secret at p without its
// value, for IfVersion.
func (v *Vault) Stat(ctx context.Context, p Path) (*Record, error) {
	if p.IsZero() {
		return nil, fmt.Errorf("vault: stat: %w", pathError("", "empty path"))
	}
	rec, err := v.engine.Stat(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("vault: stat %s: %w", p, err)
	}
	rec.Value = nil
	return rec, nil
}

// List returns the metadata (never the values) of the secrets in scope and
// below it, sorted by path; "" lists every secret. Expired secrets are
// listed: Metadata.Expired tells them apart.
func (v *Vault) List(ctx context.Context, scope string) ([]Metadata, error) {
	if err := validListScope(scope); err != nil {
		return nil, err
	}
	ms, err := v.engine.List(ctx, scope)
	if err != nil {
		return nil, fmt.Errorf("vault: list %s: %w", scope, err)
	}
	return ms, nil
}

// GetWithFallback looks for name in each scope in turn, most specific first
// (project, then org, then global, say), and returns the first secret found;
// its Path says which scope had it. A secret that exists but has expired
// stops the search with ErrExpired rather than falling through to a broader
// scope: a project key that lapsed must be renewed, not silently replaced
// by the organisation's. Found nowhere: an error wrapping
// secret.ErrNotFound that names the scopes tried.
func (v *Vault) GetWithFallback(ctx context.Context, name string, scopes ...string) (*Secret, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("vault: get %s: no scopes to look in: %w", name, secret.ErrInvalidArgument)
	}
	paths := make([]Path, 0, len(scopes))
	for _, sc := range scopes {
		p, err := NewPath(sc, name)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		s, err := v.Get(ctx, p)
		if errors.Is(err, secret.ErrNotFound) {
			continue
		}
		return s, err
	}
	return nil, fmt.Errorf("vault: %s not found in any of %s: %w", name, strings.Join(scopes, ", "), secret.ErrNotFound)
}
