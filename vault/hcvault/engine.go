package hcvault

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// Name is the engine's name for vault.WithEngineName, MONEYPENNY_VAULT_ENGINE
// and the config file.
const Name = "hcvault"

// Keys the engine writes. In a version's data: the value ("value" for
// UTF-8 text, else "value_base64"), "content_type" when it is not
// text/plain, and the metadata as of that version. In custom_metadata: the
// metadata of the current version, and the version it describes.
const (
	keyValue       = "value"
	keyValueBase64 = "value_base64"
	keyContentType = "content_type"
	keyProvider    = "provider"
	keyExpiresAt   = "expires_at"
	keyCreatedAt   = "created_at"
	keyUpdatedAt   = "updated_at"
	keyVersionTag  = "moneypenny_version"
)

// maxCustomValue is KV v2's limit on a custom_metadata value.
const maxCustomValue = 512

// Engine keeps a Vault's records in a KV v2 mount of a HashiCorp Vault
// server. It is safe for concurrent use.
type Engine struct {
	s      *settings
	cache  *cache
	closed atomic.Bool
}

var (
	_ vault.Engine        = (*Engine)(nil)
	_ vault.HealthChecker = (*Engine)(nil)
)

// New returns an engine for the server and mount cfg names. It does not
// contact the server: HealthCheck does, and every call reports its own
// failure.
func New(cfg Config) (*Engine, error) {
	s, err := cfg.check()
	if err != nil {
		return nil, err
	}
	return &Engine{s: s, cache: newCache(s.cacheTTL)}, nil
}

// Factory opens the engine for vault.Open from the environment and the
// config file's "hcvault" object (see FromEnv).
func Factory(_ context.Context, section json.RawMessage, getenv func(string) string) (vault.Engine, error) {
	cfg, err := FromEnv(section, getenv)
	if err != nil {
		return nil, err
	}
	defer cfg.Token.Wipe()
	return New(cfg)
}

// Register is the option that lets vault.Open choose this engine by name
// (--engine hcvault, MONEYPENNY_VAULT_ENGINE=hcvault, "engine": "hcvault").
func Register() vault.Option { return vault.WithEngineFactory(Name, Factory) }

// Info describes the engine.
func (e *Engine) Info() vault.Info {
	loc := e.s.base.Redacted() + "/v1/" + e.s.mount + "/data/" + e.s.prefix
	if e.s.namespace != "" {
		loc += " (namespace " + e.s.namespace + ")"
	}
	return vault.Info{Engine: Name, Persistent: true, Location: loc}
}

// Close drops the cache (wiping its values) and idle connections. Calls
// after Close fail with secret.ErrClosed.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.cache.clear()
	e.s.client.CloseIdleConnections()
	return nil
}

func (e *Engine) check() error {
	if e.closed.Load() {
		return fmt.Errorf("hcvault: %w", secret.ErrClosed)
	}
	return nil
}

func (e *Engine) key(p vault.Path) string    { return e.s.prefix + p.String() }
func (e *Engine) dataPath(key string) string { return e.s.mount + "/data/" + key }
func (e *Engine) metaPath(key string) string { return e.s.mount + "/metadata/" + key }

// Read returns the current version of the secret at p, from the cache when
// a copy younger than the cache TTL is there.
func (e *Engine) Read(ctx context.Context, p vault.Path) (*vault.Record, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	key := e.key(p)
	if rec := e.cache.get(key); rec != nil {
		return rec, nil
	}
	gen := e.cache.generation()
	rec, err := e.readVersion(ctx, p, 0)
	if err != nil {
		return nil, err
	}
	e.cache.put(key, rec, gen)
	return rec, nil
}

// ReadVersion returns version n (1, 2, ...) of the secret at p, with the
// value and metadata it had then; n = 0 is the current version. A version
// deleted, destroyed or pruned by max_versions is an error wrapping
// secret.ErrNotFound. It never uses the cache.
func (e *Engine) ReadVersion(ctx context.Context, p vault.Path, n int) (*vault.Record, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("hcvault: version %d: %w", n, secret.ErrInvalidArgument)
	}
	return e.readVersion(ctx, p, n)
}

// kvVersion is a version's metadata as KV v2 reports it.
type kvVersion struct {
	Version        int               `json:"version"`
	CreatedTime    string            `json:"created_time"`
	DeletionTime   string            `json:"deletion_time"`
	Destroyed      bool              `json:"destroyed"`
	CustomMetadata map[string]string `json:"custom_metadata"`
}

// gone reports whether the version is deleted (a deletion time that has
// passed) or destroyed.
func (v *kvVersion) gone(now time.Time) bool {
	if v.Destroyed {
		return true
	}
	if v.DeletionTime == "" {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, v.DeletionTime)
	return err != nil || !now.Before(t)
}

func (e *Engine) readVersion(ctx context.Context, p vault.Path, n int) (*vault.Record, error) {
	q := ""
	if n > 0 {
		q = "version=" + strconv.Itoa(n)
	}
	body, err := e.do(ctx, request{op: "read", method: http.MethodGet, path: e.dataPath(e.key(p)), query: q})
	if err != nil {
		return nil, err
	}
	defer secret.Wipe(body)
	var resp struct {
		Data *struct {
			Data     map[string]json.RawMessage `json:"data"`
			Metadata kvVersion                  `json:"metadata"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("hcvault: read %s: malformed answer: %w", p, secret.ErrCorrupt)
	}
	if resp.Data == nil || resp.Data.Data == nil {
		return nil, fmt.Errorf("hcvault: read %s: %w", p, secret.ErrNotFound)
	}
	d := resp.Data.Data
	defer func() {
		for _, raw := range d {
			secret.Wipe(raw)
		}
	}()
	val, err := decodeValue(d)
	if err != nil {
		return nil, fmt.Errorf("hcvault: read %s (version %d): %w", p, resp.Data.Metadata.Version, err)
	}
	m, _, err := metadataOf(p, &resp.Data.Metadata, d, resp.Data.Metadata.CustomMetadata)
	if err != nil {
		val.Wipe()
		return nil, fmt.Errorf("hcvault: read %s: %w", p, err)
	}
	return &vault.Record{Metadata: m, Value: val, Version: strconv.Itoa(resp.Data.Metadata.Version)}, nil
}

// decodeValue takes the value out of a version's data.
func decodeValue(d map[string]json.RawMessage) (*secret.Value, error) {
	ct := ""
	if raw, ok := d[keyContentType]; ok {
		if err := json.Unmarshal(raw, &ct); err != nil {
			return nil, fmt.Errorf("%q is not a string: %w", keyContentType, secret.ErrUnsupportedFormat)
		}
	}
	if raw, ok := d[keyValue]; ok {
		b, err := unquoteJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is not a string: %w", keyValue, secret.ErrUnsupportedFormat)
		}
		return secret.NewWithContentType(b, ct), nil
	}
	if raw, ok := d[keyValueBase64]; ok {
		enc, err := unquoteJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is not a string: %w", keyValueBase64, secret.ErrUnsupportedFormat)
		}
		defer secret.Wipe(enc)
		b := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
		n, err := base64.StdEncoding.Decode(b, enc)
		if err != nil {
			secret.Wipe(b)
			return nil, fmt.Errorf("%q is not base64: %w", keyValueBase64, secret.ErrCorrupt)
		}
		return secret.NewWithContentType(b[:n], ct), nil
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return nil, fmt.Errorf("the secret has no %q field (it has %s): %w", keyValue, strings.Join(keys, ", "), secret.ErrUnsupportedFormat)
}

// metadataOf works out a version's metadata. custom_metadata wins when it
// says it describes this version (so an operator's `vault kv metadata
// patch` of expires_at takes effect); else the copy kept in the version's
// data d; else, for a secret written by another tool, what custom_metadata
// has, with the version's creation as updated_at. stale reports that d was
// needed but not given (nil): the caller reads the version's data.
func metadataOf(p vault.Path, v *kvVersion, d map[string]json.RawMessage, custom map[string]string) (m vault.Metadata, stale bool, err error) {
	m.Path = p
	if tag, ok := custom[keyVersionTag]; ok && tag == strconv.Itoa(v.Version) {
		err = fillMetadata(&m, custom, "custom_metadata")
		return m, false, err
	}
	if d == nil {
		if _, ours := custom[keyVersionTag]; ours {
			return m, true, nil
		}
	} else if _, ours := d[keyUpdatedAt]; ours {
		fields := map[string]string{}
		for _, k := range []string{keyProvider, keyExpiresAt, keyCreatedAt, keyUpdatedAt} {
			if raw, ok := d[k]; ok {
				var s string
				if json.Unmarshal(raw, &s) != nil {
					return m, false, fmt.Errorf("%q in the data is not a string: %w", k, secret.ErrCorrupt)
				}
				fields[k] = s
			}
		}
		err = fillMetadata(&m, fields, "data")
		return m, false, err
	}
	if err = fillMetadata(&m, custom, "custom_metadata"); err != nil {
		return m, false, err
	}
	if t, perr := time.Parse(time.RFC3339Nano, v.CreatedTime); perr == nil {
		m.UpdatedAt = t.UTC()
		if m.CreatedAt.IsZero() || m.CreatedAt.After(m.UpdatedAt) {
			m.CreatedAt = m.UpdatedAt
		}
	}
	return m, false, nil
}

func fillMetadata(m *vault.Metadata, f map[string]string, where string) error {
	m.Provider = f[keyProvider]
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{keyExpiresAt, &m.ExpiresAt}, {keyCreatedAt, &m.CreatedAt}, {keyUpdatedAt, &m.UpdatedAt}} {
		s := f[t.key]
		if s == "" {
			continue
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("%s %q is %q, not an RFC 3339 time: %w", where, t.key, s, secret.ErrCorrupt)
		}
		*t.dst = tm.UTC()
	}
	return nil
}

// kvMetadata is the metadata endpoint's answer.
type kvMetadata struct {
	CurrentVersion int                  `json:"current_version"`
	Versions       map[string]kvVersion `json:"versions"`
	CustomMetadata map[string]string    `json:"custom_metadata"`
}

// current returns the current version, or nil when there is none or it is
// deleted or destroyed.
func (md *kvMetadata) current() *kvVersion {
	v, ok := md.Versions[strconv.Itoa(md.CurrentVersion)]
	if !ok || md.CurrentVersion == 0 || v.gone(time.Now()) {
		return nil
	}
	v.Version = md.CurrentVersion
	v.CustomMetadata = md.CustomMetadata
	return &v
}

func (e *Engine) readMetadata(ctx context.Context, op string, p vault.Path) (*kvMetadata, error) {
	body, err := e.do(ctx, request{op: op, method: http.MethodGet, path: e.metaPath(e.key(p))})
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data *kvMetadata `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Data == nil {
		return nil, fmt.Errorf("hcvault: %s %s: malformed metadata answer: %w", op, p, secret.ErrCorrupt)
	}
	return resp.Data, nil
}

// Stat returns the current version's metadata from the metadata endpoint,
// without the value. It never uses the cache. When custom_metadata does not
// describe the current version (another writer is between its two
// requests, or a tool other than Moneypenny wrote the value) it reads the
// version's own copy of the metadata, and wipes the value it came with.
func (e *Engine) Stat(ctx context.Context, p vault.Path) (*vault.Record, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	md, err := e.readMetadata(ctx, "stat", p)
	if err != nil {
		return nil, err
	}
	cur := md.current()
	if cur == nil {
		return nil, fmt.Errorf("hcvault: stat %s: %w", p, secret.ErrNotFound)
	}
	m, stale, err := metadataOf(p, cur, nil, md.CustomMetadata)
	if err != nil {
		return nil, fmt.Errorf("hcvault: stat %s: %w", p, err)
	}
	if stale {
		rec, err := e.readVersion(ctx, p, cur.Version)
		if err != nil {
			return nil, err
		}
		rec.Value.Wipe()
		rec.Value = nil
		return rec, nil
	}
	return &vault.Record{Metadata: m, Version: strconv.Itoa(cur.Version)}, nil
}

// Write stores rec as a new version with KV v2's check-and-set: cond.Absent
// writes with cas=0, cond.Version with cas=<version>, so of two writers
// that read the same version only one succeeds and the other gets an error
// wrapping vault.ErrConflict. The metadata goes into the version's data and
// then into custom_metadata, tagged with the version it describes.
func (e *Engine) Write(ctx context.Context, rec *vault.Record, cond vault.Condition) error {
	if err := e.check(); err != nil {
		return err
	}
	p := rec.Path
	key := e.key(p)
	e.cache.invalidate(key)
	defer e.cache.invalidate(key)
	if len(rec.Provider) > maxCustomValue {
		return fmt.Errorf("hcvault: write %s: the provider is over %d bytes (KV v2's custom_metadata limit): %w", p, maxCustomValue, secret.ErrInvalidArgument)
	}
	cas := -1
	switch {
	case cond.Absent:
		cas = 0
	case cond.Version != "":
		n, err := strconv.Atoi(cond.Version)
		if err != nil || n < 1 {
			return fmt.Errorf("hcvault: write %s: version %q is not a KV v2 version: %w", p, cond.Version, secret.ErrInvalidArgument)
		}
		cas = n
	}
	ver, custom, err := e.writeData(ctx, key, rec, cas)
	if err != nil && cond.Absent && errors.Is(err, vault.ErrConflict) {
		// The key may exist with its current version deleted: absent to
		// Stat and Read, but KV v2 counts its versions on. Write on top
		// of that version, still with check-and-set.
		md, merr := e.readMetadata(ctx, "write", p)
		if merr == nil && md.CurrentVersion > 0 && md.current() == nil {
			ver, custom, err = e.writeData(ctx, key, rec, md.CurrentVersion)
		}
	}
	if err != nil {
		return err
	}
	if err := e.writeCustomMetadata(ctx, key, rec, ver, custom); err != nil {
		return fmt.Errorf("hcvault: write %s: the value is stored as version %d, but custom_metadata was not updated (reads use the copy kept with the value): %w", p, ver, err)
	}
	return nil
}

// writeData writes a version with cas (-1: none) and returns its number
// and the key's custom_metadata.
func (e *Engine) writeData(ctx context.Context, key string, rec *vault.Record, cas int) (int, map[string]string, error) {
	body := make([]byte, 0, 256+rec.Value.Len()*2)
	body = append(body, `{`...)
	if cas >= 0 {
		body = append(body, `"options":{"cas":`...)
		body = strconv.AppendInt(body, int64(cas), 10)
		body = append(body, `},`...)
	}
	body = append(body, `"data":{`...)
	v := rec.Value.Bytes()
	ct := rec.Value.ContentType()
	if ct == secret.ContentTypeText && utf8.Valid(v) {
		body = append(body, `"`+keyValue+`":`...)
		body = appendJSONString(body, v)
	} else {
		body = append(body, `"`+keyValueBase64+`":"`...)
		n := len(body)
		body = append(body, make([]byte, base64.StdEncoding.EncodedLen(len(v)))...)
		base64.StdEncoding.Encode(body[n:], v)
		body = append(body, '"')
	}
	if ct != secret.ContentTypeText {
		body = append(body, `,"`+keyContentType+`":`...)
		body = appendJSONString(body, []byte(ct))
	}
	for k, val := range metadataFields(&rec.Metadata) {
		body = append(body, ',')
		body = appendJSONString(body, []byte(k))
		body = append(body, ':')
		body = appendJSONString(body, []byte(val))
	}
	body = append(body, `}}`...)
	resp, err := e.do(ctx, request{op: "write", method: http.MethodPost, path: e.dataPath(key), body: body, wipeBody: true})
	if err != nil {
		return 0, nil, err
	}
	var out struct {
		Data *kvVersion `json:"data"`
	}
	if len(resp) == 0 {
		return 0, nil, fmt.Errorf("hcvault: write /v1/%s: the server stored it without a version: is mount %s KV version 1? This engine needs KV version 2: %w", e.dataPath(key), e.s.mount, secret.ErrUnsupportedFormat)
	}
	if err := json.Unmarshal(resp, &out); err != nil || out.Data == nil || out.Data.Version < 1 {
		return 0, nil, fmt.Errorf("hcvault: write /v1/%s: malformed answer: %w", e.dataPath(key), secret.ErrCorrupt)
	}
	return out.Data.Version, out.Data.CustomMetadata, nil
}

// metadataFields is the metadata as the engine stores it, empty fields
// left out (KV v2 refuses empty custom_metadata values).
func metadataFields(m *vault.Metadata) map[string]string {
	f := map[string]string{}
	if m.Provider != "" {
		f[keyProvider] = m.Provider
	}
	for k, t := range map[string]time.Time{keyExpiresAt: m.ExpiresAt, keyCreatedAt: m.CreatedAt, keyUpdatedAt: m.UpdatedAt} {
		if !t.IsZero() {
			f[k] = t.UTC().Format(time.RFC3339Nano)
		}
	}
	return f
}

// writeCustomMetadata mirrors the metadata of version ver into
// custom_metadata, keeping the keys other tools put there.
func (e *Engine) writeCustomMetadata(ctx context.Context, key string, rec *vault.Record, ver int, cur map[string]string) error {
	merged := map[string]string{}
	for k, v := range cur {
		merged[k] = v
	}
	for _, k := range []string{keyProvider, keyExpiresAt, keyCreatedAt, keyUpdatedAt} {
		delete(merged, k)
	}
	for k, v := range metadataFields(&rec.Metadata) {
		merged[k] = v
	}
	merged[keyVersionTag] = strconv.Itoa(ver)
	body, err := json.Marshal(map[string]any{"custom_metadata": merged})
	if err != nil {
		return err
	}
	_, err = e.do(ctx, request{op: "write metadata", method: http.MethodPost, path: e.metaPath(key), body: body})
	return err
}

// Delete removes the secret at p with every version and its metadata
// (KV v2's metadata delete: the history goes too, which is what "rm" must
// mean for a secret; `vault kv undelete` cannot bring it back). A secret
// whose current version is deleted already counts as absent.
func (e *Engine) Delete(ctx context.Context, p vault.Path) error {
	if err := e.check(); err != nil {
		return err
	}
	key := e.key(p)
	e.cache.invalidate(key)
	defer e.cache.invalidate(key)
	md, err := e.readMetadata(ctx, "delete", p)
	if err != nil {
		return err
	}
	if md.current() == nil {
		return fmt.Errorf("hcvault: delete %s: %w", p, secret.ErrNotFound)
	}
	_, err = e.do(ctx, request{op: "delete", method: http.MethodDelete, path: e.metaPath(key)})
	return err
}

// listConcurrency bounds the metadata requests List has in flight.
const listConcurrency = 8

// List walks the metadata tree under scope with KV v2's LIST and returns
// the metadata of each secret (custom_metadata, one metadata request per
// secret, never a value read), sorted by path. Keys that are not valid
// vault paths (written by other tools) and secrets whose current version is
// deleted are left out.
func (e *Engine) List(ctx context.Context, scope string) ([]vault.Metadata, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	var paths []vault.Path
	var walk func(rel string, depth int) error
	walk = func(rel string, depth int) error {
		if depth > vault.MaxDepth {
			return nil
		}
		keys, err := e.listKeys(ctx, rel)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if strings.HasSuffix(k, "/") {
				if err := walk(rel+k, depth+1); err != nil {
					return err
				}
				continue
			}
			if p, err := vault.ParsePath(rel + k); err == nil && p.In(scope) {
				paths = append(paths, p)
			}
		}
		return nil
	}
	start := ""
	if scope != "" {
		start = scope + "/"
	}
	if err := walk(start, strings.Count(start, "/")); err != nil {
		return nil, err
	}
	out := make([]*vault.Metadata, len(paths))
	errs := make([]error, len(paths))
	sem := make(chan struct{}, listConcurrency)
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			md, err := e.readMetadata(ctx, "list", p)
			if errors.Is(err, secret.ErrNotFound) {
				return
			}
			if err != nil {
				errs[i] = err
				return
			}
			cur := md.current()
			if cur == nil {
				return
			}
			m, stale, err := metadataOf(p, cur, nil, md.CustomMetadata)
			if err != nil {
				errs[i] = fmt.Errorf("hcvault: list %s: %w", p, err)
				return
			}
			if stale {
				// custom_metadata describes an earlier version: keep
				// it, but say when the current one was written.
				_ = fillMetadata(&m, md.CustomMetadata, "custom_metadata")
				if t, err := time.Parse(time.RFC3339Nano, cur.CreatedTime); err == nil {
					m.UpdatedAt = t.UTC()
				}
			}
			out[i] = &m
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res := make([]vault.Metadata, 0, len(out))
	for _, m := range out {
		if m != nil {
			res = append(res, *m)
		}
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Path.String() < res[j].Path.String() })
	return res, nil
}

// listKeys LISTs the metadata folder rel (relative to the prefix; "" or
// ending in "/"). A folder that does not exist lists as empty.
func (e *Engine) listKeys(ctx context.Context, rel string) ([]string, error) {
	path := strings.TrimSuffix(e.metaPath(e.s.prefix+rel), "/")
	body, err := e.do(ctx, request{op: "list", method: http.MethodGet, path: path + "/", query: "list=true"})
	if errors.Is(err, secret.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data struct {
			Keys []string `json:"keys"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("hcvault: list /v1/%s: malformed answer: %w", path, secret.ErrCorrupt)
	}
	return resp.Data.Keys, nil
}

// Version describes one version of a secret, as Versions lists them.
type Version struct {
	// Number is KV v2's version number, 1 for the first write.
	Number int
	// Created is when the version was written.
	Created time.Time
	// Deleted is when the version was (or will be, under
	// delete_version_after) soft-deleted; zero if never. Destroyed: its
	// data is gone for good.
	Deleted   time.Time
	Destroyed bool
	// Current: the version Read returns.
	Current bool
}

// Versions lists the versions of the secret at p that KV v2 still keeps
// (max_versions prunes the oldest), oldest first. Read one with
// ReadVersion.
func (e *Engine) Versions(ctx context.Context, p vault.Path) ([]Version, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	md, err := e.readMetadata(ctx, "versions", p)
	if err != nil {
		return nil, err
	}
	out := make([]Version, 0, len(md.Versions))
	for k, v := range md.Versions {
		n, err := strconv.Atoi(k)
		if err != nil {
			continue
		}
		ver := Version{Number: n, Destroyed: v.Destroyed, Current: n == md.CurrentVersion}
		ver.Created, _ = time.Parse(time.RFC3339Nano, v.CreatedTime)
		if v.DeletionTime != "" {
			ver.Deleted, _ = time.Parse(time.RFC3339Nano, v.DeletionTime)
		}
		out = append(out, ver)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}
