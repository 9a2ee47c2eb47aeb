package keyctl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// itemPrefix starts the description of every item key. The rest is random:
// descriptions must be unique within a keyring (linking a key displaces one
// of the same description), and attributes can change while the key stays.
const itemPrefix = "moneypenny:"

// Keyring is a secret.Store on a named kernel keyring. It is safe for
// concurrent use; writes within one process are serialised, and writes from
// several processes are each atomic per key (KEYCTL_UPDATE) but not across
// keys (two processes replacing the same attributes at the same moment may
// briefly leave two items; the next replace removes the extra one).
type Keyring struct {
	name string
	user bool

	mu     sync.Mutex // serialises read-modify-write; guards the fields below
	closed bool
	home   home
	ring   int // serial of our keyring: the same for every OS thread
}

var _ secret.Store = (*Keyring)(nil)

// Open finds or creates the keyring (default name "moneypenny") in the
// session keyring, or in the user keyring with WithUserKeyring or when the
// process has no session keyring of its own (see the package doc). It
// fails with an error wrapping secret.ErrUnavailable where the keyring
// system calls are blocked or the OS has none.
func Open(ctx context.Context, opts ...Option) (*Keyring, error) {
	o := options{name: DefaultName}
	for _, f := range opts {
		f(&o)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keyctl: open keyring %q: %w", o.name, err)
	}
	k := &Keyring{name: o.name, user: o.user}
	if err := k.resolveLocked(); err != nil {
		return nil, fmt.Errorf("keyctl: open keyring %q: %w", o.name, err)
	}
	return k, nil
}

// resolveLocked finds (or creates) our keyring and remembers its serial.
// It runs at Open and again when the keyring has disappeared under us.
func (k *Keyring) resolveLocked() error {
	h, err := findHome(k.user)
	if err != nil {
		return err
	}
	ring, err := findOrCreateKeyring(h.id, k.name)
	if err != nil {
		return err
	}
	k.home, k.ring = h, ring
	return nil
}

// lock takes the mutex unless the keyring is closed.
func (k *Keyring) lock() error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return secret.ErrClosed
	}
	return nil
}

// Info reports the backend as "keyctl", never persistent, with the keyring
// it uses and how long its items live.
func (k *Keyring) Info() secret.Info {
	k.mu.Lock()
	h, ring := k.home, k.ring
	k.mu.Unlock()
	where, lifetime := h.describe()
	return secret.Info{
		Name:       "keyctl",
		Persistent: false,
		Location:   fmt.Sprintf("keyring %q (%d) in the %s", k.name, ring, where),
		Note:       "Linux kernel keyring, NOT persistent: items are " + lifetime,
	}
}

// CreateItem stores an item as a new user key. With replace, an item whose
// attributes are exactly attrs is updated in place instead, keeping its
// serial and creation time.
func (k *Keyring) CreateItem(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (secret.Item, error) {
	it, err := k.create(ctx, secret.NewItem{Label: label, Attributes: attrs, Secret: v, Replace: replace})
	if err != nil {
		return nil, fmt.Errorf("keyctl: create item %q: %w", label, err)
	}
	return it, nil
}

// CreateItems stores each item in turn (the kernel has no multi-key
// transaction). On error it returns the items stored so far.
func (k *Keyring) CreateItems(ctx context.Context, items []secret.NewItem) ([]secret.Item, error) {
	out := make([]secret.Item, 0, len(items))
	for i, n := range items {
		it, err := k.create(ctx, n)
		if err != nil {
			return out, fmt.Errorf("keyctl: create item %d of %d (%q): %w", i+1, len(items), n.Label, err)
		}
		out = append(out, it)
	}
	return out, nil
}

func (k *Keyring) create(ctx context.Context, n secret.NewItem) (*Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := n.Attributes.Validate(); err != nil {
		return nil, err
	}
	now := time.Now()
	rec := &record{
		label:       n.Label,
		contentType: n.Secret.ContentType(),
		attrs:       n.Attributes.Clone(),
		created:     now,
		modified:    now,
		secret:      n.Secret.Bytes(), // the caller's buffer: never wiped here
	}
	if err := k.lock(); err != nil {
		return nil, err
	}
	defer k.mu.Unlock()
	var same []entry
	if n.Replace {
		var err error
		if same, err = k.scanLocked(ctx, rec.attrs.Equal); err != nil {
			return nil, err
		}
		if len(same) > 0 {
			rec.created = same[0].rec.created
		}
	}
	payload, err := rec.encode()
	if err != nil {
		return nil, err
	}
	defer secret.Wipe(payload)
	if len(same) > 0 {
		err := updateKey(same[0].id, k.ring, payload)
		if err == nil {
			// Extra exact matches can only come from processes racing
			// to create the same item; replace leaves one.
			for _, e := range same[1:] {
				_ = k.removeLocked(e.id)
			}
			return &Item{k: k, id: same[0].id}, nil
		}
		if !errors.Is(err, secret.ErrNotFound) {
			return nil, err
		}
		// Deleted by someone else meanwhile: store it anew.
	}
	id, err := k.addLocked(payload)
	if err != nil {
		return nil, err
	}
	return &Item{k: k, id: id}, nil
}

// addLocked links a new item key into our keyring, finding or creating the
// keyring again if it has vanished (unlinked with keyctl, or displaced by a
// process that created it at the same moment).
func (k *Keyring) addLocked(payload []byte) (int, error) {
	rnd := make([]byte, 12)
	_, _ = rand.Read(rnd)
	desc := itemPrefix + hex.EncodeToString(rnd)
	id, err := addStaged("user", desc, payload, ownerOnly, 0, k.ring)
	if errors.Is(err, secret.ErrNotFound) {
		if err = k.resolveLocked(); err == nil {
			id, err = addStaged("user", desc, payload, ownerOnly, 0, k.ring)
		}
	}
	return id, err
}

// removeLocked unlinks an item from our keyring, which destroys it, and
// invalidates it in case someone linked it elsewhere too: a deleted secret
// must be gone, not merely out of sight.
func (k *Keyring) removeLocked(id int) error {
	if err := unlinkKey(id, k.ring); err != nil {
		return err
	}
	_ = invalidateKey(id)
	return nil
}

// entry is one item found by a scan; rec has no secret.
type entry struct {
	id  int
	rec *record
}

// scanLocked reads every item in our keyring and keeps those whose
// attributes satisfy match, oldest first. Keys that are not ours (another
// type or description, unreadable, not decodable) are skipped and never
// touched: the keyring is a shared place.
func (k *Keyring) scanLocked(ctx context.Context, match func(secret.Attributes) bool) ([]entry, error) {
	ids, err := listKeyring(k.ring)
	if errors.Is(err, secret.ErrNotFound) {
		if err = k.resolveLocked(); err == nil {
			ids, err = listKeyring(k.ring)
		}
	}
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := readItem(id)
		if err != nil {
			continue
		}
		secret.Wipe(rec.secret)
		rec.secret = nil
		if match(rec.attrs) {
			out = append(out, entry{id: id, rec: rec})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].rec.created.Equal(out[j].rec.created) {
			return out[i].rec.created.Before(out[j].rec.created)
		}
		return out[i].id < out[j].id
	})
	return out, nil
}

// readItem reads and decodes one item key, secret included (the caller
// wipes rec.secret).
func readItem(id int) (*record, error) {
	d, err := describeKey(id)
	if err != nil {
		return nil, err
	}
	if d.Type != "user" || !strings.HasPrefix(d.Description, itemPrefix) {
		return nil, fmt.Errorf("key %d (%s %q) is not a moneypenny item: %w", id, d.Type, d.Description, secret.ErrNotFound)
	}
	b, err := readKey(id)
	if err != nil {
		return nil, err
	}
	defer secret.Wipe(b)
	rec, err := decodeRecord(b)
	if err != nil {
		return nil, fmt.Errorf("key %d: %w", id, err)
	}
	return rec, nil
}

// SearchItems returns the items whose attributes contain query, oldest
// first. It reads every key in our keyring: the kernel indexes keys only by
// description, and attributes live in the payload.
func (k *Keyring) SearchItems(ctx context.Context, query secret.Attributes) ([]secret.Item, error) {
	items, err := k.search(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("keyctl: search %v: %w", query, err)
	}
	return items, nil
}

// Items returns every item, oldest first.
func (k *Keyring) Items(ctx context.Context) ([]secret.Item, error) {
	items, err := k.search(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("keyctl: list items: %w", err)
	}
	return items, nil
}

func (k *Keyring) search(ctx context.Context, query secret.Attributes) ([]secret.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := k.lock(); err != nil {
		return nil, err
	}
	defer k.mu.Unlock()
	found, err := k.scanLocked(ctx, func(a secret.Attributes) bool { return a.Matches(query) })
	if err != nil {
		return nil, err
	}
	items := make([]secret.Item, len(found))
	for i, e := range found {
		items[i] = &Item{k: k, id: e.id}
	}
	return items, nil
}

// Delete removes every item whose attributes contain query.
func (k *Keyring) Delete(ctx context.Context, query secret.Attributes) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("keyctl: delete %v: %w", query, err)
	}
	if err := k.lock(); err != nil {
		return 0, fmt.Errorf("keyctl: delete %v: %w", query, err)
	}
	defer k.mu.Unlock()
	found, err := k.scanLocked(ctx, func(a secret.Attributes) bool { return a.Matches(query) })
	if err != nil {
		return 0, fmt.Errorf("keyctl: delete %v: %w", query, err)
	}
	n := 0
	for _, e := range found {
		err := k.removeLocked(e.id)
		switch {
		case err == nil:
			n++
		case errors.Is(err, secret.ErrNotFound):
			// deleted by someone else meanwhile
		default:
			return n, fmt.Errorf("keyctl: delete %v: %w", query, err)
		}
	}
	return n, nil
}

// Lock is not supported: a kernel key has no locked state; its permissions
// are what protect it.
func (k *Keyring) Lock(context.Context) error {
	return fmt.Errorf("keyctl: lock: kernel keyrings have no lock (keys are owner-only instead): %w", secret.ErrNotSupported)
}

// Unlock is not supported, as Lock.
func (k *Keyring) Unlock(context.Context) error {
	return fmt.Errorf("keyctl: unlock: kernel keyrings have no lock: %w", secret.ErrNotSupported)
}

// IsLocked is always false.
func (k *Keyring) IsLocked(context.Context) (bool, error) {
	if err := k.lock(); err != nil {
		return false, fmt.Errorf("keyctl: is locked: %w", err)
	}
	k.mu.Unlock()
	return false, nil
}

// Watch is not supported: the kernel's key notifications (watch_queue,
// Linux 5.8+) need a notification pipe that this backend does not set up.
func (k *Keyring) Watch(context.Context) (<-chan secret.Event, error) {
	return nil, fmt.Errorf("keyctl: watch: no change notifications from kernel keyrings: %w", secret.ErrNotSupported)
}

// Close marks the Keyring closed. The items stay in the kernel: that is the
// point of a keyring other processes can read.
func (k *Keyring) Close() error {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	return nil
}
