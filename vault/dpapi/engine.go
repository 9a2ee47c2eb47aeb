package dpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// Name is the engine's name for vault.WithEngineFactory, vault.Info and
// MONEYPENNY_VAULT_ENGINE.
const Name = "dpapi-file"

const (
	magic    = "moneypenny-vault-dpapi 1"
	fileExt  = ".dpapi"
	lockName = ".lock"
	// maxFile bounds what is read of one file: a 64 MiB value sealed and
	// base64-encoded stays under it. A larger file is refused before it
	// is read whole.
	maxFile = 96 << 20
)

// sealer is CryptProtectData and CryptUnprotectData for the current user.
type sealer interface {
	seal(plain, entropy []byte, description string) ([]byte, error)
	// unseal returns the plaintext and the description sealed with it.
	unseal(blob, entropy []byte) ([]byte, string, error)
}

// fileSystem is what differs between Windows and elsewhere in writing the
// files: owner-only security, locking and a read that does not block a
// rename.
type fileSystem interface {
	mkdirPrivate(dir string) error
	// writePrivate replaces path with data atomically, owner-only.
	writePrivate(path string, data []byte) error
	readFile(path string, max int64) ([]byte, error)
	lock(ctx context.Context, path string) (unlock func(), err error)
}

// Engine keeps vault records in DPAPI-sealed files in one directory. It is
// safe for concurrent use, also by several processes on one directory.
type Engine struct {
	dir string
	s   sealer
	fs  fileSystem
}

// Open opens the engine on dir, creating it (owner-only) if missing. On
// systems other than Windows it fails with secret.ErrNotSupported.
func Open(dir string) (*Engine, error) {
	s, fsys, err := platform()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, fmt.Errorf("dpapi: no directory: %w", secret.ErrInvalidArgument)
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("dpapi: %w", err)
	}
	if err := fsys.mkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("dpapi: creating %s: %w", dir, err)
	}
	return &Engine{dir: dir, s: s, fs: fsys}, nil
}

// DefaultDir is %LOCALAPPDATA%\moneypenny\vault-dpapi (local, not roaming:
// DPAPI blobs of a local account do not travel). getenv is os.Getenv when
// nil; "" when LOCALAPPDATA is not set.
func DefaultDir(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv("LOCALAPPDATA"); d != "" {
		return filepath.Join(d, "moneypenny", "vault-dpapi")
	}
	return ""
}

// Info describes the engine.
func (e *Engine) Info() vault.Info {
	return vault.Info{Engine: Name, Persistent: true, Location: e.dir}
}

// Close does nothing: the engine holds no handles between calls.
func (e *Engine) Close() error { return nil }

func (e *Engine) file(p vault.Path) string {
	h := sha256.Sum256([]byte(p.String()))
	return filepath.Join(e.dir, hex.EncodeToString(h[:])+fileExt)
}

// header is a file's metadata line.
type header struct {
	Path      string `json:"path"`
	Provider  string `json:"provider,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
	Version   string `json:"version"`
}

// entropy binds a blob to its path and metadata line.
func entropy(path string, headerLine []byte) []byte {
	h := sha256.Sum256(headerLine)
	return append([]byte("moneypenny-vault-dpapi\x00"+path+"\x00"), h[:]...)
}

func description(path string) string { return "moneypenny vault " + path }

// parsed is a file split into its parts; the blob is not unsealed.
type parsed struct {
	rec        *vault.Record
	headerLine []byte
	blob       []byte
}

// load reads and parses the file of p: nil, nil when there is none.
func (e *Engine) load(p vault.Path) (*parsed, error) {
	name := e.file(p)
	b, err := e.fs.readFile(name, maxFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dpapi: %s: %w", p, err)
	}
	f, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("dpapi: %s (%s): %w", p, filepath.Base(name), err)
	}
	if f.rec.Path != p {
		return nil, fmt.Errorf("dpapi: %s: %s holds the record of %s (moved or copied from another path): %w", p, filepath.Base(name), f.rec.Path, secret.ErrCorrupt)
	}
	return f, nil
}

func parse(b []byte) (*parsed, error) {
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if len(lines) == 0 || !bytes.Equal(bytes.TrimSuffix(lines[0], []byte("\r")), []byte(magic)) {
		if bytes.HasPrefix(b, []byte("moneypenny-vault-dpapi ")) {
			return nil, fmt.Errorf("written in a newer format: %w", secret.ErrUnsupportedFormat)
		}
		return nil, fmt.Errorf("not a moneypenny DPAPI file: %w", secret.ErrCorrupt)
	}
	if len(lines) != 3 {
		return nil, fmt.Errorf("%d lines, want 3: %w", len(lines), secret.ErrCorrupt)
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(lines[1]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("metadata line: %v: %w", err, secret.ErrCorrupt)
	}
	p, err := vault.ParsePath(h.Path)
	if err != nil || h.Version == "" {
		return nil, fmt.Errorf("metadata line: bad path or version: %w", secret.ErrCorrupt)
	}
	rec := &vault.Record{Metadata: vault.Metadata{Path: p, Provider: h.Provider}, Version: h.Version}
	for _, t := range []struct {
		s   string
		dst *time.Time
	}{{h.ExpiresAt, &rec.ExpiresAt}, {h.CreatedAt, &rec.CreatedAt}, {h.UpdatedAt, &rec.UpdatedAt}} {
		if t.s == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339Nano, t.s); err != nil {
			return nil, fmt.Errorf("metadata line: %v: %w", err, secret.ErrCorrupt)
		}
	}
	blob, err := base64.StdEncoding.DecodeString(string(lines[2]))
	if err != nil || len(blob) == 0 {
		return nil, fmt.Errorf("sealed value is not base64: %w", secret.ErrCorrupt)
	}
	return &parsed{rec: rec, headerLine: lines[1], blob: blob}, nil
}

// Stat returns the metadata line's record, without unsealing.
func (e *Engine) Stat(ctx context.Context, p vault.Path) (*vault.Record, error) {
	f, err := e.existing(ctx, p)
	if err != nil {
		return nil, err
	}
	return f.rec, nil
}

// existing is load for a file that must exist.
func (e *Engine) existing(ctx context.Context, p vault.Path) (*parsed, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := e.load(p)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("dpapi: %s: %w", p, secret.ErrNotFound)
	}
	return f, nil
}

// Read unseals the value of p. A blob that does not unseal for this user
// with this path and metadata is refused with secret.ErrCorrupt.
func (e *Engine) Read(ctx context.Context, p vault.Path) (*vault.Record, error) {
	f, err := e.existing(ctx, p)
	if err != nil {
		return nil, err
	}
	plain, desc, err := e.s.unseal(f.blob, entropy(p.String(), f.headerLine))
	if err != nil {
		return nil, fmt.Errorf("dpapi: %s: the sealed value does not open for this user at this path (sealed by another user or machine, moved from another path, or tampered with): %v: %w", p, err, secret.ErrCorrupt)
	}
	if desc != description(p.String()) {
		secret.Wipe(plain)
		return nil, fmt.Errorf("dpapi: %s: the sealed value describes itself as %q: %w", p, desc, secret.ErrCorrupt)
	}
	f.rec.Value = secret.New(plain)
	return f.rec, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Write seals rec.Value into a new file for rec.Path if cond holds.
func (e *Engine) Write(ctx context.Context, rec *vault.Record, cond vault.Condition) error {
	p := rec.Path
	unlock, err := e.fs.lock(ctx, filepath.Join(e.dir, lockName))
	if err != nil {
		return fmt.Errorf("dpapi: write %s: %w", p, err)
	}
	defer unlock()
	cur, err := e.load(p)
	if err != nil {
		// A file that cannot be parsed or is another path's is kept.
		return fmt.Errorf("%w; not overwritten", err)
	}
	var curRec *vault.Record
	if cur != nil {
		curRec = cur.rec
	}
	if !cond.Holds(curRec) {
		return fmt.Errorf("dpapi: write %s: %w", p, vault.ErrConflict)
	}
	var v [16]byte
	if _, err := io.ReadFull(rand.Reader, v[:]); err != nil {
		return err
	}
	h := header{
		Path: p.String(), Provider: rec.Provider, Version: hex.EncodeToString(v[:]),
		ExpiresAt: formatTime(rec.ExpiresAt), CreatedAt: formatTime(rec.CreatedAt), UpdatedAt: formatTime(rec.UpdatedAt),
	}
	line, err := json.Marshal(h)
	if err != nil {
		return err
	}
	blob, err := e.s.seal(rec.Value.Bytes(), entropy(h.Path, line), description(h.Path))
	if err != nil {
		return fmt.Errorf("dpapi: write %s: CryptProtectData: %w", p, err)
	}
	var buf bytes.Buffer
	buf.Grow(len(magic) + len(line) + base64.StdEncoding.EncodedLen(len(blob)) + 3)
	buf.WriteString(magic + "\n")
	buf.Write(line)
	buf.WriteByte('\n')
	buf.WriteString(base64.StdEncoding.EncodeToString(blob))
	buf.WriteByte('\n')
	if err := e.fs.writePrivate(e.file(p), buf.Bytes()); err != nil {
		return fmt.Errorf("dpapi: write %s: %w", p, err)
	}
	return nil
}

// Delete removes the file of p. A file that holds another path's record
// is left alone.
func (e *Engine) Delete(ctx context.Context, p vault.Path) error {
	unlock, err := e.fs.lock(ctx, filepath.Join(e.dir, lockName))
	if err != nil {
		return fmt.Errorf("dpapi: delete %s: %w", p, err)
	}
	defer unlock()
	cur, err := e.load(p)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("dpapi: delete %s: %w", p, secret.ErrNotFound)
	}
	if err := os.Remove(e.file(p)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("dpapi: delete %s: %w", p, secret.ErrNotFound)
		}
		return fmt.Errorf("dpapi: delete %s: %w", p, err)
	}
	return nil
}

// List reads the metadata line of every file, never unsealing a value. A
// file that cannot be parsed fails the listing, naming it.
func (e *Engine) List(ctx context.Context, scope string) ([]vault.Metadata, error) {
	ents, err := os.ReadDir(e.dir)
	if err != nil {
		return nil, fmt.Errorf("dpapi: list: %w", err)
	}
	var list []vault.Metadata
	for _, de := range ents {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := de.Name()
		if !de.Type().IsRegular() || !strings.HasSuffix(n, fileExt) || strings.HasPrefix(n, ".") {
			continue
		}
		b, err := e.fs.readFile(filepath.Join(e.dir, n), maxFile)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("dpapi: list: %w", err)
		}
		f, err := parse(b)
		if err != nil {
			return nil, fmt.Errorf("dpapi: list: %s: %w", n, err)
		}
		if e.file(f.rec.Path) != filepath.Join(e.dir, n) {
			return nil, fmt.Errorf("dpapi: list: %s holds the record of %s (moved or copied from another path): %w", n, f.rec.Path, secret.ErrCorrupt)
		}
		if f.rec.Path.In(scope) {
			list = append(list, f.rec.Metadata)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path.String() < list[j].Path.String() })
	return list, nil
}

var _ vault.Engine = (*Engine)(nil)
