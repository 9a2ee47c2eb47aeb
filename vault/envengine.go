package vault

import (
	"context"
	"fmt"
	"strings"

	"github.com/moneypenny-go/keyring/secret"
)

// DefaultEnvPrefix is the env engine's default variable prefix.
const DefaultEnvPrefix = "MONEYPENNY_SECRET_"

// EnvName returns the variable the env engine reads for p: prefix, then the
// path upper-cased with "/", "-" and "." mapped to "_":
//
//	global/jwt_signing_key  ->  MONEYPENNY_SECRET_GLOBAL_JWT_SIGNING_KEY
//	org/acme/openai-key     ->  MONEYPENNY_SECRET_ORG_ACME_OPENAI_KEY
//
// "." is mapped too (beyond what SideSeat does) because a shell cannot set
// a variable whose name holds one.
func EnvName(prefix string, p Path) string { return prefix + envSuffix(p.String()) }

func envSuffix(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '-' || r == '.':
			return '_'
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// EnvEngine serves secrets from environment variables, read-only: the
// engine for containers and CI, where the orchestrator injects secrets as
// variables (MONEYPENNY_SECRET_GLOBAL_JWT_SIGNING_KEY=...). Writes and
// deletes fail with secret.ErrReadOnly.
//
// Variables carry no metadata: provider and times are empty, and a secret
// never expires.
//
// # What List can recover
//
// The mapping to variable names loses case, the difference between "/",
// "-", "." and "_", and so where the scope ends and the name begins. List
// therefore works from the scope it is given:
//
//   - List("org/acme") returns every variable under
//     MONEYPENNY_SECRET_ORG_ACME_ as org/acme/<rest in lower case>, so
//     ORG_ACME_OPENAI_API_KEY lists as org/acme/openai_api_key. A secret
//     stored in a sub-scope (org/acme/team/key) lists as org/acme/team_key,
//     and a name with "-" or "." lists with "_"; each listed path maps back to
//     the same variable, so Get of a listed path always works.
//   - List("") can place only the global scope, whose name has one segment:
//     it returns global/<rest> for MONEYPENNY_SECRET_GLOBAL_*; the other
//     variables are listed only when their scope is asked for.
//
// A variable whose remainder is not a valid name (empty, or a byte outside
// the path charset) is not listed.
type EnvEngine struct {
	prefix   string
	vars     map[string]string
	maxValue int
}

// NewEnvEngine returns an env engine over environ (KEY=VALUE strings, as
// os.Environ returns; the caller passes os.Environ() for the process's
// own) with the given prefix ("" means DefaultEnvPrefix). The variables are
// copied: later changes to the environment are not seen. Values longer than
// maxValue bytes (0: DefaultMaxValueSize) are refused with ErrTooLarge.
//
// Go strings cannot be wiped, and the environment holds the secret for the
// life of the process anyway; the values Read returns are fresh copies the
// caller may wipe.
func NewEnvEngine(prefix string, environ []string, maxValue int) *EnvEngine {
	if prefix == "" {
		prefix = DefaultEnvPrefix
	}
	if maxValue <= 0 {
		maxValue = DefaultMaxValueSize
	}
	vars := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, prefix) {
			vars[k] = v
		}
	}
	return &EnvEngine{prefix: prefix, vars: vars, maxValue: maxValue}
}

func (e *EnvEngine) Info() Info {
	return Info{Engine: EngineEnv, ReadOnly: true, Location: "environment variables " + e.prefix + "*"}
}

func (e *EnvEngine) Stat(ctx context.Context, p Path) (*Record, error) {
	name := EnvName(e.prefix, p)
	v, ok := e.vars[name]
	if !ok {
		return nil, fmt.Errorf("no variable %s: %w", name, secret.ErrNotFound)
	}
	if len(v) > e.maxValue {
		return nil, fmt.Errorf("variable %s holds %d bytes, over the %d-byte limit: %w", name, len(v), e.maxValue, secret.ErrTooLarge)
	}
	return &Record{Metadata: Metadata{Path: p}}, nil
}

func (e *EnvEngine) Read(ctx context.Context, p Path) (*Record, error) {
	rec, err := e.Stat(ctx, p)
	if err != nil {
		return nil, err
	}
	rec.Value = secret.NewString(e.vars[EnvName(e.prefix, p)])
	return rec, nil
}

func (e *EnvEngine) Write(ctx context.Context, rec *Record, cond Condition) error {
	return fmt.Errorf("the env engine cannot be written; set %s in the environment instead: %w", EnvName(e.prefix, rec.Path), secret.ErrReadOnly)
}

func (e *EnvEngine) Delete(ctx context.Context, p Path) error {
	return fmt.Errorf("the env engine cannot delete; unset %s instead: %w", EnvName(e.prefix, p), secret.ErrReadOnly)
}

func (e *EnvEngine) List(ctx context.Context, scope string) ([]Metadata, error) {
	out := map[string]Metadata{}
	add := func(sc, rest string) {
		p, err := NewPath(sc, strings.ToLower(rest))
		if err == nil {
			out[p.String()] = Metadata{Path: p}
		}
	}
	if scope == "" {
		pre := e.prefix + envSuffix(GlobalScope) + "_"
		for k := range e.vars {
			if rest, ok := strings.CutPrefix(k, pre); ok {
				add(GlobalScope, rest)
			}
		}
		return sortedMetadata(out), nil
	}
	pre := e.prefix + envSuffix(scope) + "_"
	for k := range e.vars {
		if rest, ok := strings.CutPrefix(k, pre); ok {
			add(scope, rest)
		}
	}
	return sortedMetadata(out), nil
}

// Close does nothing: the engine holds only copies of variables.
func (e *EnvEngine) Close() error { return nil }
