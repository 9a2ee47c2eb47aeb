package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/windows"
)

// The single-entry engine keeps all of an application's secrets in one
// keyring item:
//
//	label       "Moneypenny vault: <app>"
//	xdg:schema  SingleEntrySchema ("io.github.moneypenny.VaultEntry")
//	app         the application name given to OpenSingleEntry
//
// whose secret (content type application/json) is
//
//	{"format":"moneypenny-vault/1","secrets":[
//	  {"path":"org/acme/openai_api_key","value":"<base64>","content_type":"text/plain",
//	   "provider":"openai","expires_at":"...","created_at":"...","updated_at":"..."}, ...]}
//
// with times in RFC 3339 (UTC, nanoseconds) and secrets sorted by path.
//
// The item is read once, at the first call that needs it, and served from
// memory afterwards: a Get costs no backend round trip, and on macOS the
// Keychain asks "Always Allow" once for the whole vault instead of once per
// secret. Each write re-reads the item (to keep what another process wrote
// meanwhile), applies the change and writes the whole item back in one
// backend write, which every backend makes atomic. Reload drops the cache.
//
// The whole entry must fit the backend: on the Windows Credential Manager
// that is windows.MaxSecretSize (200 KiB, stored in 2560-byte parts by the
// windows package's chunking). A write that would exceed it fails with
// secret.ErrTooLarge and changes nothing.
const (
	SingleEntrySchema = "io.github.moneypenny.VaultEntry"
	singleEntryFormat = "moneypenny-vault/1"
	attrApp           = "app"

	// defaultMaxEntrySize bounds the entry on backends without a limit of
	// their own; it keeps one read from pulling an unbounded blob into memory.
	defaultMaxEntrySize = 4 << 20
	// keyctlMaxEntrySize leaves room for the keyctl item's own record
	// (label, attributes) under the kernel's 32767-byte limit for a user key.
	keyctlMaxEntrySize = 32767 - 2048
)

// SingleEntry is the single-entry engine; see SingleEntrySchema.
type SingleEntry struct {
	st      secret.Store
	app     string
	maxSize int

	mu      sync.Mutex
	loaded  bool
	secrets map[string]*entryRecord
	// loads counts backend reads, for tests and benchmarks.
	loads int
}

type entryRecord struct {
	Metadata
	value       []byte
	contentType string
}

// OpenSingleEntry returns the engine that keeps every secret of app in one
// item of st (see SingleEntrySchema). app names the item ("sideseat"); it
// follows the path segment rules. The engine owns st: Close closes it and
// wipes the values held in memory. Nothing is read until the first call
// that needs the entry.
func OpenSingleEntry(st secret.Store, app string) (*SingleEntry, error) {
	if err := validSegment(app); err != nil {
		return nil, fmt.Errorf("vault: single-entry app name %s: %v: %w", safeQuote(app), err, secret.ErrInvalidArgument)
	}
	return &SingleEntry{st: st, app: app, maxSize: entryLimit(st.Info().Name)}, nil
}

// entryLimit is the largest entry the named backend holds in one item.
func entryLimit(backend string) int {
	switch backend {
	case keyring.CredentialManager:
		return windowsEntryLimit()
	case keyring.Keyctl:
		return keyctlMaxEntrySize
	}
	return defaultMaxEntrySize
}

// windowsEntryLimit is what the windows package stores in one credential
// set with its chunking.
func windowsEntryLimit() int { return windows.MaxSecretSize }

func (e *SingleEntry) Info() Info {
	b := e.st.Info()
	loc := b.Location
	if loc != "" {
		loc += ", "
	}
	return Info{Engine: EngineSingleEntry, Backend: b.Name, Persistent: b.Persistent, ReadOnly: b.ReadOnly,
		Location: loc + "item app=" + e.app, Note: b.Note}
}

func (e *SingleEntry) query() secret.Attributes {
	return secret.Attributes{attrSchema: SingleEntrySchema, attrApp: e.app}
}

// Reload forgets the values held in memory; the next call reads the item
// again. Call it when another process may have changed the vault.
func (e *SingleEntry) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.forget()
	return e.load(ctx)
}

func (e *SingleEntry) forget() {
	for _, r := range e.secrets {
		secret.Wipe(r.value)
	}
	e.secrets = nil
	e.loaded = false
}

// ensure loads the entry unless it is in memory. e.mu is held.
func (e *SingleEntry) ensure(ctx context.Context) error {
	if e.loaded {
		return nil
	}
	return e.load(ctx)
}

// load reads the item into memory, replacing what was there. e.mu is held.
func (e *SingleEntry) load(ctx context.Context) error {
	items, err := e.st.SearchItems(ctx, e.query())
	if err != nil {
		return err
	}
	e.loads++
	secrets := map[string]*entryRecord{}
	if len(items) > 0 {
		v, err := items[0].Secret(ctx)
		if err != nil {
			return err
		}
		secrets, err = decodeEntry(v.Bytes(), e.maxSize)
		v.Wipe()
		if err != nil {
			return fmt.Errorf("single-entry item app=%s: %w", e.app, err)
		}
	}
	e.forget()
	e.secrets, e.loaded = secrets, true
	return nil
}

type entryJSON struct {
	Format  string          `json:"format"`
	Secrets []entrySecretJS `json:"secrets"`
}

type entrySecretJS struct {
	Path        string    `json:"path"`
	Value       []byte    `json:"value"`
	ContentType string    `json:"content_type,omitempty"`
	Provider    string    `json:"provider,omitempty"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// decodeEntry parses an entry. A foreign or damaged entry is ErrCorrupt and
// is never overwritten (writes load first and stop at the error).
func decodeEntry(b []byte, max int) (map[string]*entryRecord, error) {
	if len(b) > max {
		return nil, fmt.Errorf("entry of %d bytes, over the %d-byte limit: %w", len(b), max, secret.ErrCorrupt)
	}
	var doc entryJSON
	if err := json.Unmarshal(b, &doc); err != nil {
		// json's messages quote at most a character of the input, but
		// that input is secret: say only where.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not a vault entry (JSON syntax error at byte %d): %w", se.Offset, secret.ErrCorrupt)
		}
		return nil, fmt.Errorf("not a vault entry (unexpected JSON structure): %w", secret.ErrCorrupt)
	}
	if doc.Format != singleEntryFormat {
		wipeEntries(doc.Secrets)
		return nil, fmt.Errorf("entry format %s, want %q: %w", safeQuote(doc.Format), singleEntryFormat, secret.ErrUnsupportedFormat)
	}
	out := make(map[string]*entryRecord, len(doc.Secrets))
	for i, s := range doc.Secrets {
		p, err := ParsePath(s.Path)
		if err != nil {
			wipeEntries(doc.Secrets)
			return nil, fmt.Errorf("secret %d: %v: %w", i, err, secret.ErrCorrupt)
		}
		out[p.String()] = &entryRecord{
			Metadata:    Metadata{Path: p, Provider: s.Provider, ExpiresAt: s.ExpiresAt.UTC(), CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()},
			value:       s.Value,
			contentType: s.ContentType,
		}
	}
	return out, nil
}

func wipeEntries(s []entrySecretJS) {
	for _, e := range s {
		secret.Wipe(e.Value)
	}
}

// encodeEntry writes the entry into one buffer sized up front, so the
// secrets exist in exactly one place the caller wipes (encoding/json would
// leave copies in its pooled buffers). Only non-secret strings go through
// json.Marshal.
func encodeEntry(secrets map[string]*entryRecord) []byte {
	keys := make([]string, 0, len(secrets))
	size := 64
	for k, r := range secrets {
		keys = append(keys, k)
		size += 256 + len(k) + len(r.Provider)*6 + len(r.contentType)*6 + base64.StdEncoding.EncodedLen(len(r.value))
	}
	sort.Strings(keys)
	buf := bytes.NewBuffer(make([]byte, 0, size))
	buf.WriteString(`{"format":"` + singleEntryFormat + `","secrets":[`)
	str := func(s string) {
		b, _ := json.Marshal(s)
		buf.Write(b)
	}
	tm := func(field string, t time.Time) {
		if !t.IsZero() {
			buf.WriteString(`,"` + field + `":"` + t.UTC().Format(time.RFC3339Nano) + `"`)
		}
	}
	for i, k := range keys {
		r := secrets[k]
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"path":`)
		str(k)
		buf.WriteString(`,"value":"`)
		n := base64.StdEncoding.EncodedLen(len(r.value))
		buf.Grow(n)
		start := buf.Len()
		buf.Write(make([]byte, n))
		base64.StdEncoding.Encode(buf.Bytes()[start:start+n], r.value)
		buf.WriteByte('"')
		if r.contentType != "" {
			buf.WriteString(`,"content_type":`)
			str(r.contentType)
		}
		if r.Provider != "" {
			buf.WriteString(`,"provider":`)
			str(r.Provider)
		}
		tm("expires_at", r.ExpiresAt)
		tm("created_at", r.CreatedAt)
		tm("updated_at", r.UpdatedAt)
		buf.WriteByte('}')
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

func (r *entryRecord) record(withValue bool) *Record {
	rec := &Record{Metadata: r.Metadata, Version: formatTime(r.UpdatedAt)}
	if withValue {
		rec.Value = secret.NewWithContentType(append([]byte(nil), r.value...), r.contentType)
	}
	return rec
}

func (e *SingleEntry) lookup(ctx context.Context, p Path, withValue bool) (*Record, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.ensure(ctx); err != nil {
		return nil, err
	}
	r, ok := e.secrets[p.String()]
	if !ok {
		return nil, secret.ErrNotFound
	}
	return r.record(withValue), nil
}

func (e *SingleEntry) Read(ctx context.Context, p Path) (*Record, error) {
	return e.lookup(ctx, p, true)
}

func (e *SingleEntry) Stat(ctx context.Context, p Path) (*Record, error) {
	return e.lookup(ctx, p, false)
}

// modify re-reads the entry, applies change to a copy and writes the whole
// entry back; memory is updated only after the write succeeded.
func (e *SingleEntry) modify(ctx context.Context, change func(m map[string]*entryRecord) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.load(ctx); err != nil {
		return err
	}
	next := make(map[string]*entryRecord, len(e.secrets)+1)
	for k, v := range e.secrets {
		next[k] = v
	}
	if err := change(next); err != nil {
		return err
	}
	written := false
	defer func() {
		if !written { // drop the copies change made
			for k, r := range next {
				if e.secrets[k] != r {
					secret.Wipe(r.value)
				}
			}
		}
	}()
	blob := encodeEntry(next)
	defer secret.Wipe(blob)
	if len(blob) > e.maxSize {
		return fmt.Errorf("the single-entry vault would be %d bytes, over the %d bytes the %s backend holds in one item (use the keyring engine, one item per secret): %w",
			len(blob), e.maxSize, e.st.Info().Name, secret.ErrTooLarge)
	}
	v := secret.NewWithContentType(blob, "application/json")
	if _, err := e.st.CreateItem(ctx, "Moneypenny vault: "+e.app, e.query(), v, true); err != nil {
		return err
	}
	written = true
	for k, r := range e.secrets {
		if next[k] != r {
			secret.Wipe(r.value)
		}
	}
	e.secrets = next
	return nil
}

func (e *SingleEntry) Write(ctx context.Context, rec *Record, cond Condition) error {
	if e.st.Info().ReadOnly {
		return secret.ErrReadOnly
	}
	key := rec.Path.String()
	return e.modify(ctx, func(m map[string]*entryRecord) error {
		var cur *Record
		if r, ok := m[key]; ok {
			cur = r.record(false)
		}
		if !cond.Holds(cur) {
			return ErrConflict
		}
		ct := ""
		if rec.Value != nil && rec.Value.ContentType() != secret.ContentTypeText {
			ct = rec.Value.ContentType()
		}
		m[key] = &entryRecord{Metadata: rec.Metadata, value: append([]byte(nil), rec.Value.Bytes()...), contentType: ct}
		return nil
	})
}

func (e *SingleEntry) Delete(ctx context.Context, p Path) error {
	return e.modify(ctx, func(m map[string]*entryRecord) error {
		if _, ok := m[p.String()]; !ok {
			return secret.ErrNotFound
		}
		delete(m, p.String())
		return nil
	})
}

func (e *SingleEntry) List(ctx context.Context, scope string) ([]Metadata, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.ensure(ctx); err != nil {
		return nil, err
	}
	m := map[string]Metadata{}
	for k, r := range e.secrets {
		if r.Path.In(scope) {
			m[k] = r.Metadata
		}
	}
	return sortedMetadata(m), nil
}

func (e *SingleEntry) Close() error {
	e.mu.Lock()
	e.forget()
	e.mu.Unlock()
	return e.st.Close()
}
