package vault

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// The keyring engine's item schema. Each secret is one item:
//
//	label       "Moneypenny vault: <scope>/<name>"
//	xdg:schema  KeyringSchema ("io.github.moneypenny.Vault")
//	scope       the scope, "org/acme"
//	name        the name, "openai_api_key"
//	provider    present when set, "openai"
//	expires     present when set, RFC 3339 in UTC, "2027-03-01T00:00:00Z"
//	created     RFC 3339 with nanoseconds in UTC
//	updated     RFC 3339 with nanoseconds in UTC; the record's version
//
// so every tool that searches by attributes sees the secrets:
//
//	secret-tool search --all xdg:schema io.github.moneypenny.Vault scope org/acme
//
// The times live in attributes, not in the backends' own created/modified
// fields, because not every backend keeps those faithfully and a vault
// overwrite must keep created_at exactly.
const (
	KeyringSchema = "io.github.moneypenny.Vault"

	attrSchema   = "xdg:schema"
	attrScope    = "scope"
	attrName     = "name"
	attrProvider = "provider"
	attrExpires  = "expires"
	attrCreated  = "created"
	attrUpdated  = "updated"
)

// keyringEngine stores each secret as one keyring item.
type keyringEngine struct {
	st secret.Store
	// mu serialises this process's writes, so that a conditional write's
	// check and its write are not interleaved with another goroutine's.
	// Other processes are not serialised: the keyring backends have no
	// transactions. Their races end with two items for one path at worst,
	// and the newer (by updated) wins on read and the next write removes
	// the other.
	mu sync.Mutex
}

// NewKeyringEngine returns the engine that keeps each secret as one item of
// st (any backend: Secret Service, file, keyctl, Keychain, Credential
// Manager), following the schema documented at KeyringSchema. The engine
// owns st: Close closes it. Pass a *keyring.Keyring's Store(), or a
// backend's own Store (keyctl.Open with a private name, say).
//
// Versions are the "updated" attribute. A conditional write compares it on
// a fresh read just before writing, under a lock that serialises this
// process's writers; the keyring backends have no transactions, so two
// processes writing the same path at the same instant can both succeed.
// That leaves two items for the path, never none: reads take the newer, and
// the next write removes the other.
func NewKeyringEngine(st secret.Store) Engine { return &keyringEngine{st: st} }

func (e *keyringEngine) Info() Info {
	b := e.st.Info()
	return Info{Engine: EngineKeyring, Backend: b.Name, Persistent: b.Persistent, ReadOnly: b.ReadOnly, Location: b.Location, Note: b.Note}
}

func (e *keyringEngine) Close() error { return e.st.Close() }

func pathQuery(p Path) secret.Attributes {
	return secret.Attributes{attrSchema: KeyringSchema, attrScope: p.Scope(), attrName: p.Name()}
}

// vanishRetries bounds how often a read starts over because the items it
// found were replaced meanwhile (a writer creates the new item, then
// deletes the old one).
const vanishRetries = 5

// find returns the newest item at p, its record (no value) and the other
// items at p (left by a race or an interrupted write). Items that vanish
// between the search and the read of their attributes were replaced by a
// writer: the search is made again.
func (e *keyringEngine) find(ctx context.Context, p Path) (secret.Item, *Record, []secret.Item, error) {
	for try := 0; ; try++ {
		best, rec, others, vanished, err := e.findOnce(ctx, p)
		if err == nil || !errors.Is(err, secret.ErrNotFound) || !vanished || try == vanishRetries {
			return best, rec, others, err
		}
	}
}

func (e *keyringEngine) findOnce(ctx context.Context, p Path) (best secret.Item, bestRec *Record, others []secret.Item, vanished bool, err error) {
	items, err := e.st.SearchItems(ctx, pathQuery(p))
	if err != nil {
		return nil, nil, nil, false, err
	}
	for _, it := range items {
		attrs, err := it.Attributes(ctx)
		if errors.Is(err, secret.ErrNotFound) {
			vanished = true // deleted meanwhile
			continue
		}
		if err != nil {
			return nil, nil, nil, false, err
		}
		rec := recordFromAttrs(p, attrs)
		if best == nil || rec.UpdatedAt.After(bestRec.UpdatedAt) {
			if best != nil {
				others = append(others, best)
			}
			best, bestRec = it, rec
			continue
		}
		others = append(others, it)
	}
	if best == nil {
		return nil, nil, nil, vanished, secret.ErrNotFound
	}
	return best, bestRec, others, false, nil
}

func recordFromAttrs(p Path, a secret.Attributes) *Record {
	return &Record{
		Metadata: Metadata{
			Path:      p,
			Provider:  a[attrProvider],
			ExpiresAt: parseTime(a[attrExpires]),
			CreatedAt: parseTime(a[attrCreated]),
			UpdatedAt: parseTime(a[attrUpdated]),
		},
		Version: a[attrUpdated],
	}
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (e *keyringEngine) Stat(ctx context.Context, p Path) (*Record, error) {
	_, rec, _, err := e.find(ctx, p)
	return rec, err
}

func (e *keyringEngine) Read(ctx context.Context, p Path) (*Record, error) {
	for try := 0; ; try++ {
		it, rec, _, err := e.find(ctx, p)
		if err != nil {
			return nil, err
		}
		v, err := it.Secret(ctx)
		if errors.Is(err, secret.ErrNotFound) && try < vanishRetries {
			continue // replaced between the search and the read
		}
		if err != nil {
			return nil, err
		}
		rec.Value = v
		return rec, nil
	}
}

func (e *keyringEngine) Write(ctx context.Context, rec *Record, cond Condition) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	cur, curRec, others, err := e.find(ctx, rec.Path)
	switch {
	case errors.Is(err, secret.ErrNotFound):
		curRec = nil
	case err != nil:
		return err
	}
	if !cond.Holds(curRec) {
		return ErrConflict
	}
	attrs := pathQuery(rec.Path)
	if rec.Provider != "" {
		attrs[attrProvider] = rec.Provider
	}
	if !rec.ExpiresAt.IsZero() {
		attrs[attrExpires] = rec.ExpiresAt.UTC().Format(time.RFC3339)
	}
	attrs[attrCreated] = formatTime(rec.CreatedAt)
	attrs[attrUpdated] = formatTime(rec.UpdatedAt)
	created, err := e.st.CreateItem(ctx, "Moneypenny vault: "+rec.Path.String(), attrs, rec.Value, true)
	if err != nil {
		return err
	}
	// The new item is in place; only now do the old ones go, so an
	// interruption leaves two items (the newer wins), never none.
	if cur != nil {
		others = append(others, cur)
	}
	for _, it := range others {
		if it.ID() == created.ID() {
			continue
		}
		if err := it.Delete(ctx); err != nil && !errors.Is(err, secret.ErrNotFound) {
			return fmt.Errorf("remove the previous item: %w", err)
		}
	}
	return nil
}

func (e *keyringEngine) Delete(ctx context.Context, p Path) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, err := e.st.Delete(ctx, pathQuery(p))
	if err != nil {
		return err
	}
	if n == 0 {
		return secret.ErrNotFound
	}
	return nil
}

func (e *keyringEngine) List(ctx context.Context, scope string) ([]Metadata, error) {
	q := secret.Attributes{attrSchema: KeyringSchema}
	items, err := e.st.SearchItems(ctx, q)
	if err != nil {
		return nil, err
	}
	byPath := map[string]Metadata{}
	for _, it := range items {
		attrs, err := it.Attributes(ctx)
		if errors.Is(err, secret.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		// An item that carries the schema but not a valid path was not
		// written by this engine; it is not ours to list.
		p, err := NewPath(attrs[attrScope], attrs[attrName])
		if err != nil || !p.In(scope) {
			continue
		}
		m := recordFromAttrs(p, attrs).Metadata
		if old, ok := byPath[p.String()]; !ok || m.UpdatedAt.After(old.UpdatedAt) {
			byPath[p.String()] = m
		}
	}
	return sortedMetadata(byPath), nil
}

func sortedMetadata(m map[string]Metadata) []Metadata {
	out := make([]Metadata, 0, len(m))
	for _, md := range m {
		out = append(out, md)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path.String() < out[j].Path.String() })
	return out
}
