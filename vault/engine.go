package vault

import (
	"context"
	"errors"

	"github.com/moneypenny-go/keyring/secret"
)

// ErrConflict: a conditional write lost a race. The record changed (or came
// into existence) after the caller read it; nothing was written. Read again
// and retry, or report it.
var ErrConflict = errors.New("conflict: the secret changed since it was read")

// Engine is where a Vault keeps its records. The engines of this package
// (the keyring, single-entry and environment engines) and remote ones
// (HashiCorp Vault, AWS Secrets Manager, in packages of their own) all
// implement it; a Vault adds validation, size limits, timestamps, expiry
// and fallback on top, so an engine only stores and fetches.
//
// Every method takes a context: remote engines make network calls, and the
// keyring engines may wait for a prompt. An Engine is safe for concurrent
// use. Errors wrap the sentinels of package secret (ErrNotFound,
// ErrReadOnly, ErrTooLarge, ErrUnavailable, ...) or ErrConflict, and never
// contain a secret value. internal/vaulttest is the contract every engine
// in this module tree runs against its real store.
type Engine interface {
	// Info describes the engine.
	Info() Info
	// Read returns the record at p with its value, or an error wrapping
	// secret.ErrNotFound. The caller owns (and wipes) the value.
	Read(ctx context.Context, p Path) (*Record, error)
	// Stat is Read without the value (Record.Value is nil): Exists and the
	// metadata-keeping writes use it, and engines that can answer it
	// without touching the value (a metadata endpoint, keyring attributes)
	// should.
	Stat(ctx context.Context, p Path) (*Record, error)
	// Write stores rec (path, value, metadata as given: the Vault sets the
	// times) if cond holds, else returns an error wrapping ErrConflict. The
	// engine does not keep rec.Value; the caller still wipes it.
	Write(ctx context.Context, rec *Record, cond Condition) error
	// Delete removes the record at p, or returns an error wrapping
	// secret.ErrNotFound.
	Delete(ctx context.Context, p Path) error
	// List returns the metadata of every record whose path is in scope (see
	// Path.In; "" lists everything), sorted by path. It never reads values.
	List(ctx context.Context, scope string) ([]Metadata, error)
	// Close releases connections and cached values.
	Close() error
}

// HealthChecker is implemented by engines that can check their backend
// without touching a secret (a remote server's health endpoint). A failing
// check is information for diagnose output, not a reason to stop.
type HealthChecker interface {
	HealthCheck(ctx context.Context) error
}

// Record is what an engine stores: a secret, its metadata and the engine's
// version of it.
type Record struct {
	Metadata
	Value *secret.Value
	// Version identifies this state of the record for a later conditional
	// Write: an opaque string chosen by the engine (a KV v2 version number,
	// an update timestamp). Empty when the engine keeps no versions.
	Version string
}

// Condition is a Write's precondition. The zero Condition always holds.
type Condition struct {
	// Absent: the record must not exist.
	Absent bool
	// Version: the record must exist at this version (Record.Version from
	// an earlier Read or Stat).
	Version string
}

// Holds reports whether cond holds for the current record cur (nil when
// there is none). Engines whose store has no native check-and-set use it
// on a fresh read just before writing.
func (c Condition) Holds(cur *Record) bool {
	switch {
	case c.Absent:
		return cur == nil
	case c.Version != "":
		return cur != nil && cur.Version == c.Version
	}
	return true
}

// Info describes an engine.
type Info struct {
	// Engine is the engine's name: "keyring", "single-entry", "env", or a
	// remote engine's.
	Engine string `json:"engine"`
	// Backend is the keyring backend under the keyring and single-entry
	// engines ("secret-service", "file", ...); empty for the others.
	Backend string `json:"backend,omitempty"`
	// Persistent is false when secrets do not outlive a reboot (keyctl) or
	// the process (env).
	Persistent bool `json:"persistent"`
	// ReadOnly is true when writes fail with secret.ErrReadOnly.
	ReadOnly bool `json:"read_only"`
	// Location says where the secrets live: a file, a collection, an item,
	// a URL, an environment prefix.
	Location string `json:"location,omitempty"`
	// Note says how the engine was chosen.
	Note string `json:"note,omitempty"`
}
