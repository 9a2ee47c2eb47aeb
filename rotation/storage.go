package rotation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Storage is where a cluster's groups and sealed keys live. The PostgreSQL
// engine (package rotation/pgstore) and the single-host file keyring
// engine (package rotation/filestore) implement it; other engines can.
//
// An engine guarantees, for each group, across every process that uses the
// same database: versions 1, 2, 3, ... with no gap and no duplicate, and at
// most one Rotate that inserts per due time. Times come from the engine's
// clock, so nodes whose clocks disagree still agree on what is due.
type Storage interface {
	// CreateGroup creates a group and its version 1, sealed by seal, which
	// is active at once. If the group exists, it returns its snapshot and
	// created == false, leaving it unchanged.
	CreateGroup(ctx context.Context, cfg GroupConfig, seal SealFunc) (snap Snapshot, created bool, err error)
	// Load returns the group's configuration and its newest keep rows with
	// a version at or above the minimum decryption version, oldest first.
	// A missing group is an error wrapping secret.ErrNotFound.
	Load(ctx context.Context, group string, keep int) (Snapshot, error)
	// Rotate inserts the next version when the newest one is at least the
	// group's interval old by the engine's clock, or always with force.
	// Concurrent calls for one group are serialised: of many rotators
	// waking at the same due time, one inserts and the others see its row.
	Rotate(ctx context.Context, group string, force bool, seal SealFunc) (RotateResult, error)
	// Retire raises the minimum decryption version to v. Lowering it, or
	// raising it beyond the newest version, is refused.
	Retire(ctx context.Context, group string, v uint32) error
	// Subscribe returns a channel that receives a value soon after any
	// change to the group (new version, retirement) and is closed when the
	// subscription breaks (the caller subscribes again) or ctx ends. An
	// engine that cannot push returns (nil, nil); syncers then poll.
	Subscribe(ctx context.Context, group string) (<-chan struct{}, error)
}

// SealFunc generates and seals the key of a new version, under the
// engine's lock or transaction; the rotator supplies it.
type SealFunc func(ctx context.Context, version uint32) (sealed []byte, err error)

// GroupConfig describes a group. It is fixed when the group is created.
type GroupConfig struct {
	// Name identifies the group: 1 to 200 bytes of UTF-8 letters, digits
	// and "-_.:/@".
	Name string
	// KeySize is the size of every key in bytes (16 to 512; 32 by default).
	KeySize int
	// Interval is how often a new version is made (at least 100 ms).
	Interval time.Duration
	// PropagationDelay is how long a new version waits before it becomes
	// current, so that every node holds it before any node signs with it.
	// It must exceed the worst propagation time plus the clock skew
	// between nodes. Zero makes new versions current at once.
	PropagationDelay time.Duration
}

// Defaults for GroupConfig's zero fields.
const (
	DefaultKeySize  = 32
	DefaultInterval = 24 * time.Hour
	DefaultKeep     = 16
)

// WithDefaults fills zero fields and checks the result.
func (c GroupConfig) WithDefaults() (GroupConfig, error) {
	if c.KeySize == 0 {
		c.KeySize = DefaultKeySize
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if err := ValidGroupName(c.Name); err != nil {
		return c, err
	}
	switch {
	case c.KeySize < 16 || c.KeySize > 512:
		return c, fmt.Errorf("rotation: key size %d outside 16..512: %w", c.KeySize, secret.ErrInvalidArgument)
	case c.Interval < 100*time.Millisecond:
		return c, fmt.Errorf("rotation: interval %v below 100ms: %w", c.Interval, secret.ErrInvalidArgument)
	case c.PropagationDelay < 0:
		return c, fmt.Errorf("rotation: negative propagation delay: %w", secret.ErrInvalidArgument)
	}
	return c, nil
}

// ValidGroupName reports whether name can name a group.
func ValidGroupName(name string) error {
	if name == "" || len(name) > 200 {
		return fmt.Errorf("rotation: group name must be 1 to 200 bytes: %w", secret.ErrInvalidArgument)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/@", r)
		if !ok {
			return fmt.Errorf("rotation: group name %q: only letters, digits and -_.:/@ are allowed: %w", name, secret.ErrInvalidArgument)
		}
	}
	return nil
}

// Row is one stored version: its metadata and sealed key.
type Row struct {
	Version   uint32
	Created   time.Time
	Activated time.Time
	Sealed    []byte
}

// Snapshot is a group as an engine saw it at one moment.
type Snapshot struct {
	Config GroupConfig
	// MinVersion is the minimum decryption version: older versions are
	// retired. Zero or one means none is.
	MinVersion uint32
	// Latest is the newest version in the group, whether or not Rows
	// holds it.
	Latest uint32
	// LatestCreated is when Latest was created.
	LatestCreated time.Time
	// Rows are the newest rows at or above MinVersion, oldest first.
	Rows []Row
	// Now is the engine's clock when the snapshot was taken.
	Now time.Time
}

// RotateResult reports what Rotate did.
type RotateResult struct {
	// Inserted is true when this call created Latest.
	Inserted bool
	// Latest is the newest version after the call and LatestCreated its
	// creation time.
	Latest        uint32
	LatestCreated time.Time
	// Interval is the group's interval.
	Interval time.Duration
	// Now is the engine's clock at the end of the call; the next version
	// is due at LatestCreated + Interval on that clock.
	Now time.Time
}

// NextDue returns how long from Now until the next version is due.
func (r RotateResult) NextDue() time.Duration {
	return r.LatestCreated.Add(r.Interval).Sub(r.Now)
}
