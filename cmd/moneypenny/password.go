package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/term"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/secret"
)

// Where the command's passwords come from, and what it says when one is
// missing, empty or wrong. Every message names the input to fix.
//
// The file keyring's password is supplied by MONEYPENNY_PASSWORD or
// --password-fd N, or else asked for on the terminal. A supplied password is
// always checked by key derivation; the unlock cache only spares the prompt.
// change-password takes the new password from MONEYPENNY_NEW_PASSWORD and
// migrate --from-file the imported file's from MONEYPENNY_SOURCE_PASSWORD,
// each falling back to the terminal. Passwords are never taken from argv.

// passwordsHelp is the usage text's account of the password inputs.
const passwordsHelp = `passwords (never in argv; an empty one needs --allow-empty-password or MONEYPENNY_ALLOW_EMPTY_PASSWORD=1):
  file keyring             MONEYPENNY_PASSWORD, else the first line of --password-fd N, else asked on the
                           terminal (twice when the keyring is created); the unlock cache spares only the prompt
  change-password          current: as above, always checked; new: MONEYPENNY_NEW_PASSWORD, else asked twice
  migrate --from-file      the imported file's: MONEYPENNY_SOURCE_PASSWORD, else asked on the terminal
`

func termIsTerminal(fd int) bool { return term.IsTerminal(fd) }

// maxPasswordLen bounds what --password-fd and the prompt read, so a wrong
// descriptor pointing at a huge file fails instead of filling memory.
const maxPasswordLen = 64 << 10

// The environment variables that carry passwords or password policy.
const (
	envPassword       = "MONEYPENNY_PASSWORD"
	envNewPassword    = "MONEYPENNY_NEW_PASSWORD"
	envSourcePassword = "MONEYPENNY_SOURCE_PASSWORD"
	envAllowEmpty     = "MONEYPENNY_ALLOW_EMPTY_PASSWORD"
)

// fromPrompt names the terminal prompt as a password's source.
const fromPrompt = "the password typed at the terminal"

// passwords is what one invocation has read of the keyring's password: the
// supplied one, read once (a descriptor cannot be read twice), or the one
// typed at the prompt, so that change-password can verify it by key
// derivation without asking again.
type passwords struct {
	read     bool
	pw       []byte // nil: none supplied or typed yet
	from     string // where pw came from, for messages
	supplied bool   // pw came from MONEYPENNY_PASSWORD or --password-fd
}

func (p *passwords) wipe() {
	secret.Wipe(p.pw)
	p.pw = nil
}

// lookupEnv is os.LookupEnv on the command's environment: an empty variable
// is a value (refused unless empty passwords are allowed), not an absence.
func (c *cli) lookupEnv(name string) (string, bool) {
	if c.io.lookupEnv != nil {
		return c.io.lookupEnv(name)
	}
	v := c.io.getenv(name)
	return v, v != ""
}

// allowEmpty is the explicit opt-in to empty passwords.
func (c *cli) allowEmpty() bool {
	return c.g.allowEmptyPassword || c.io.getenv(envAllowEmpty) == "1"
}

// checkEmpty refuses an empty password from the input named from, unless the
// user opted in.
func (c *cli) checkEmpty(pw []byte, from string) error {
	if len(pw) == 0 && !c.allowEmpty() {
		return fmt.Errorf("%s is empty; an empty password needs --allow-empty-password or %s=1: %w",
			from, envAllowEmpty, keyring.ErrInvalidArgument)
	}
	return nil
}

// usesPassword reports whether the keyring this invocation opens takes a
// password: only the file backend does, and it is never chosen without being
// asked for (--app-id's file is keyed by the app's portal secret).
func (c *cli) usesPassword() bool {
	return c.requestedBackend() == keyring.File && c.g.appID == ""
}

// suppliedPassword returns the keyring password given without a prompt:
// MONEYPENNY_PASSWORD, else one line of --password-fd N. It is nil when
// neither was given. The result belongs to c.pw.
func (c *cli) suppliedPassword(ctx context.Context) ([]byte, string, error) {
	if c.pw.read {
		if c.pw.supplied {
			return c.pw.pw, c.pw.from, nil
		}
		return nil, "", nil
	}
	c.pw.read = true
	var (
		pw   []byte
		from string
	)
	if v, ok := c.lookupEnv(envPassword); ok {
		pw, from = []byte(v), envPassword
	} else if fd := c.g.passwordFD; fd >= 0 {
		from = fmt.Sprintf("--password-fd %d", fd)
		b, err := readPasswordFD(ctx, fd)
		if err != nil {
			return nil, "", fmt.Errorf("read the password from %s: %w", from, err)
		}
		pw, from = b, "the password on "+from
	} else {
		return nil, "", nil
	}
	if err := c.checkEmpty(pw, from); err != nil {
		return nil, "", err
	}
	c.pw.pw, c.pw.from, c.pw.supplied = pw, from, true
	return pw, from, nil
}

// errNoTerminal is the prompt's answer when there is no terminal to ask on.
var errNoTerminal = errors.New("there is no terminal to ask on")

// noKeyringPassword explains a prompt that could not ask.
func noKeyringPassword(err error) error {
	if errors.Is(err, errNoTerminal) {
		return fmt.Errorf("no password for the file keyring: %s is not set, no --password-fd N was given, and %w: %w",
			envPassword, errNoTerminal, keyring.ErrLocked)
	}
	return err
}

// promptKeyringPassword asks for an existing keyring's password.
func (c *cli) promptKeyringPassword(ctx context.Context) ([]byte, error) {
	pw, err := promptTTY(ctx, "Password for the keyring: ")
	if err != nil {
		return nil, noKeyringPassword(err)
	}
	return c.keepPrompted(pw)
}

// promptNewKeyringPassword asks twice for the password of a keyring that
// does not exist yet: a typo would lock the user out of what they store.
func (c *cli) promptNewKeyringPassword(ctx context.Context) ([]byte, error) {
	pw, err := c.askTwice(ctx, "Password for the new keyring: ", "Repeat the password: ", "nothing was created")
	if err != nil {
		return nil, noKeyringPassword(err)
	}
	return c.keepPrompted(pw)
}

// keepPrompted checks a typed keyring password and keeps a copy for
// change-password; the caller (filekeyring) wipes the one it is given.
func (c *cli) keepPrompted(pw []byte) ([]byte, error) {
	if err := c.checkEmpty(pw, fromPrompt); err != nil {
		secret.Wipe(pw)
		return nil, err
	}
	c.pw.wipe()
	c.pw.pw, c.pw.from, c.pw.supplied = append([]byte(nil), pw...), fromPrompt, false
	return pw, nil
}

// currentPassword is the keyring password change-password verifies: the one
// supplied or already typed, else asked for now. The result belongs to c.pw.
func (c *cli) currentPassword(ctx context.Context) ([]byte, string, error) {
	if c.pw.pw != nil {
		return c.pw.pw, c.pw.from, nil
	}
	pw, err := promptTTY(ctx, "Current password for the keyring: ")
	if err != nil {
		if errors.Is(err, errNoTerminal) {
			return nil, "", fmt.Errorf("change-password needs the current password: %s is not set, no --password-fd N was given, and %w",
				envPassword, errNoTerminal)
		}
		return nil, "", err
	}
	if _, err := c.keepPrompted(pw); err != nil {
		return nil, "", err
	}
	secret.Wipe(pw)
	return c.pw.pw, c.pw.from, nil
}

// newPassword reads change-password's new password: MONEYPENNY_NEW_PASSWORD,
// or twice on the terminal.
func (c *cli) newPassword(ctx context.Context) ([]byte, error) {
	if v, ok := c.lookupEnv(envNewPassword); ok {
		pw := []byte(v)
		if err := c.checkEmpty(pw, envNewPassword); err != nil {
			return nil, err
		}
		return pw, nil
	}
	pw, err := c.askTwice(ctx, "New password: ", "Repeat the new password: ", "the password was not changed")
	if errors.Is(err, errNoTerminal) {
		return nil, fmt.Errorf("no new password: %s is not set and %w", envNewPassword, errNoTerminal)
	}
	if err != nil {
		return nil, err
	}
	if err := c.checkEmpty(pw, "the new password typed at the terminal"); err != nil {
		return nil, err
	}
	return pw, nil
}

// sourcePassword reads the password of the file migrate --from-file
// imports: MONEYPENNY_SOURCE_PASSWORD, or a prompt on the terminal.
func (c *cli) sourcePassword(ctx context.Context) ([]byte, string, error) {
	if v, ok := c.lookupEnv(envSourcePassword); ok {
		pw := []byte(v)
		if err := c.checkEmpty(pw, envSourcePassword); err != nil {
			return nil, "", err
		}
		return pw, envSourcePassword, nil
	}
	pw, err := promptTTY(ctx, "Password for "+c.fromFile+": ")
	if errors.Is(err, errNoTerminal) {
		return nil, "", fmt.Errorf("no password for %s: %s is not set and %w", c.fromFile, envSourcePassword, errNoTerminal)
	}
	if err != nil {
		return nil, "", err
	}
	from := "the password for " + c.fromFile + " typed at the terminal"
	if err := c.checkEmpty(pw, from); err != nil {
		return nil, "", err
	}
	return pw, from, nil
}

// askTwice reads a password being chosen twice on the terminal; a mismatch
// is an error that says what did not happen.
func (c *cli) askTwice(ctx context.Context, first, again, consequence string) ([]byte, error) {
	a, err := promptTTY(ctx, first)
	if err != nil {
		return nil, err
	}
	b, err := promptTTY(ctx, again)
	if err != nil {
		secret.Wipe(a)
		return nil, err
	}
	defer secret.Wipe(b)
	if string(a) != string(b) {
		secret.Wipe(a)
		return nil, fmt.Errorf("the two passwords typed at the terminal do not match; %s", consequence)
	}
	return a, nil
}

// wrongPassword names the input behind a wrong password; an error that
// already names one is left alone.
func wrongPassword(err error, from string) error {
	var named wrongInputError
	if from == "" || !errors.Is(err, keyring.ErrWrongPassword) || errors.As(err, &named) {
		return err
	}
	return wrongInputError{from: from, err: err}
}

// wrongInputError is a wrong password with the input it came from.
type wrongInputError struct {
	from string
	err  error
}

func (e wrongInputError) Error() string { return e.from + " is wrong: " + e.err.Error() }
func (e wrongInputError) Unwrap() error { return e.err }

// promptTTY asks on /dev/tty with echo off, so it works even when stdin
// carries the secret being stored. Without a terminal it fails with
// errNoTerminal, which the caller turns into a message naming the inputs
// that could have supplied the password instead.
func promptTTY(ctx context.Context, prompt string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errNoTerminal
	}
	defer tty.Close()
	return readHidden(ctx, tty, tty, prompt)
}

// interruptedError is a signal that ended a password prompt. The terminal
// is back as it was; the command exits as the signal asked, with 128+signal.
type interruptedError struct{ sig os.Signal }

func (e interruptedError) Error() string { return "interrupted (" + e.sig.String() + ")" }

func (e interruptedError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFailure
}

// promptSignals end a hidden prompt with the terminal restored. They are
// caught only while a prompt waits: everywhere else the default (exit at
// once) is right, since every write is an atomic rename and a lost bus
// connection ends any prompt the service showed; catching them from the
// start would cost every run two extra threads (os/signal locks one to an
// OS thread). Ctrl-\ (SIGQUIT) matters as much as Ctrl-C: Go's default for
// it dumps the goroutines and exits with the terminal still typing blind.
var promptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// readSecretInput reads the secret to store: every byte of stdin when it is
// piped (as secret-tool does, newlines kept), or a hidden line when stdin is
// a terminal.
func (c *cli) readSecretInput(ctx context.Context) ([]byte, error) {
	if isTerminal(c.io.stdin) {
		return readHidden(ctx, c.io.stdin.(*os.File), c.io.stderr, "Password: ")
	}
	b, err := io.ReadAll(c.io.stdin)
	if err != nil {
		return nil, fmt.Errorf("read secret from stdin: %w", err)
	}
	return b, nil
}
