package vault

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/secret"
)

// DefaultApp names the single-entry engine's item when WithApp and the
// config file do not.
const DefaultApp = "moneypenny"

// Open opens a Vault on the engine the caller, the environment or the
// config file chooses; the first that says something wins:
//
//  1. WithEngine (an engine the caller opened) or WithEngineName (the CLI's
//     --engine flag);
//  2. the MONEYPENNY_VAULT_ENGINE variable;
//  3. "engine" in the config file (see ConfigPath for where and what);
//  4. auto-detection: the keyring engine on the backend keyring.Open
//     detects (the Keychain, the Credential Manager, the Secret Service,
//     a sandbox's portal-keyed file).
//
// The single-entry engine's item name and the env engine's prefix follow
// the same order: WithApp / WithEnvPrefix, then MONEYPENNY_VAULT_APP /
// MONEYPENNY_VAULT_ENV_PREFIX, then the config file, then DefaultApp /
// DefaultEnvPrefix.
//
// The keyring engines' backend is chosen the same way (WithKeyringBackend,
// MONEYPENNY_BACKEND, "keyring": {"backend"} in the config file, then
// detection). When it was detected, Open remembers which backend and
// location detection found in a marker file ($XDG_STATE_HOME/moneypenny/
// vault-backend.json); a later Open whose detection finds another store (a
// Secret Service that is down, so a different backend would be picked, or
// a different default collection) fails with a *BackendChangedError
// instead of silently showing an empty vault.
func Open(ctx context.Context, opts ...Option) (*Vault, error) {
	c := newConfig(opts)
	if c.engine != nil {
		return c.vault(c.engine, "engine given to Open"), nil
	}
	fc, err := c.readConfig()
	if err != nil {
		return nil, err
	}
	if !c.maxValueSet && fc.MaxValueSize > 0 {
		c.maxValue = fc.MaxValueSize
	}
	var name, why string
	switch {
	case c.engineName != "":
		name, why = c.engineName, "engine chosen by the caller (--engine)"
	case c.getenv("MONEYPENNY_VAULT_ENGINE") != "":
		name = c.getenv("MONEYPENNY_VAULT_ENGINE")
		why = "engine chosen by MONEYPENNY_VAULT_ENGINE=" + name
	case fc.Engine != "":
		name, why = fc.Engine, "engine chosen in "+fc.path
	default:
		name, why = EngineKeyring, "engine auto-detected"
	}
	e, note, err := c.openEngine(ctx, name, fc)
	if err != nil {
		return nil, err
	}
	if note != "" {
		why += "; " + note
	}
	return c.vault(e, why), nil
}

// openEngine opens the named engine.
func (c *config) openEngine(ctx context.Context, name string, fc *fileConfig) (Engine, string, error) {
	switch name {
	case EngineKeyring, EngineSingleEntry:
		kr, note, err := c.openKeyring(ctx, fc)
		if err != nil {
			return nil, "", err
		}
		if name == EngineKeyring {
			return NewKeyringEngine(kr.Store()), note, nil
		}
		app := c.app
		if app == "" {
			app = c.getenv("MONEYPENNY_VAULT_APP")
		}
		if app == "" {
			app = fc.SingleEntry.App
		}
		if app == "" {
			app = DefaultApp
		}
		e, err := OpenSingleEntry(kr.Store(), app)
		if err != nil {
			kr.Close()
			return nil, "", err
		}
		return e, note, nil
	case EngineEnv:
		prefix := c.envPrefix
		if prefix == "" {
			prefix = c.getenv("MONEYPENNY_VAULT_ENV_PREFIX")
		}
		if prefix == "" {
			prefix = fc.Env.Prefix
		}
		environ := c.environ
		if !c.environGiven {
			environ = osEnviron()
		}
		return NewEnvEngine(prefix, environ, c.maxValue), "", nil
	}
	if f, ok := c.factories[name]; ok {
		e, err := f(ctx, fc.sections[name], c.getenv)
		if err != nil {
			return nil, "", fmt.Errorf("vault: engine %s: %w", name, err)
		}
		return e, "", nil
	}
	known := []string{EngineKeyring, EngineSingleEntry, EngineEnv}
	for n := range c.factories {
		known = append(known, n)
	}
	sort.Strings(known[3:])
	return nil, "", fmt.Errorf("vault: unknown engine %s (want one of %s): %w", safeQuote(name), strings.Join(known, ", "), secret.ErrInvalidArgument)
}

// openKeyring opens the keyring under the keyring engines and checks the
// auto-detection marker when the backend was detected.
func (c *config) openKeyring(ctx context.Context, fc *fileConfig) (*keyring.Keyring, string, error) {
	opts := []keyring.Option{keyring.WithEnv(c.getenv)}
	chosen := c.backend != "" || c.getenv("MONEYPENNY_BACKEND") != "" || c.explicitKeyring
	if c.backend == "" && c.getenv("MONEYPENNY_BACKEND") == "" && fc.Keyring.Backend != "" {
		opts = append(opts, keyring.WithBackend(fc.Keyring.Backend))
		chosen = true
	}
	if fc.Keyring.Path != "" && c.getenv("MONEYPENNY_KEYRING") == "" {
		opts = append(opts, keyring.WithPath(fc.Keyring.Path))
	}
	if fc.Keyring.Collection != "" {
		opts = append(opts, keyring.WithCollection(fc.Keyring.Collection))
	}
	opts = append(opts, c.keyringOpts...)
	if c.backend != "" {
		opts = append(opts, keyring.WithBackend(c.backend))
	}
	kr, err := keyring.Open(ctx, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("vault: %w", err)
	}
	note := kr.Backend().Note
	if chosen {
		return kr, note, nil
	}
	mnote, err := c.checkMarker(kr.Backend())
	if err != nil {
		kr.Close()
		return nil, "", err
	}
	return kr, note + "; " + mnote, nil
}
