package vault

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/moneypenny-go/keyring"
)

// Engine names, as accepted by WithEngineName, MONEYPENNY_VAULT_ENGINE and
// the config file.
const (
	EngineKeyring     = "keyring"
	EngineSingleEntry = "single-entry"
	EngineEnv         = "env"
)

// Factory opens an engine by name for Open: the hook through which engines
// in other packages (HashiCorp Vault, AWS Secrets Manager) are chosen by
// WithEngineName, MONEYPENNY_VAULT_ENGINE or the config file. section is the
// engine's own object of the config file ("vault": {"<name>": {...}}), nil
// when there is none; getenv is the environment Open was given.
type Factory func(ctx context.Context, section json.RawMessage, getenv func(string) string) (Engine, error)

// Option configures Open (and, for WithMaxValueSize and WithClock, New).
type Option func(*config)

type config struct {
	engine        Engine
	engineName    string
	getenv        func(string) string
	environ       []string
	configFile    string
	stateDir      string
	keyringOpts   []keyring.Option
	backend       string
	app           string
	envPrefix     string
	maxValue      int
	now           func() time.Time
	factories     map[string]Factory
	environGiven  bool
	configFileSet bool
	maxValueSet   bool
	// explicitKeyring: the keyring options name the store (WithExplicitKeyring).
	explicitKeyring bool
}

// osEnviron is the process environment, read when the env engine opens.
func osEnviron() []string { return os.Environ() }

func newConfig(opts []Option) *config {
	c := &config{getenv: os.Getenv, maxValue: DefaultMaxValueSize, now: time.Now, factories: map[string]Factory{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *config) vault(e Engine, note string) *Vault {
	return &Vault{engine: e, maxValue: c.maxValue, now: c.now, note: note}
}

// WithEngine makes Open use e, which the caller opened, instead of choosing.
func WithEngine(e Engine) Option { return func(c *config) { c.engine = e } }

// WithEngineName chooses the engine by name (EngineKeyring,
// EngineSingleEntry, EngineEnv, or one added with WithEngineFactory),
// overriding MONEYPENNY_VAULT_ENGINE and the config file: the CLI's
// --engine flag.
func WithEngineName(name string) Option { return func(c *config) { c.engineName = name } }

// WithEngineFactory adds an engine Open can choose by name.
func WithEngineFactory(name string, f Factory) Option {
	return func(c *config) { c.factories[name] = f }
}

// WithEnv replaces os.Getenv for everything Open reads from the environment
// (MONEYPENNY_VAULT_ENGINE, MONEYPENNY_VAULT_APP, MONEYPENNY_VAULT_ENV_PREFIX,
// XDG_CONFIG_HOME, XDG_STATE_HOME, HOME, MONEYPENNY_BACKEND,
// MONEYPENNY_KEYRING); it is passed on to keyring.Open.
func WithEnv(getenv func(string) string) Option { return func(c *config) { c.getenv = getenv } }

// WithEnviron gives the env engine its variables (KEY=VALUE strings)
// instead of os.Environ().
func WithEnviron(environ []string) Option {
	return func(c *config) { c.environ = environ; c.environGiven = true }
}

// WithConfigFile reads the configuration from path instead of
// $XDG_CONFIG_HOME/moneypenny/config.json. A file given this way must exist.
func WithConfigFile(path string) Option {
	return func(c *config) { c.configFile = path; c.configFileSet = true }
}

// WithStateDir keeps the auto-detection marker in dir instead of
// $XDG_STATE_HOME/moneypenny.
func WithStateDir(dir string) Option { return func(c *config) { c.stateDir = dir } }

// WithKeyringOptions passes options to keyring.Open for the keyring and
// single-entry engines (a file keyring's path and password, a bus address,
// the unlock cache). Choose the backend with WithKeyringBackend rather than
// keyring.WithBackend, so that Open knows it was chosen rather than detected.
func WithKeyringOptions(opts ...keyring.Option) Option {
	return func(c *config) { c.keyringOpts = append(c.keyringOpts, opts...) }
}

// WithKeyringBackend chooses the keyring backend of the keyring and
// single-entry engines (keyring.File, keyring.SecretService, ...),
// overriding MONEYPENNY_BACKEND and the config file. A chosen backend is not
// checked against the auto-detection marker.
func WithKeyringBackend(name string) Option { return func(c *config) { c.backend = name } }

// WithExplicitKeyring says that the keyring options name the store (a
// collection, a file), so Open does not check the detected backend against
// the marker: the CLI's --collection, --keyring and --app-id.
func WithExplicitKeyring() Option { return func(c *config) { c.explicitKeyring = true } }

// WithApp names the single-entry engine's item (default "moneypenny").
func WithApp(name string) Option { return func(c *config) { c.app = name } }

// WithEnvPrefix sets the env engine's variable prefix (default
// MONEYPENNY_SECRET_; SideSeat deployments use SIDESEAT_SECRET_).
func WithEnvPrefix(prefix string) Option { return func(c *config) { c.envPrefix = prefix } }

// WithMaxValueSize caps values at n bytes instead of DefaultMaxValueSize.
func WithMaxValueSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxValue, c.maxValueSet = n, true
		}
	}
}

// WithClock replaces time.Now for timestamps and expiry (tests, and
// programs that keep their own clock).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }
