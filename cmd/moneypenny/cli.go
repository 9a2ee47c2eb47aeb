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

// usageError is a mistake on the command line: exit 2 with the usage of
// the command it was made in.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errQuiet exits 1 without a message (lookup or clear found nothing).
var errQuiet = errors.New("no match")

// exitCode ends the program with this status and no message: `run` passes
// its child's on.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// globals are the options every verb accepts, before or after it.
type globals struct {
	backend       string
	keyringPath   string
	passwordFD    int
	collection    string
	appID         string
	noUnlockCache bool
	timeout       time.Duration
	version       bool

	allowEmptyPassword bool
}

// register adds the global options to fs. A `name` in backquotes is the
// value's placeholder in the help (flag.UnquoteUsage).
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.backend, "backend", g.backend, "use backend `NAME`: secret-service, file, keyctl, keychain, credential-manager (or MONEYPENNY_BACKEND)")
	fs.StringVar(&g.keyringPath, "keyring", g.keyringPath, "file keyring at `PATH` (or MONEYPENNY_KEYRING)")
	fs.IntVar(&g.passwordFD, "password-fd", g.passwordFD, "read the file keyring password from the first line of file descriptor `N` (MONEYPENNY_PASSWORD wins)")
	fs.StringVar(&g.collection, "collection", g.collection, "Secret Service collection `ALIAS` or object path (default: the \"default\" alias)")
	fs.StringVar(&g.appID, "app-id", g.appID, "open the keyring of the Flatpak app `ID` from the host")
	fs.BoolVar(&g.noUnlockCache, "no-unlock-cache", g.noUnlockCache, "do not cache the file keyring's derived key in the kernel keyring (or MONEYPENNY_UNLOCK_CACHE=0)")
	fs.BoolVar(&g.allowEmptyPassword, "allow-empty-password", g.allowEmptyPassword, "accept an empty password (or MONEYPENNY_ALLOW_EMPTY_PASSWORD=1)")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "give up after `DURATION` (default 2m; prompts count)")
	fs.BoolVar(&g.version, "version", g.version, "print the version and exit")
}

// cli holds one invocation's state.
type cli struct {
	io ioEnv
	g  globals
	pw passwords // the keyring password as read (password.go)
	// table is the verb table (commands()); path is the command being run
	// in it: the verb, then its sub-verb if any.
	table []*command
	path  []*command
	// verb flags
	label    string
	all      bool
	unlock   bool
	json     bool
	dryRun   bool
	keep     bool
	replace  bool
	fromFile string
	vault    vaultOptions // vault, read, run, inject (vault_verbs.go)
	serve    serveOptions
}

func jsonFlag(fs *flag.FlagSet, c *cli) { fs.BoolVar(&c.json, "json", false, "print JSON") }

func storeFlags(fs *flag.FlagSet, c *cli) {
	fs.StringVar(&c.label, "label", "", "the item's `LABEL`, shown by keyring managers (required)")
}

func searchFlags(fs *flag.FlagSet, c *cli) {
	fs.BoolVar(&c.all, "all", false, "print every match, not just the first")
	fs.BoolVar(&c.unlock, "unlock", false, "unlock locked items (may prompt)")
	jsonFlag(fs, c)
}

func migrateFlags(fs *flag.FlagSet, c *cli) {
	fs.BoolVar(&c.dryRun, "dry-run", false, "report what would move, change nothing")
	fs.BoolVar(&c.keep, "keep", false, "keep the host items (copy instead of move)")
	fs.BoolVar(&c.replace, "replace", false, "replace items already in the file keyring")
	fs.StringVar(&c.fromFile, "from-file", "", "import the keyring file at `PATH` instead of the host service (password: MONEYPENNY_SOURCE_PASSWORD or a prompt)")
	jsonFlag(fs, c)
}

// run is the whole program; it returns the exit status.
//
// The global options are parsed up to the verb; then the verb's own options
// are added and the rest is parsed, options anywhere (parseOptions). A verb
// with sub-verbs repeats this one level down.
func run(ctx context.Context, args []string, env ioEnv) int {
	return runTable(ctx, commands(), args, env)
}

// runTable is run with the verb table given, for tests of the machinery.
func runTable(ctx context.Context, table []*command, args []string, env ioEnv) int {
	c := &cli{io: env, g: globals{passwordFD: -1, timeout: 2 * time.Minute}, table: table}
	defer c.pw.wipe()
	fs := flag.NewFlagSet("moneypenny", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.g.register(fs)
	for {
		rest, err := parseOptions(fs, args, true)
		if code, done := c.parseOutcome(err); done {
			return code
		}
		if len(rest) == 0 {
			if len(c.path) == 0 {
				return c.usage("")
			}
			return c.usage("missing sub-command")
		}
		cmd := lookupCommand(table, rest[0])
		if cmd == nil {
			return c.usage(fmt.Sprintf("unknown command %q", rest[0]))
		}
		c.path = append(c.path, cmd)
		if cmd.flags != nil {
			cmd.flags(fs, c)
		}
		args = rest[1:]
		if len(cmd.subs) == 0 {
			break
		}
		table = cmd.subs
	}
	operands, err := parseOptions(fs, args, false)
	if code, done := c.parseOutcome(err); done {
		return code
	}
	cmd := c.path[len(c.path)-1]
	ctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	defer cancel()
	err = cmd.run(ctx, c, operands)
	var (
		ue usageError
		ie interruptedError
		ec exitCode
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errQuiet):
		return exitFailure
	case errors.As(err, &ec):
		return int(ec)
	case errors.As(err, &ue):
		return c.usage(ue.msg)
	case errors.As(err, &ie):
		fmt.Fprintf(env.stderr, "moneypenny: %s\n", ie)
		return ie.exitCode()
	default:
		// A wrong password met after Open (a file re-keyed meanwhile) is
		// the keyring password's too.
		fmt.Fprintf(env.stderr, "moneypenny: %s\n", explain(wrongPassword(err, c.pw.from)))
		return exitFailure
	}
}

// parseOutcome handles what parseOptions returned besides operands: --help
// and --version end the program with 0, a mistake with the usage.
func (c *cli) parseOutcome(err error) (code int, done bool) {
	var ue usageError
	switch {
	case errors.Is(err, errHelp):
		writeHelp(c.io.stdout, c.table, c.path)
		return exitOK, true
	case errors.As(err, &ue):
		return c.usage(ue.msg), true
	case err != nil:
		return c.usage(err.Error()), true
	case c.g.version:
		fmt.Fprintf(c.io.stdout, "moneypenny %s\n", version())
		return exitOK, true
	}
	return 0, false
}

// usage reports a mistake on the command line: the message, then the
// usage of the command it was made in (all of it before a verb), on stderr;
// exit 2.
func (c *cli) usage(msg string) int {
	if msg != "" {
		fmt.Fprintf(c.io.stderr, "moneypenny: %s\n", msg)
	}
	writeUsage(c.io.stderr, c.table, c.path)
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
	// Refused here too, not only when a backend writes, so a query that no
	// item can match (lookup, clear, search) says why instead of finding
	// nothing: the Secret Service and the file format hold UTF-8 only.
	if err := attrs.Validate(); err != nil {
		return nil, usageError{err.Error()}
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
	opts, from, err := c.keyringOptions(ctx)
	if err != nil {
		return nil, err
	}
	kr, err := keyring.Open(ctx, append(opts, extra...)...)
	if err != nil {
		return nil, c.namePasswordInput(err, from)
	}
	return kr, nil
}

// keyringOptions are open's options: the selection, the app keyring, the
// unlock cache and the password inputs; from names the input a supplied
// password came from, for namePasswordInput.
func (c *cli) keyringOptions(ctx context.Context) ([]keyring.Option, string, error) {
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
			return nil, "", err
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
	return opts, from, nil
}

// namePasswordInput names, in a wrong-password error of an open with
// keyringOptions, the input the password came from (from, else the prompt).
func (c *cli) namePasswordInput(err error, from string) error {
	if from == "" {
		from = c.pw.from // typed at the prompt
	}
	return wrongPassword(err, from)
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
