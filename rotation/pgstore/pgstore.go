// Package pgstore keeps rotation groups in PostgreSQL (11 or later),
// through github.com/jackc/pgx/v5. It implements rotation.Storage.
//
// Open creates and migrates its schema itself; the SQL is in schema.go and
// reads:
//
//	moneypenny_rotation_groups (name PK, key_size, interval_us,
//	                            propagation_us, min_version, created_at)
//	moneypenny_rotation_keys   (group_name FK, version, created_at,
//	                            activated_at, sealed; PK (group_name, version))
//	moneypenny_rotation_migrations (version PK, applied_at)
//
// plus a trigger on both tables that sends NOTIFY moneypenny_rotation with
// the group's name on every change, which syncers LISTEN to.
//
// Times are PostgreSQL's (clock_timestamp()), so nodes with skewed clocks
// agree on what is due. A rotation is one transaction that takes the
// group's advisory lock (pg_advisory_xact_lock(0x6d707274,
// hashtext(group))), reads the newest version and the clock, and inserts
// newest+1 only if the newest is at least the interval old; the primary
// key makes a duplicate impossible even for a writer that skips the lock.
// A rotator that dies inside its transaction leaves nothing behind: the
// server rolls back and releases the lock when its connection drops.
//
// The role needs CREATE on the schema for the first Open (or an
// administrator runs it once), then SELECT, INSERT and UPDATE.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/moneypenny-go/keyring/rotation"
	"github.com/moneypenny-go/keyring/secret"
)

// Store is a rotation.Storage on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool

	// beforeCommit, when set (by tests), runs inside a rotation's
	// transaction after the insert and before the commit.
	beforeCommit func()
}

var _ rotation.Storage = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string, as pgx accepts) and brings the schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password included: do not
		// pass it on.
		return nil, fmt.Errorf("pgstore: the database URL does not parse: %w", secret.ErrInvalidArgument)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s, err := New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// New uses an existing pool, which stays the caller's to close, and brings
// the schema up to date.
func New(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the pool Open made.
func (s *Store) Close() { s.pool.Close() }

func (s *Store) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, migrationLockClass); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS moneypenny_rotation_migrations (
			version    integer     PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM moneypenny_rotation_migrations`).Scan(&have); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
		if have > len(migrations) {
			return fmt.Errorf("pgstore: the schema is at version %d, newer than this program knows (%d): %w", have, len(migrations), secret.ErrUnsupportedFormat)
		}
		for v := have + 1; v <= len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("pgstore: migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO moneypenny_rotation_migrations (version) VALUES ($1)`, v); err != nil {
				return fmt.Errorf("pgstore: migration %d: %w", v, err)
			}
		}
		return nil
	})
}

// microseconds converts a duration for the schema's *_us columns.
func microseconds(d time.Duration) int64 { return d.Microseconds() }

// CreateGroup implements rotation.Storage.
func (s *Store) CreateGroup(ctx context.Context, cfg rotation.GroupConfig, seal rotation.SealFunc) (rotation.Snapshot, bool, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return rotation.Snapshot{}, false, err
	}
	created := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO moneypenny_rotation_groups (name, key_size, interval_us, propagation_us)
			VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`,
			cfg.Name, cfg.KeySize, microseconds(cfg.Interval), microseconds(cfg.PropagationDelay))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		sealed, err := seal(ctx, 1)
		if err != nil {
			return err
		}
		// The first version is current at once: no node holds an older
		// one that it could be signing with.
		if _, err := tx.Exec(ctx, `INSERT INTO moneypenny_rotation_keys (group_name, version, created_at, activated_at, sealed)
			SELECT $1, 1, t, t, $2 FROM clock_timestamp() AS t`, cfg.Name, sealed); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return rotation.Snapshot{}, false, fmt.Errorf("pgstore: create group %s: %w", cfg.Name, err)
	}
	snap, err := s.Load(ctx, cfg.Name, rotation.DefaultKeep)
	return snap, created, err
}

const groupQuery = `
SELECT g.key_size, g.interval_us, g.propagation_us, g.min_version, clock_timestamp(),
       coalesce(k.version, 0), coalesce(k.created_at, g.created_at)
FROM moneypenny_rotation_groups g
LEFT JOIN LATERAL (
	SELECT version, created_at FROM moneypenny_rotation_keys
	WHERE group_name = g.name ORDER BY version DESC LIMIT 1
) k ON true
WHERE g.name = $1`

type groupRow struct {
	cfg           rotation.GroupConfig
	min           int64
	now           time.Time
	latest        int64
	latestCreated time.Time
}

func scanGroup(row pgx.Row, name string) (groupRow, error) {
	var g groupRow
	var intervalUS, propagationUS int64
	g.cfg.Name = name
	err := row.Scan(&g.cfg.KeySize, &intervalUS, &propagationUS, &g.min, &g.now, &g.latest, &g.latestCreated)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, fmt.Errorf("pgstore: group %s: %w", name, secret.ErrNotFound)
	}
	if err != nil {
		return g, fmt.Errorf("pgstore: group %s: %w", name, err)
	}
	g.cfg.Interval = time.Duration(intervalUS) * time.Microsecond
	g.cfg.PropagationDelay = time.Duration(propagationUS) * time.Microsecond
	return g, nil
}

// Load implements rotation.Storage, in one round trip.
func (s *Store) Load(ctx context.Context, group string, keep int) (rotation.Snapshot, error) {
	if keep <= 0 {
		keep = rotation.DefaultKeep
	}
	b := &pgx.Batch{}
	b.Queue(groupQuery, group)
	b.Queue(`SELECT k.version, k.created_at, k.activated_at, k.sealed
		FROM moneypenny_rotation_keys k JOIN moneypenny_rotation_groups g ON g.name = k.group_name
		WHERE k.group_name = $1 AND k.version >= g.min_version
		ORDER BY k.version DESC LIMIT $2`, group, keep)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	g, err := scanGroup(br.QueryRow(), group)
	if err != nil {
		return rotation.Snapshot{}, err
	}
	rows, err := br.Query()
	if err != nil {
		return rotation.Snapshot{}, fmt.Errorf("pgstore: group %s: %w", group, err)
	}
	var out []rotation.Row
	for rows.Next() {
		var r rotation.Row
		var v int64
		if err := rows.Scan(&v, &r.Created, &r.Activated, &r.Sealed); err != nil {
			rows.Close()
			return rotation.Snapshot{}, fmt.Errorf("pgstore: group %s: %w", group, err)
		}
		r.Version = uint32(v) // the column's CHECK keeps it in range
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return rotation.Snapshot{}, fmt.Errorf("pgstore: group %s: %w", group, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	snap := rotation.Snapshot{
		Config:        g.cfg,
		MinVersion:    uint32(g.min),
		Latest:        uint32(g.latest),
		LatestCreated: g.latestCreated,
		Rows:          out,
		Now:           g.now,
	}
	// The two statements see two snapshots: a row inserted between them
	// is newer than the first one's latest.
	if n := len(out); n > 0 && out[n-1].Version > snap.Latest {
		snap.Latest, snap.LatestCreated = out[n-1].Version, out[n-1].Created
	}
	return snap, nil
}

// Rotate implements rotation.Storage.
func (s *Store) Rotate(ctx context.Context, group string, force bool, seal rotation.SealFunc) (rotation.RotateResult, error) {
	var res rotation.RotateResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockClass, group); err != nil {
			return err
		}
		// Read after taking the lock, with clock_timestamp() (not now(),
		// the transaction's start), so that a version committed while we
		// waited for the lock is seen and counted.
		g, err := scanGroup(tx.QueryRow(ctx, groupQuery, group), group)
		if err != nil {
			return err
		}
		res = rotation.RotateResult{
			Latest:        uint32(g.latest),
			LatestCreated: g.latestCreated,
			Interval:      g.cfg.Interval,
			Now:           g.now,
		}
		if !force && g.latest > 0 && g.now.Before(g.latestCreated.Add(g.cfg.Interval)) {
			return nil
		}
		if g.latest >= math.MaxUint32 {
			return fmt.Errorf("group %s has used every version: %w", group, secret.ErrTooLarge)
		}
		next := uint32(g.latest) + 1
		sealed, err := seal(ctx, next)
		if err != nil {
			return err
		}
		var created, now time.Time
		err = tx.QueryRow(ctx, `INSERT INTO moneypenny_rotation_keys (group_name, version, created_at, activated_at, sealed)
			SELECT $1, $2, t, t + $3 * interval '1 microsecond', $4 FROM clock_timestamp() AS t
			ON CONFLICT (group_name, version) DO NOTHING
			RETURNING created_at, clock_timestamp()`,
			group, int64(next), microseconds(g.cfg.PropagationDelay), sealed).Scan(&created, &now)
		if errors.Is(err, pgx.ErrNoRows) {
			// A writer that ignores the lock got there first; the caller
			// tries again and will see its row.
			return nil
		}
		if err != nil {
			return err
		}
		if s.beforeCommit != nil {
			s.beforeCommit()
		}
		res.Inserted, res.Latest, res.LatestCreated, res.Now = true, next, created, now
		return nil
	})
	if err != nil {
		return rotation.RotateResult{}, fmt.Errorf("pgstore: rotate %s: %w", group, err)
	}
	return res, nil
}

// Retire implements rotation.Storage.
func (s *Store) Retire(ctx context.Context, group string, v uint32) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		g, err := scanGroup(tx.QueryRow(ctx, groupQuery+` FOR UPDATE OF g`, group), group)
		if err != nil {
			return err
		}
		switch {
		case int64(v) < g.min:
			return fmt.Errorf("pgstore: group %s: the minimum decryption version is %d and cannot go down to %d: %w", group, g.min, v, secret.ErrInvalidArgument)
		case int64(v) > g.latest:
			return fmt.Errorf("pgstore: group %s: version %d does not exist yet (newest is %d): %w", group, v, g.latest, secret.ErrInvalidArgument)
		}
		if _, err := tx.Exec(ctx, `UPDATE moneypenny_rotation_groups SET min_version = $2 WHERE name = $1`, group, int64(v)); err != nil {
			return fmt.Errorf("pgstore: retire %s: %w", group, err)
		}
		return nil
	})
}

// Subscribe implements rotation.Storage with LISTEN on a connection of its
// own, outside the pool. The channel is closed when that connection breaks
// or ctx ends.
func (s *Store) Subscribe(ctx context.Context, group string) (<-chan struct{}, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("pgstore: listen: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("pgstore: listen: %w", err)
	}
	c := make(chan struct{}, 1)
	go func() {
		defer close(c)
		defer conn.Close(context.Background())
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				return
			}
			if n.Payload != group {
				continue
			}
			select {
			case c <- struct{}{}:
			default: // one pending wake-up covers this change too
			}
		}
	}()
	return c, nil
}
