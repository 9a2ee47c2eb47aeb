package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/rotation"
	"github.com/moneypenny-go/keyring/rotation/pgstore"
)

// rotationVerbs holds the options of `moneypenny rotation ...`; each
// invocation builds its own (commands() is called per run).
type rotationVerbs struct {
	databaseURL      string
	kek              string
	keySize          int
	interval         time.Duration
	propagationDelay time.Duration
	limit            int
	json             bool
}

func rotationCommand() *command {
	rv := &rotationVerbs{}
	return &command{
		name:    "rotation",
		summary: "Manage cluster key-rotation groups in PostgreSQL: create one, show its versions, rotate now, retire old versions.",
		details: "The database is --database-url or DATABASE_URL (postgres://user@host/db, or key=value pairs).\n" +
			"init and rotate seal keys with the key-encryption key --kek NAME (default \"default\") from the\n" +
			"keyring (the usual --backend/--keyring options choose it); init creates that KEK if it is missing.\n" +
			"Copy it to every node: secret-tool lookup application moneypenny-rotation kek NAME.",
		example: "DATABASE_URL=postgres://app@db/app moneypenny rotation status payments-signing",
		flags:   rv.commonFlags,
		subs: []*command{
			{
				name:     "init",
				synopsis: "[--interval D] [--propagation-delay D] [--key-size N] GROUP",
				summary:  "Create a group with its first version (an existing group is left unchanged).",
				example:  "moneypenny rotation init --interval 24h --propagation-delay 5m payments-signing",
				flags:    rv.initFlags,
				run:      rv.cmdInit,
			},
			{
				name:     "status",
				synopsis: "[--json] [--limit N] GROUP",
				summary:  "Show a group's settings and newest versions, with created and activated times and which is current.",
				details:  "Times are the database's. States: current, pending (not yet activated), previous.",
				example:  "moneypenny rotation status --json payments-signing",
				flags:    rv.statusFlags,
				run:      rv.cmdStatus,
			},
			{
				name:     "rotate",
				synopsis: "GROUP",
				summary:  "Make a new version now, whether or not one is due.",
				example:  "moneypenny rotation rotate payments-signing",
				run:      rv.cmdRotate,
			},
			{
				name:     "retire",
				synopsis: "GROUP VERSION",
				summary:  "Raise the minimum decryption version: older versions no longer resolve anywhere.",
				details:  "The minimum never goes down, and cannot pass the newest version.",
				example:  "moneypenny rotation retire payments-signing 7",
				run:      rv.cmdRetire,
			},
		},
	}
}

func (rv *rotationVerbs) commonFlags(fs *flag.FlagSet, c *cli) {
	fs.StringVar(&rv.databaseURL, "database-url", "", "PostgreSQL `URL` (or DATABASE_URL)")
	fs.StringVar(&rv.kek, "kek", "default", "`NAME` of the key-encryption key in the keyring")
}

func (rv *rotationVerbs) initFlags(fs *flag.FlagSet, c *cli) {
	fs.IntVar(&rv.keySize, "key-size", rotation.DefaultKeySize, "key size in `BYTES` (16 to 512)")
	fs.DurationVar(&rv.interval, "interval", rotation.DefaultInterval, "make a new version every `DURATION`")
	fs.DurationVar(&rv.propagationDelay, "propagation-delay", time.Minute, "a new version becomes current this `DURATION` after it is made")
}

func (rv *rotationVerbs) statusFlags(fs *flag.FlagSet, c *cli) {
	fs.BoolVar(&rv.json, "json", false, "print JSON")
	fs.IntVar(&rv.limit, "limit", rotation.DefaultKeep, "show the newest `N` versions")
}

func (rv *rotationVerbs) store(ctx context.Context, c *cli) (*pgstore.Store, error) {
	url := rv.databaseURL
	if url == "" {
		url = c.io.getenv("DATABASE_URL")
	}
	if url == "" {
		return nil, usageError{"no database: give --database-url or set DATABASE_URL"}
	}
	return pgstore.Open(ctx, url)
}

func groupOperand(args []string, n int, synopsis string) error {
	if len(args) != n {
		return usageError{"usage: moneypenny rotation " + synopsis}
	}
	return rotation.ValidGroupName(args[0])
}

// encryptor opens the keyring for the KEK; with create, a missing KEK is
// generated and stored.
func (rv *rotationVerbs) encryptor(ctx context.Context, c *cli, create bool) (rotation.Encryptor, error) {
	kr, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	defer kr.Close()
	if create {
		kek, created, err := rotation.EnsureKEK(ctx, kr.Store(), rv.kek)
		if err != nil {
			return nil, err
		}
		defer clear(kek)
		if created {
			fmt.Fprintf(c.io.stderr, "moneypenny: created the key-encryption key %q in the %s keyring; copy it to every node\n", rv.kek, kr.Backend().Name)
		}
		return rotation.NewLocalEncryptor(kek)
	}
	return rotation.KeyringEncryptor(ctx, kr.Store(), rv.kek)
}

func (rv *rotationVerbs) cmdInit(ctx context.Context, c *cli, args []string) error {
	if err := groupOperand(args, 1, "init [--interval D] [--propagation-delay D] [--key-size N] GROUP"); err != nil {
		return err
	}
	cfg, err := rotation.GroupConfig{Name: args[0], KeySize: rv.keySize, Interval: rv.interval, PropagationDelay: rv.propagationDelay}.WithDefaults()
	if err != nil {
		return err
	}
	st, err := rv.store(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	enc, err := rv.encryptor(ctx, c, true)
	if err != nil {
		return err
	}
	snap, created, err := rotation.CreateGroup(ctx, st, enc, cfg)
	if err != nil {
		return err
	}
	if !created {
		if snap.Config != cfg {
			return fmt.Errorf("group %s exists with other settings (key size %d, interval %v, propagation delay %v); left unchanged: %w",
				cfg.Name, snap.Config.KeySize, snap.Config.Interval, snap.Config.PropagationDelay, keyring.ErrInvalidArgument)
		}
		fmt.Fprintf(c.io.stdout, "group %s already exists (version %d)\n", cfg.Name, snap.Latest)
		return nil
	}
	fmt.Fprintf(c.io.stdout, "created group %s: version 1 current; a new version every %v, current %v after it is made\n",
		cfg.Name, cfg.Interval, cfg.PropagationDelay)
	return nil
}

type statusVersion struct {
	Version   uint32    `json:"version"`
	Created   time.Time `json:"created"`
	Activated time.Time `json:"activated"`
	State     string    `json:"state"`
}

type statusJSON struct {
	Group               string          `json:"group"`
	KeySize             int             `json:"key_size"`
	IntervalSeconds     float64         `json:"interval_seconds"`
	PropagationSeconds  float64         `json:"propagation_delay_seconds"`
	MinVersion          uint32          `json:"min_version"`
	Latest              uint32          `json:"latest"`
	Current             uint32          `json:"current"`
	NextRotationDue     time.Time       `json:"next_rotation_due"`
	DatabaseTime        time.Time       `json:"database_time"`
	Versions            []statusVersion `json:"versions"`
	VersionsBelowLimit  bool            `json:"older_versions_not_shown"`
	RetiredBelowVersion uint32          `json:"retired_below_version,omitempty"`
}

func (rv *rotationVerbs) cmdStatus(ctx context.Context, c *cli, args []string) error {
	if err := groupOperand(args, 1, "status [--json] [--limit N] GROUP"); err != nil {
		return err
	}
	if rv.limit <= 0 {
		return usageError{"--limit must be positive"}
	}
	st, err := rv.store(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	snap, err := st.Load(ctx, args[0], rv.limit)
	if err != nil {
		return err
	}
	out := statusJSON{
		Group: args[0], KeySize: snap.Config.KeySize,
		IntervalSeconds:    snap.Config.Interval.Seconds(),
		PropagationSeconds: snap.Config.PropagationDelay.Seconds(),
		MinVersion:         snap.MinVersion, Latest: snap.Latest,
		NextRotationDue: snap.LatestCreated.Add(snap.Config.Interval).UTC(),
		DatabaseTime:    snap.Now.UTC(),
	}
	if snap.MinVersion > 1 {
		out.RetiredBelowVersion = snap.MinVersion
	}
	for i := len(snap.Rows) - 1; i >= 0; i-- {
		r := snap.Rows[i]
		v := statusVersion{Version: r.Version, Created: r.Created.UTC(), Activated: r.Activated.UTC(), State: "previous"}
		switch {
		case r.Activated.After(snap.Now):
			v.State = "pending"
		case out.Current == 0:
			v.State, out.Current = "current", r.Version
		}
		out.Versions = append(out.Versions, v)
	}
	out.VersionsBelowLimit = len(snap.Rows) > 0 && snap.Rows[0].Version > max(snap.MinVersion, 1)
	if rv.json {
		return writeJSON(c.io.stdout, out)
	}
	fmt.Fprintf(c.io.stdout, "group %s: %d-byte keys, a new version every %v, current %v after it is made\n",
		out.Group, out.KeySize, snap.Config.Interval, snap.Config.PropagationDelay)
	fmt.Fprintf(c.io.stdout, "next rotation due %s (database time now %s)\n",
		out.NextRotationDue.Format(time.RFC3339), out.DatabaseTime.Format(time.RFC3339))
	if out.RetiredBelowVersion > 0 {
		fmt.Fprintf(c.io.stdout, "versions below %d are retired\n", out.RetiredBelowVersion)
	}
	tw := tabwriter.NewWriter(c.io.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tCREATED\tACTIVATED\tSTATE")
	for _, v := range out.Versions {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", v.Version, v.Created.Format(time.RFC3339), v.Activated.Format(time.RFC3339), v.State)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if out.VersionsBelowLimit {
		fmt.Fprintf(c.io.stdout, "(older versions not shown; --limit N)\n")
	}
	return nil
}

func (rv *rotationVerbs) cmdRotate(ctx context.Context, c *cli, args []string) error {
	if err := groupOperand(args, 1, "rotate GROUP"); err != nil {
		return err
	}
	st, err := rv.store(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	enc, err := rv.encryptor(ctx, c, false)
	if err != nil {
		return err
	}
	res, err := (&rotation.Rotator{Storage: st, Encryptor: enc, Group: args[0]}).RotateNow(ctx)
	if errors.Is(err, keyring.ErrWrongPassword) {
		// The keyring opened: what is wrong is the KEK, not the keyring's
		// password, which the generic hint would suggest.
		return fmt.Errorf("%v (the key-encryption key %q in this keyring is not the cluster's)", err, rv.kek)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.stdout, "group %s: made version %d\n", args[0], res.Latest)
	return nil
}

func (rv *rotationVerbs) cmdRetire(ctx context.Context, c *cli, args []string) error {
	if err := groupOperand(args, 2, "retire GROUP VERSION"); err != nil {
		return err
	}
	v, err := strconv.ParseUint(args[1], 10, 32)
	if err != nil || v == 0 {
		return usageError{fmt.Sprintf("version %q is not a number from 1 to 4294967295", args[1])}
	}
	st, err := rv.store(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Retire(ctx, args[0], uint32(v)); err != nil {
		return err
	}
	fmt.Fprintf(c.io.stdout, "group %s: versions below %d are retired\n", args[0], v)
	return nil
}
