package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/dpapi"
	"github.com/moneypenny-go/keyring/vault/hcvault"
)

// vaultOptions are the options of the vault verbs (and read, run, inject).
type vaultOptions struct {
	engine    string
	app       string
	envPrefix string
	provider  string
	expires   string
	noMasking bool
	envFile   string
	in, out   string
}

// vaultEngineFlags are the options that choose and configure the engine.
func vaultEngineFlags(fs *flag.FlagSet, c *cli) {
	fs.StringVar(&c.vault.engine, "engine", "", "vault engine `NAME`: keyring, single-entry, env, dpapi-file, hcvault (or MONEYPENNY_VAULT_ENGINE, or the config file)")
	fs.StringVar(&c.vault.app, "app", "", "the single-entry engine's item `NAME` (or MONEYPENNY_VAULT_APP; default moneypenny)")
	fs.StringVar(&c.vault.envPrefix, "env-prefix", "", "the env engine's variable `PREFIX` (or MONEYPENNY_VAULT_ENV_PREFIX; default MONEYPENNY_SECRET_)")
}

const vaultDetails = "The engine is --engine, else MONEYPENNY_VAULT_ENGINE, else \"engine\" in\n" +
	"$XDG_CONFIG_HOME/moneypenny/config.json, else the keyring engine on the detected keyring\n" +
	"(--backend and MONEYPENNY_BACKEND choose that keyring). A path is SCOPE/NAME, such as\n" +
	"global/jwt_signing_key or org/acme/openai_api_key; segments are [A-Za-z0-9._-], 128 bytes at most.\n" +
	"--engine hcvault keeps the secrets in HashiCorp Vault KV v2: VAULT_ADDR, MONEYPENNY_VAULT_TOKEN or\n" +
	"VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, or the \"hcvault\" object of the config file."

func vaultCommand() *command {
	return &command{
		name:    "vault",
		summary: "Keep named, scoped application secrets with metadata and expiry.",
		details: vaultDetails,
		example: "printf %s \"$KEY\" | moneypenny vault set --provider openai --expires 90d org/acme/openai_api_key",
		flags:   vaultEngineFlags,
		subs: []*command{
			{
				name:     "set",
				synopsis: "[--provider NAME] [--expires 90d|DATE] PATH",
				summary:  "Store the secret read from stdin (or a hidden prompt) at PATH, keeping its creation time.",
				details: "Piped stdin is read whole, less one trailing newline; on a terminal one hidden line is read.\n" +
					"--expires takes a duration (90d, 12h, 2w) or a date (2027-03-01, or RFC 3339).",
				example: "printf %s \"$KEY\" | moneypenny vault set --provider openai --expires 90d org/acme/openai_api_key",
				flags:   vaultSetFlags,
				run:     cmdVaultSet,
			},
			{
				name:     "get",
				synopsis: "[--json] PATH",
				summary:  "Print the secret at PATH (--json: with its metadata).",
				details:  "Missing or expired: a message on stderr, exit 1. A newline follows the secret only on a terminal.",
				example:  "moneypenny vault get org/acme/openai_api_key",
				flags:    jsonFlag,
				run:      cmdVaultGet,
			},
			{
				name:     "list",
				synopsis: "[--json] [SCOPE]",
				summary:  "List the secrets in SCOPE and below (all without SCOPE): metadata only, never values.",
				example:  "moneypenny vault list --json org/acme",
				flags:    jsonFlag,
				run:      cmdVaultList,
			},
			{
				name:     "rm",
				synopsis: "PATH",
				summary:  "Delete the secret at PATH (exit 1 if there is none).",
				example:  "moneypenny vault rm org/acme/openai_api_key",
				run:      cmdVaultRm,
			},
			{
				name:     "exists",
				synopsis: "PATH",
				summary:  "Exit 0 if a secret (expired or not) is stored at PATH, 1 if not; print nothing.",
				example:  "moneypenny vault exists org/acme/openai_api_key && echo present",
				run:      cmdVaultExists,
			},
			{
				name:     "info",
				synopsis: "[--json]",
				summary:  "Say which engine is in use, where, and why it was chosen.",
				example:  "moneypenny vault info",
				flags:    jsonFlag,
				run:      cmdVaultInfo,
			},
		},
	}
}

func vaultSetFlags(fs *flag.FlagSet, c *cli) {
	fs.StringVar(&c.vault.provider, "provider", "", "record whose credential this is (`NAME`, e.g. openai)")
	fs.StringVar(&c.vault.expires, "expires", "", "expire after `WHEN`: a duration (90d, 12h, 2w) or a date (2027-03-01, RFC 3339)")
}

// openVault opens the vault the flags, environment and config file choose.
func (c *cli) openVault(ctx context.Context) (*vault.Vault, error) {
	kopts, from, err := c.keyringOptions(ctx)
	if err != nil {
		return nil, err
	}
	// dpapi-file is Windows only; elsewhere choosing it fails with ErrNotSupported.
	opts := []vault.Option{vault.WithEnv(c.io.getenv), vault.WithKeyringOptions(kopts...), dpapi.Register(), hcvault.Register()}
	if c.vault.engine != "" {
		opts = append(opts, vault.WithEngineName(c.vault.engine))
	}
	if c.g.backend != "" {
		opts = append(opts, vault.WithKeyringBackend(c.g.backend))
	}
	if c.g.collection != "" || c.g.keyringPath != "" || c.g.appID != "" {
		opts = append(opts, vault.WithExplicitKeyring())
	}
	if c.vault.app != "" {
		opts = append(opts, vault.WithApp(c.vault.app))
	}
	if c.vault.envPrefix != "" {
		opts = append(opts, vault.WithEnvPrefix(c.vault.envPrefix))
	}
	v, err := vault.Open(ctx, opts...)
	if err != nil {
		return nil, c.namePasswordInput(err, from)
	}
	return v, nil
}

// onePath parses the single PATH operand.
func onePath(args []string) (vault.Path, error) {
	if len(args) != 1 {
		return vault.Path{}, usageError{"expected one PATH (scope/name)"}
	}
	p, err := vault.ParsePath(args[0])
	if err != nil {
		return vault.Path{}, usageError{err.Error()}
	}
	return p, nil
}

func cmdVaultSet(ctx context.Context, c *cli, args []string) error {
	if len(args) > 1 {
		// Other users can read a command line: the secret never goes there.
		return usageError{"expected only PATH: the secret is read from stdin or a hidden prompt, never from the command line"}
	}
	p, err := onePath(args)
	if err != nil {
		return err
	}
	var opts []vault.SetOption
	if c.vault.provider != "" {
		opts = append(opts, vault.WithProvider(c.vault.provider))
	}
	if c.vault.expires != "" {
		at, err := parseExpiry(c.vault.expires, time.Now())
		if err != nil {
			return usageError{err.Error()}
		}
		opts = append(opts, vault.ExpiresAt(at))
	}
	v, err := c.openVault(ctx)
	if err != nil {
		return err
	}
	defer v.Close()
	if info := v.Info(); info.ReadOnly {
		// Say so before asking for a secret that cannot be kept.
		return fmt.Errorf("vault set %s: the %s engine (%s) is read-only: %w", p, info.Engine, info.Location, secret.ErrReadOnly)
	}
	var b []byte
	if f, ok := c.io.stdin.(*os.File); ok && isTerminal(f) {
		b, err = readHidden(ctx, f, c.io.stderr, "Secret for "+p.String()+": ")
	} else {
		b, err = c.readSecretInput(ctx)
	}
	if err != nil {
		return err
	}
	defer secret.Wipe(b)
	if len(trimOneNewline(b)) == 0 {
		// Almost always a mistake (an unset variable, </dev/null).
		return fmt.Errorf("vault set %s: the secret is empty (nothing on stdin): %w", p, secret.ErrInvalidArgument)
	}
	val := secret.New(trimOneNewline(b))
	if info := v.Info(); !info.Persistent {
		fmt.Fprintf(c.io.stderr, "moneypenny: warning: the %s engine (%s) is not persistent: this secret will be gone after a reboot\n", info.Engine, info.Backend)
	}
	return v.Set(ctx, p, val, opts...)
}

// parseExpiry reads --expires: a duration with d (days) and w (weeks) units
// besides Go's (90d, 12h, 1w2d), or a date (2006-01-02, midnight UTC) or
// an RFC 3339 time.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	d, err := parseLongDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("--expires %q: want a positive duration (90d, 12h, 2w) or a date (2027-03-01, RFC 3339)", s)
	}
	return now.Add(d), nil
}

// parseLongDuration is time.ParseDuration with d = 24h and w = 7d.
func parseLongDuration(s string) (time.Duration, error) {
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		if i == 0 || i == j {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		unit := rest[i:j]
		if unit != "d" && unit != "w" {
			d, err := time.ParseDuration(rest[:j])
			if err != nil {
				return 0, err
			}
			total += d
			rest = rest[j:]
			continue
		}
		n, err := strconv.ParseInt(rest[:i], 10, 32)
		if err != nil {
			return 0, err
		}
		day := 24 * time.Hour
		if unit == "w" {
			day *= 7
		}
		total += time.Duration(n) * day
		rest = rest[j:]
	}
	return total, nil
}

// secretJSON is `vault get --json`'s output: the metadata and the value
// (as text when it is UTF-8, else base64 in value_base64).
type secretJSON struct {
	vault.Metadata
	Value       *string `json:"value,omitempty"`
	ValueBase64 []byte  `json:"value_base64,omitempty"`
}

// onVaultPath runs f on the vault with the PATH operand: the shape of get,
// rm and exists.
func (c *cli) onVaultPath(ctx context.Context, args []string, f func(v *vault.Vault, p vault.Path) error) error {
	p, err := onePath(args)
	if err != nil {
		return err
	}
	v, err := c.openVault(ctx)
	if err != nil {
		return err
	}
	defer v.Close()
	return f(v, p)
}

func cmdVaultGet(ctx context.Context, c *cli, args []string) error {
	return c.onVaultPath(ctx, args, func(v *vault.Vault, p vault.Path) error {
		s, err := v.Get(ctx, p)
		if err != nil {
			return err
		}
		defer s.Wipe()
		if c.json {
			return writeSecretJSON(c, s)
		}
		return c.printSecret(s.Value.Bytes())
	})
}

// writeSecretJSON prints one secret as JSON. The encoder's copy of the
// value cannot be wiped; --json is for scripts that asked for it.
func writeSecretJSON(c *cli, s *vault.Secret) error {
	out := secretJSON{Metadata: s.Metadata}
	if b := s.Value.Bytes(); isText(b) {
		str := string(b)
		out.Value = &str
	} else {
		out.ValueBase64 = b
	}
	return writeJSON(c.io.stdout, out)
}

func isText(b []byte) bool {
	return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) && !strings.ContainsRune(string(b), 0)
}

// printSecret writes a value as lookup does: a newline only on a terminal.
func (c *cli) printSecret(b []byte) error {
	if _, err := c.io.stdout.Write(b); err != nil {
		return err
	}
	if isTerminal(c.io.stdout) {
		fmt.Fprintln(c.io.stdout)
	}
	return nil
}

func cmdVaultList(ctx context.Context, c *cli, args []string) error {
	if len(args) > 1 {
		return usageError{"expected at most one SCOPE"}
	}
	scope := ""
	if len(args) == 1 {
		scope = strings.TrimSuffix(args[0], "/")
		if err := vault.ValidateScope(scope); err != nil {
			return usageError{err.Error()}
		}
	}
	v, err := c.openVault(ctx)
	if err != nil {
		return err
	}
	defer v.Close()
	list, err := v.List(ctx, scope)
	if err != nil {
		return err
	}
	if c.json {
		if list == nil {
			list = []vault.Metadata{}
		}
		return writeJSON(c.io.stdout, list)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(c.io.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tPROVIDER\tEXPIRES\tUPDATED")
	for _, m := range list {
		exp := "-"
		if !m.ExpiresAt.IsZero() {
			exp = m.ExpiresAt.Format(time.RFC3339)
			if m.Expired(now) {
				exp += " (expired)"
			}
		}
		upd := "-"
		if !m.UpdatedAt.IsZero() {
			upd = m.UpdatedAt.Format(time.RFC3339)
		}
		prov := m.Provider
		if prov == "" {
			prov = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Path, prov, exp, upd)
	}
	return tw.Flush()
}

func cmdVaultRm(ctx context.Context, c *cli, args []string) error {
	return c.onVaultPath(ctx, args, func(v *vault.Vault, p vault.Path) error { return v.Delete(ctx, p) })
}

func cmdVaultExists(ctx context.Context, c *cli, args []string) error {
	return c.onVaultPath(ctx, args, func(v *vault.Vault, p vault.Path) error {
		ok, err := v.Exists(ctx, p)
		if err != nil {
			return err
		}
		if !ok {
			return errQuiet
		}
		return nil
	})
}

func cmdVaultInfo(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usageError{"info takes no operands"}
	}
	v, err := c.openVault(ctx)
	if err != nil {
		return err
	}
	defer v.Close()
	out := struct {
		vault.Info
		Health string `json:"health,omitempty"`
	}{Info: v.Info()}
	// A failing check is reported, never fatal: the engine may still work.
	switch err := v.HealthCheck(ctx); {
	case errors.Is(err, secret.ErrNotSupported):
	case err != nil:
		out.Health = err.Error()
	default:
		out.Health = "ok"
	}
	info := out.Info
	if c.json {
		return writeJSON(c.io.stdout, out)
	}
	if out.Health != "" {
		defer fmt.Fprintf(c.io.stdout, "health:     %s\n", out.Health)
	}
	fmt.Fprintf(c.io.stdout, "engine:     %s\n", info.Engine)
	if info.Backend != "" {
		fmt.Fprintf(c.io.stdout, "backend:    %s\n", info.Backend)
	}
	fmt.Fprintf(c.io.stdout, "location:   %s\npersistent: %t\nread-only:  %t\nwhy:        %s\n", info.Location, info.Persistent, info.ReadOnly, info.Note)
	return nil
}

func readCommand() *command {
	return &command{
		name:     "read",
		synopsis: "vault://SCOPE/NAME",
		summary:  "Print the secret a vault:// reference names.",
		details:  vaultDetails,
		example:  "moneypenny read vault://org/acme/openai_api_key",
		flags:    vaultEngineFlags,
		run:      cmdRead,
	}
}

func cmdRead(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usageError{"expected one reference, vault://scope/name"}
	}
	if _, err := vault.Parse(args[0]); err != nil {
		return usageError{err.Error()}
	}
	v, err := c.openVault(ctx)
	if err != nil {
		return err
	}
	defer v.Close()
	val, err := v.Resolve(ctx, args[0])
	if err != nil {
		return err
	}
	defer val.Wipe()
	return c.printSecret(val.Bytes())
}

// trimOneNewline drops one trailing "\n" or "\r\n": what echo and a
// here-string add to a piped secret.
func trimOneNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
