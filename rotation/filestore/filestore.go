// Package filestore keeps rotation groups in a libsecret-format file
// keyring (package filekeyring), for services that run on one machine:
// any number of processes there share the file, and the file keyring's
// password protects the sealed keys a second time. It implements
// rotation.Storage.
//
// Each group is one item with the attributes
//
//	moneypenny-rotation = "group", group = NAME
//
// whose secret is JSON {"key_size", "interval_us", "propagation_us",
// "min_version", "created"}, and each version is one item with
//
//	moneypenny-rotation = "key", group = NAME, version = N (decimal)
//
// whose secret is JSON {"created", "activated", "sealed" (base64)}. Times
// are RFC 3339 with nanoseconds, from the machine's clock.
//
// Rotations and retirements take an exclusive lock on "<file>.rotation"
// (flock, or LockFileEx on Windows) around their read-check-write, so that
// processes never make two versions for one due time nor skip a number.
// Changes made by other processes reach syncers through the file
// keyring's Watch (fsnotify).
package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/filelock"
	"github.com/moneypenny-go/keyring/rotation"
	"github.com/moneypenny-go/keyring/secret"
)

// Attribute names and values of the schema.
const (
	AttrKind    = "moneypenny-rotation"
	AttrGroup   = "group"
	AttrVersion = "version"
	KindGroup   = "group"
	KindKey     = "key"
)

// Store is a rotation.Storage on a file keyring.
type Store struct {
	kr       *filekeyring.Keyring
	lockPath string
	mu       sync.Mutex // the file lock is per process; this serialises our goroutines
}

var _ rotation.Storage = (*Store)(nil)

// New uses an open file keyring, which stays the caller's to close.
func New(kr *filekeyring.Keyring) *Store {
	return &Store{kr: kr, lockPath: kr.Path() + ".rotation"}
}

type groupJSON struct {
	KeySize       int       `json:"key_size"`
	IntervalUS    int64     `json:"interval_us"`
	PropagationUS int64     `json:"propagation_us"`
	MinVersion    uint32    `json:"min_version"`
	Created       time.Time `json:"created"`
}

type keyJSON struct {
	Created   time.Time `json:"created"`
	Activated time.Time `json:"activated"`
	Sealed    []byte    `json:"sealed"`
}

// lock takes the cross-process rotation lock, waiting for it as long as
// ctx allows.
func (s *Store) lock(ctx context.Context) (unlock func(), err error) {
	s.mu.Lock()
	f, err := os.OpenFile(s.lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("filestore: %w", err)
	}
	for {
		ok, err := filelock.TryLock(f)
		if err != nil {
			f.Close()
			s.mu.Unlock()
			return nil, fmt.Errorf("filestore: lock %s: %w", s.lockPath, err)
		}
		if ok {
			return func() {
				filelock.Unlock(f)
				f.Close()
				s.mu.Unlock()
			}, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			s.mu.Unlock()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func readJSON(ctx context.Context, it secret.Item, v any) error {
	val, err := it.Secret(ctx)
	if err != nil {
		return err
	}
	defer val.Wipe()
	if err := json.Unmarshal(val.Bytes(), v); err != nil {
		return fmt.Errorf("filestore: item %s: %w", it.ID(), secret.ErrCorrupt)
	}
	return nil
}

func groupAttrs(name string) secret.Attributes {
	return secret.Attributes{AttrKind: KindGroup, AttrGroup: name}
}

func (s *Store) groupItem(ctx context.Context, name string) (secret.Item, groupJSON, error) {
	var g groupJSON
	items, err := s.kr.SearchItems(ctx, groupAttrs(name))
	if err != nil {
		return nil, g, fmt.Errorf("filestore: %w", err)
	}
	if len(items) == 0 {
		return nil, g, fmt.Errorf("filestore: group %s: %w", name, secret.ErrNotFound)
	}
	if err := readJSON(ctx, items[0], &g); err != nil {
		return nil, g, err
	}
	return items[0], g, nil
}

func (g groupJSON) config(name string) rotation.GroupConfig {
	return rotation.GroupConfig{
		Name:             name,
		KeySize:          g.KeySize,
		Interval:         time.Duration(g.IntervalUS) * time.Microsecond,
		PropagationDelay: time.Duration(g.PropagationUS) * time.Microsecond,
	}
}

// versions lists the group's key items by version, ascending. Items with
// a malformed version attribute are ignored (they are not ours).
func (s *Store) versions(ctx context.Context, name string) ([]uint32, map[uint32]secret.Item, error) {
	items, err := s.kr.SearchItems(ctx, secret.Attributes{AttrKind: KindKey, AttrGroup: name})
	if err != nil {
		return nil, nil, fmt.Errorf("filestore: %w", err)
	}
	byVersion := make(map[uint32]secret.Item, len(items))
	var vs []uint32
	for _, it := range items {
		attrs, err := it.Attributes(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("filestore: %w", err)
		}
		v, err := strconv.ParseUint(attrs[AttrVersion], 10, 32)
		if err != nil || v == 0 {
			continue
		}
		if _, dup := byVersion[uint32(v)]; !dup {
			vs = append(vs, uint32(v))
		}
		byVersion[uint32(v)] = it
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs, byVersion, nil
}

func (s *Store) addKey(ctx context.Context, name string, v uint32, k keyJSON) error {
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	attrs := secret.Attributes{AttrKind: KindKey, AttrGroup: name, AttrVersion: strconv.FormatUint(uint64(v), 10)}
	label := fmt.Sprintf("Moneypenny rotation key %s v%d", name, v)
	_, err = s.kr.CreateItem(ctx, label, attrs, secret.NewWithContentType(b, "application/json"), true)
	return err
}

// CreateGroup implements rotation.Storage.
func (s *Store) CreateGroup(ctx context.Context, cfg rotation.GroupConfig, seal rotation.SealFunc) (rotation.Snapshot, bool, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return rotation.Snapshot{}, false, err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return rotation.Snapshot{}, false, err
	}
	created, err := func() (bool, error) {
		defer unlock()
		if _, _, err := s.groupItem(ctx, cfg.Name); err == nil {
			return false, nil
		} else if !errors.Is(err, secret.ErrNotFound) {
			return false, err
		}
		sealed, err := seal(ctx, 1)
		if err != nil {
			return false, err
		}
		now := time.Now().UTC()
		if err := s.addKey(ctx, cfg.Name, 1, keyJSON{Created: now, Activated: now, Sealed: sealed}); err != nil {
			return false, fmt.Errorf("filestore: %w", err)
		}
		b, _ := json.Marshal(groupJSON{KeySize: cfg.KeySize, IntervalUS: cfg.Interval.Microseconds(),
			PropagationUS: cfg.PropagationDelay.Microseconds(), Created: now})
		if _, err := s.kr.CreateItem(ctx, "Moneypenny rotation group "+cfg.Name, groupAttrs(cfg.Name),
			secret.NewWithContentType(b, "application/json"), true); err != nil {
			return false, fmt.Errorf("filestore: %w", err)
		}
		return true, nil
	}()
	if err != nil {
		return rotation.Snapshot{}, false, err
	}
	snap, err := s.Load(ctx, cfg.Name, rotation.DefaultKeep)
	return snap, created, err
}

// Load implements rotation.Storage.
func (s *Store) Load(ctx context.Context, group string, keep int) (rotation.Snapshot, error) {
	if keep <= 0 {
		keep = rotation.DefaultKeep
	}
	_, g, err := s.groupItem(ctx, group)
	if err != nil {
		return rotation.Snapshot{}, err
	}
	vs, items, err := s.versions(ctx, group)
	if err != nil {
		return rotation.Snapshot{}, err
	}
	snap := rotation.Snapshot{Config: g.config(group), MinVersion: g.MinVersion, LatestCreated: g.Created, Now: time.Now()}
	if len(vs) > 0 {
		snap.Latest = vs[len(vs)-1]
	}
	first := len(vs) - keep
	for i, v := range vs {
		if i < first || v < g.MinVersion {
			continue
		}
		var k keyJSON
		if err := readJSON(ctx, items[v], &k); err != nil {
			// A row that does not parse is handed on empty: the syncer
			// reports it as not decrypting, and serves the others.
			k = keyJSON{}
		}
		snap.Rows = append(snap.Rows, rotation.Row{Version: v, Created: k.Created, Activated: k.Activated, Sealed: k.Sealed})
		if v == snap.Latest {
			snap.LatestCreated = k.Created
		}
	}
	return snap, nil
}

// Rotate implements rotation.Storage.
func (s *Store) Rotate(ctx context.Context, group string, force bool, seal rotation.SealFunc) (rotation.RotateResult, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return rotation.RotateResult{}, err
	}
	defer unlock()
	snap, err := s.Load(ctx, group, 1)
	if err != nil {
		return rotation.RotateResult{}, err
	}
	res := rotation.RotateResult{Latest: snap.Latest, LatestCreated: snap.LatestCreated, Interval: snap.Config.Interval, Now: time.Now()}
	if !force && snap.Latest > 0 && res.Now.Before(snap.LatestCreated.Add(snap.Config.Interval)) {
		return res, nil
	}
	if snap.Latest == math.MaxUint32 {
		return res, fmt.Errorf("filestore: group %s has used every version: %w", group, secret.ErrTooLarge)
	}
	next := snap.Latest + 1
	sealed, err := seal(ctx, next)
	if err != nil {
		return res, err
	}
	now := time.Now().UTC()
	if err := s.addKey(ctx, group, next, keyJSON{Created: now, Activated: now.Add(snap.Config.PropagationDelay), Sealed: sealed}); err != nil {
		return res, fmt.Errorf("filestore: rotate %s: %w", group, err)
	}
	res.Inserted, res.Latest, res.LatestCreated, res.Now = true, next, now, time.Now()
	return res, nil
}

// Retire implements rotation.Storage.
func (s *Store) Retire(ctx context.Context, group string, v uint32) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	it, g, err := s.groupItem(ctx, group)
	if err != nil {
		return err
	}
	vs, _, err := s.versions(ctx, group)
	if err != nil {
		return err
	}
	latest := uint32(0)
	if len(vs) > 0 {
		latest = vs[len(vs)-1]
	}
	switch {
	case v < g.MinVersion:
		return fmt.Errorf("filestore: group %s: the minimum decryption version is %d and cannot go down to %d: %w", group, g.MinVersion, v, secret.ErrInvalidArgument)
	case v > latest:
		return fmt.Errorf("filestore: group %s: version %d does not exist yet (newest is %d): %w", group, v, latest, secret.ErrInvalidArgument)
	}
	g.MinVersion = v
	b, _ := json.Marshal(g)
	return it.SetSecret(ctx, secret.NewWithContentType(b, "application/json"))
}

// Subscribe implements rotation.Storage with the file keyring's Watch:
// any change to the file, by this process or another, wakes the syncer.
func (s *Store) Subscribe(ctx context.Context, group string) (<-chan struct{}, error) {
	events, err := s.kr.Watch(ctx)
	if err != nil {
		if errors.Is(err, secret.ErrNotSupported) {
			return nil, nil
		}
		return nil, fmt.Errorf("filestore: watch: %w", err)
	}
	c := make(chan struct{}, 1)
	go func() {
		defer close(c)
		for range events {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}()
	return c, nil
}
