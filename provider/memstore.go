package provider

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/internal/eventqueue"
	"github.com/moneypenny-go/keyring/secret"
)

// MemoryStore is a secret.Store that keeps its items in memory only: the
// Secret Service's "session" collection, and every collection of a daemon
// started with --ephemeral. It starts unlocked; Lock only marks it locked
// (there is no password), so Unlock needs no prompt. Secrets are wiped when
// replaced, deleted or when the store is closed.
type MemoryStore struct {
	name string

	mu     sync.Mutex
	closed bool
	locked bool
	items  []*memRecord
	nextID uint64
	subs   map[*memSub]struct{}
}

type memRecord struct {
	id       string
	label    string
	attrs    secret.Attributes
	secret   []byte
	ctype    string
	created  time.Time
	modified time.Time
}

// NewMemoryStore returns an empty, unlocked store. name appears in Info's
// Location.
func NewMemoryStore(name string) *MemoryStore {
	return &MemoryStore{name: name, subs: map[*memSub]struct{}{}}
}

var _ secret.Store = (*MemoryStore)(nil)

// Info describes the store: not persistent.
func (m *MemoryStore) Info() secret.Info {
	return secret.Info{Name: "memory", Persistent: false, Location: "memory:" + m.name}
}

// usable checks ctx and the store's state; m.mu is held.
func (m *MemoryStore) usable(ctx context.Context, needUnlocked bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.closed {
		return fmt.Errorf("provider: memory store %s: %w", m.name, secret.ErrClosed)
	}
	if needUnlocked && m.locked {
		return fmt.Errorf("provider: memory store %s: %w", m.name, secret.ErrLocked)
	}
	return nil
}

func (m *MemoryStore) CreateItem(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (secret.Item, error) {
	items, err := m.CreateItems(ctx, []secret.NewItem{{Label: label, Attributes: attrs, Secret: v, Replace: replace}})
	if err != nil {
		return nil, err
	}
	return items[0], nil
}

func (m *MemoryStore) CreateItems(ctx context.Context, batch []secret.NewItem) ([]secret.Item, error) {
	for i, n := range batch {
		if err := n.Attributes.Validate(); err != nil {
			return nil, fmt.Errorf("provider: item %d: %w", i, err)
		}
		if n.Secret == nil {
			return nil, fmt.Errorf("provider: item %d has no secret: %w", i, secret.ErrInvalidArgument)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, true); err != nil {
		return nil, err
	}
	out := make([]secret.Item, 0, len(batch))
	var evs []secret.Event
	for _, n := range batch {
		now := time.Now()
		rec := &memRecord{label: n.Label, attrs: n.Attributes.Clone(), secret: append([]byte(nil), n.Secret.Bytes()...),
			ctype: n.Secret.ContentType(), created: now, modified: now}
		kind := secret.ItemCreated
		if n.Replace {
			kept := m.items[:0]
			for _, o := range m.items {
				if o.attrs.Equal(rec.attrs) {
					if rec.id == "" {
						rec.id, rec.created, kind = o.id, o.created, secret.ItemChanged
					}
					secret.Wipe(o.secret)
					continue
				}
				kept = append(kept, o)
			}
			clear(m.items[len(kept):])
			m.items = kept
		}
		if rec.id == "" {
			m.nextID++
			rec.id = strconv.FormatUint(m.nextID, 10)
		}
		m.items = append(m.items, rec)
		out = append(out, &memItem{m: m, id: rec.id})
		evs = append(evs, secret.Event{Kind: kind, ItemID: rec.id})
	}
	m.notify(evs)
	return out, nil
}

func (m *MemoryStore) SearchItems(ctx context.Context, query secret.Attributes) ([]secret.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, true); err != nil {
		return nil, err
	}
	out := []secret.Item{}
	for _, r := range m.items {
		if r.attrs.Matches(query) {
			out = append(out, &memItem{m: m, id: r.id})
		}
	}
	return out, nil
}

func (m *MemoryStore) Items(ctx context.Context) ([]secret.Item, error) {
	return m.SearchItems(ctx, nil)
}

func (m *MemoryStore) Delete(ctx context.Context, query secret.Attributes) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, true); err != nil {
		return 0, err
	}
	var evs []secret.Event
	kept := m.items[:0]
	for _, r := range m.items {
		if r.attrs.Matches(query) {
			secret.Wipe(r.secret)
			evs = append(evs, secret.Event{Kind: secret.ItemDeleted, ItemID: r.id})
			continue
		}
		kept = append(kept, r)
	}
	clear(m.items[len(kept):])
	m.items = kept
	m.notify(evs)
	return len(evs), nil
}

func (m *MemoryStore) Lock(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, false); err != nil {
		return err
	}
	m.locked = true
	return nil
}

func (m *MemoryStore) Unlock(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, false); err != nil {
		return err
	}
	m.locked = false
	return nil
}

func (m *MemoryStore) IsLocked(ctx context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, false); err != nil {
		return false, err
	}
	return m.locked, nil
}

// Close wipes every secret and ends every Watch.
func (m *MemoryStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	for _, r := range m.items {
		secret.Wipe(r.secret)
	}
	m.items = nil
	for s := range m.subs {
		s.stop()
	}
	m.subs = nil
	return nil
}

// find returns the record with id; m.mu is held.
func (m *MemoryStore) find(ctx context.Context, id string, needUnlocked bool) (*memRecord, int, error) {
	if err := m.usable(ctx, needUnlocked); err != nil {
		return nil, 0, err
	}
	for i, r := range m.items {
		if r.id == id {
			return r, i, nil
		}
	}
	return nil, 0, fmt.Errorf("provider: memory item %s: %w", id, secret.ErrNotFound)
}

// Watch reports every change until ctx ends or the store is closed.
func (m *MemoryStore) Watch(ctx context.Context) (<-chan secret.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, false); err != nil {
		return nil, err
	}
	s := &memSub{Queue: eventqueue.New(), done: make(chan struct{})}
	m.subs[s] = struct{}{}
	go func() {
		s.Run(ctx, s.done)
		m.mu.Lock()
		delete(m.subs, s)
		m.mu.Unlock()
	}()
	return s.Out(), nil
}

// notify queues events for every subscriber; m.mu is held.
func (m *MemoryStore) notify(evs []secret.Event) {
	if len(evs) == 0 {
		return
	}
	for s := range m.subs {
		s.Push(evs)
	}
}

// memSub is one Watch reader: its queue, and done, closed by stop when the
// store is closed.
type memSub struct {
	*eventqueue.Queue
	done     chan struct{}
	stopOnce sync.Once
}

func (s *memSub) stop() { s.stopOnce.Do(func() { close(s.done) }) }

// memItem is a handle on one record of a MemoryStore.
type memItem struct {
	m  *MemoryStore
	id string
}

func (it *memItem) ID() string { return it.id }

func (it *memItem) read(ctx context.Context, f func(r *memRecord)) error {
	it.m.mu.Lock()
	defer it.m.mu.Unlock()
	r, _, err := it.m.find(ctx, it.id, true)
	if err != nil {
		return err
	}
	f(r)
	return nil
}

func (it *memItem) edit(ctx context.Context, f func(r *memRecord)) error {
	it.m.mu.Lock()
	defer it.m.mu.Unlock()
	r, _, err := it.m.find(ctx, it.id, true)
	if err != nil {
		return err
	}
	f(r)
	r.modified = time.Now()
	it.m.notify([]secret.Event{{Kind: secret.ItemChanged, ItemID: it.id}})
	return nil
}

func (it *memItem) Label(ctx context.Context) (l string, err error) {
	err = it.read(ctx, func(r *memRecord) { l = r.label })
	return l, err
}

func (it *memItem) SetLabel(ctx context.Context, label string) error {
	return it.edit(ctx, func(r *memRecord) { r.label = label })
}

func (it *memItem) Attributes(ctx context.Context) (a secret.Attributes, err error) {
	err = it.read(ctx, func(r *memRecord) { a = r.attrs.Clone() })
	return a, err
}

func (it *memItem) SetAttributes(ctx context.Context, attrs secret.Attributes) error {
	if err := attrs.Validate(); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	return it.edit(ctx, func(r *memRecord) { r.attrs = attrs.Clone() })
}

func (it *memItem) Secret(ctx context.Context) (v *secret.Value, err error) {
	err = it.read(ctx, func(r *memRecord) {
		v = secret.NewWithContentType(append([]byte(nil), r.secret...), r.ctype)
	})
	return v, err
}

func (it *memItem) SetSecret(ctx context.Context, v *secret.Value) error {
	if v == nil {
		return fmt.Errorf("provider: no secret: %w", secret.ErrInvalidArgument)
	}
	return it.edit(ctx, func(r *memRecord) {
		secret.Wipe(r.secret)
		r.secret, r.ctype = append([]byte(nil), v.Bytes()...), v.ContentType()
	})
}

func (it *memItem) Created(ctx context.Context) (t time.Time, err error) {
	err = it.read(ctx, func(r *memRecord) { t = r.created })
	return t, err
}

func (it *memItem) Modified(ctx context.Context) (t time.Time, err error) {
	err = it.read(ctx, func(r *memRecord) { t = r.modified })
	return t, err
}

func (it *memItem) Delete(ctx context.Context) error {
	m := it.m
	m.mu.Lock()
	defer m.mu.Unlock()
	r, i, err := m.find(ctx, it.id, true)
	if err != nil {
		return err
	}
	secret.Wipe(r.secret)
	m.items = append(m.items[:i:i], m.items[i+1:]...)
	m.notify([]secret.Event{{Kind: secret.ItemDeleted, ItemID: it.id}})
	return nil
}

func (it *memItem) IsLocked(ctx context.Context) (bool, error) { return it.m.IsLocked(ctx) }
func (it *memItem) Lock(ctx context.Context) error             { return it.m.Lock(ctx) }
func (it *memItem) Unlock(ctx context.Context) error           { return it.m.Unlock(ctx) }
