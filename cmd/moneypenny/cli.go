package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/moneypenny-go/keyring"
)

// ioEnv is the process's outside world, passed in so tests can run the CLI
// in-process.
type ioEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// lookupEnv tells an empty variable from an unset one; nil falls back
	// to getenv, where empty means unset.
	lookupEnv func(string) (string, bool)
}

// Exit codes, as secret-tool's.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake on the command line: exit 2 with the usage text.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errQuiet exits 1 without a message (lookup or clear found nothing).
var errQuiet = errors.New("no match")

const usageText = `usage: moneypenny store --label='label' attribute value ...
       moneypenny lookup attribute value ...
       moneypenny clear attribute value ...
       moneypenny search [--all] [--unlock] [--json] attribute value ...
       moneypenny lock
       moneypenny unlock
       moneypenny list [--json]
       moneypenny repair
       moneypenny change-password
       moneypenny migrate [--dry-run] [--keep] [--replace] [--from-file PATH] [--json] attribute value ...
       moneypenny diagnose [--json]
global options (before or after the verb):
       --backend NAME       secret-service, file, keyctl, keychain, credential-manager (or MONEYPENNY_BACKEND)
       --keyring PATH       file keyring path (or MONEYPENNY_KEYRING)
       --password-fd N      read the file keyring password from the first line of file descriptor N
       --allow-empty-password  accept an empty password (or MONEYPENNY_ALLOW_EMPTY_PASSWORD=1)
       --collection ALIAS   Secret Service collection (default: the "default" alias)
       --app-id ID          open a Flatpak app's keyring from the host
       --no-unlock-cache    do not cache the file keyring's derived key in the kernel keyring
       --timeout DURATION   give up after this long (default 2m; prompts count)
passwords (never in argv):
       file keyring         MONEYPENNY_PASSWORD, else --password-fd N, else asked on the terminal
                            (twice when the keyring is created); a warm unlock cache spares only the prompt
       change-password      current: as above, always checked; new: MONEYPENNY_NEW_PASSWORD, else asked twice
       migrate --from-file  the imported file's: MONEYPENNY_SOURCE_PASSWORD, else asked on the terminal
`

// globals are the options every verb accepts.
type globals struct {
	backend       string
	keyringPath   string
	passwordFD    int
	collection    string
	appID         string
	noUnlockCache bool
	timeout       time.Duration

	allowEmptyPassword bool
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.backend, "backend", g.backend, "backend name")
	fs.StringVar(&g.keyringPath, "keyring", g.keyringPath, "file keyring path")
	fs.IntVar(&g.passwordFD, "password-fd", g.passwordFD, "read the password from this file descriptor")
	fs.StringVar(&g.collection, "collection", g.collection, "Secret Service collection alias or path")
	fs.StringVar(&g.appID, "app-id", g.appID, "Flatpak app id")
	fs.BoolVar(&g.noUnlockCache, "no-unlock-cache", g.noUnlockCache, "do not cache the derived key")
	fs.BoolVar(&g.allowEmptyPassword, "allow-empty-password", g.allowEmptyPassword, "accept an empty password")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "overall timeout")
}

// verb is one subcommand.
type verb struct {
	run func(ctx context.Context, c *cli, args []string) error
	// flags registers the verb's own flags.
	flags func(fs *flag.FlagSet, c *cli)
}

// cli holds one invocation's state.
type cli struct {
	io ioEnv
	g  globals
	pw passwords // the keyring password as read (password.go)
	// verb flags
	label    string
	all      bool
	unlock   bool
	json     bool
	dryRun   bool
	keep     bool
	replace  bool
	fromFile string
}

var verbs = map[string]verb{
	"store":           {run: cmdStore, flags: func(fs *flag.FlagSet, c *cli) { fs.StringVar(&c.label, "label", "", "label") }},
	"lookup":          {run: cmdLookup},
	"search":          {run: cmdSearch, flags: searchFlags},
	"clear":           {run: cmdClear},
	"lock":            {run: cmdLock},
	"unlock":          {run: cmdUnlock},
	"list":            {run: cmdList, flags: jsonFlag},
	"repair":          {run: cmdRepair},
	"change-password": {run: cmdChangePassword},
	"migrate":         {run: cmdMigrate, flags: migrateFlags},
	"diagnose":        {run: cmdDiagnose, flags: jsonFlag},
	portalSecretVerb:  {run: cmdPortalSecret},
}

// portalSecretVerb is internal: --app-id runs it inside a bubblewrap
// sandbox to ask the Secrets portal for the app's secret (appsecret_linux.go).
const portalSecretVerb = "__portal-secret"

func jsonFlag(fs *flag.FlagSet, c *cli) { fs.BoolVar(&c.json, "json", false, "JSON output") }

func searchFlags(fs *flag.FlagSet, c *cli) {
	fs.BoolVar(&c.all, "all", false, "all results, not just the first")
	fs.BoolVar(&c.unlock, "unlock", false, "unlock locked items")
	jsonFlag(fs, c)
}

func migrateFlags(fs *flag.FlagSet, c *cli) {
	fs.BoolVar(&c.dryRun, "dry-run", false, "report, change nothing")
	fs.BoolVar(&c.keep, "keep", false, "keep the host items")
	fs.BoolVar(&c.replace, "replace", false, "replace items already in the file")
	fs.StringVar(&c.fromFile, "from-file", "", "import this keyring file instead of the host service")
	jsonFlag(fs, c)
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, env ioEnv) int {
	c := &cli{io: env, g: globals{passwordFD: -1, timeout: 2 * time.Minute}}
	defer c.pw.wipe()
	pre := flag.NewFlagSet("moneypenny", flag.ContinueOnError)
	pre.SetOutput(io.Discard)
	c.g.register(pre)
	if err := pre.Parse(args); err != nil {
		return c.usage(err.Error())
	}
	rest := pre.Args()
	if len(rest) == 0 {
		return c.usage("")
	}
	name := rest[0]
	if name == "help" || name == "--help" || name == "-h" {
		fmt.Fprint(env.stdout, usageText)
		return exitOK
	}
	v, ok := verbs[name]
	if !ok {
		return c.usage(fmt.Sprintf("unknown command %q", name))
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.g.register(fs)
	if v.flags != nil {
		v.flags(fs, c)
	}
	if err := fs.Parse(rest[1:]); err != nil {
		return c.usage(err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	defer cancel()
	err := v.run(ctx, c, fs.Args())
	var (
		ue usageError
		ie interruptedError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errQuiet):
		return exitFailure
	case errors.As(err, &ue):
		return c.usage(ue.msg)
	case errors.As(err, &ie):
		fmt.Fprintf(env.stderr, "moneypenny: %s\n", ie)
		return ie.exitCode()
	default:
		fmt.Fprintf(env.stderr, "moneypenny: %s\n", explain(err))
		return exitFailure
	}
}

func (c *cli) usage(msg string) int {
	if msg != "" {
		fmt.Fprintf(c.io.stderr, "moneypenny: %s\n", msg)
	}
	fmt.Fprint(c.io.stderr, usageText)
	return exitUsage
}

// explain turns an error into one message with a hint where the user can act.
func explain(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, keyring.ErrDismissed):
		msg += " (the prompt was cancelled)"
	case errors.Is(err, keyring.ErrUnavailable):
		var ue *keyring.UnavailableError
		if !errors.As(err, &ue) {
			msg += "\n  (run `moneypenny diagnose`; choose a backend with --backend or MONEYPENNY_BACKEND)"
		}
	case errors.Is(err, context.DeadlineExceeded):
		msg += " (timed out; raise --timeout)"
	}
	return msg
}

// attrPairs parses "name value name value ...".
func attrPairs(args []string, need bool) (keyring.Attributes, error) {
	if len(args)%2 != 0 {
		return nil, usageError{"must specify attribute and value pairs"}
	}
	if need && len(args) == 0 {
		return nil, usageError{"must specify attribute and value pairs"}
	}
	attrs := keyring.Attributes{}
	for i := 0; i < len(args); i += 2 {
		if args[i] == "" {
			return nil, usageError{"attribute names must not be empty"}
		}
		attrs[args[i]] = args[i+1]
	}
	return attrs, nil
}

// selection is what the flags and environment say about which keyring:
// the options open and diagnose share.
func (c *cli) selection() []keyring.Option {
	opts := []keyring.Option{keyring.WithEnv(c.io.getenv)}
	if c.g.backend != "" {
		opts = append(opts, keyring.WithBackend(c.g.backend))
	}
	if c.g.keyringPath != "" {
		opts = append(opts, keyring.WithPath(c.g.keyringPath))
	}
	if c.g.collection != "" {
		opts = append(opts, keyring.WithCollection(c.g.collection))
	}
	return opts
}

// open opens the keyring the flags and environment select.
func (c *cli) open(ctx context.Context, extra ...keyring.Option) (*keyring.Keyring, error) {
	opts := c.selection()
	if c.g.appID != "" {
		opts = append(opts, keyring.WithAppID(c.g.appID), keyring.WithAppSecretFunc(appSecretViaSandbox(c.io.getenv)))
	}
	if !c.g.noUnlockCache && c.io.getenv("MONEYPENNY_UNLOCK_CACHE") != "0" {
		opts = append(opts, keyring.WithUnlockCache(unlockCacheTTL))
	}
	var from string
	if c.usesPassword() {
		pw, src, err := c.suppliedPassword(ctx)
		if err != nil {
			return nil, err
		}
		if pw != nil {
			opts = append(opts, keyring.WithPassword(pw))
		}
		from = src
	}
	if c.allowEmpty() {
		opts = append(opts, keyring.WithAllowEmptyPassword())
	}
	opts = append(opts, keyring.WithPasswordFunc(c.promptKeyringPassword), keyring.WithNewPasswordFunc(c.promptNewKeyringPassword))
	opts = append(opts, extra...)
	kr, err := keyring.Open(ctx, opts...)
	if err != nil {
		if from == "" {
			from = c.pw.from // typed at the prompt
		}
		return nil, wrongPassword(err, from)
	}
	return kr, nil
}

// unlockCacheTTL is how long the CLI keeps a file keyring's derived key in
// the kernel keyring: long enough for a burst of commands in one shell, short
// enough that a forgotten terminal does not stay unlocked for the day.
const unlockCacheTTL = 5 * time.Minute

// warnIfVolatile prints keyctl's one-line warning before a write.
func (c *cli) warnIfVolatile(kr *keyring.Keyring) {
	if info := kr.Backend(); !info.Persistent {
		fmt.Fprintf(c.io.stderr, "moneypenny: warning: the %s backend is not persistent: this secret will be gone after a reboot\n", info.Name)
	}
}

// isTerminal reports whether stream (an io.Reader or io.Writer of c.io) is
// an *os.File open on a terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && termIsTerminal(int(f.Fd()))
}
