package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/moneypenny-go/keyring"
)

func termIsTerminal(fd int) bool { return term.IsTerminal(fd) }

// maxPasswordLen bounds what --password-fd reads, so a wrong descriptor
// pointing at a huge file fails instead of filling memory.
const maxPasswordLen = 64 << 10

// passwordFunc returns the file keyring's password source, in order:
// MONEYPENNY_PASSWORD (scripts, CI), --password-fd N, a hidden prompt on the
// controlling terminal. Never argv.
func (c *cli) passwordFunc(prompt string) func(context.Context) ([]byte, error) {
	read := false
	return func(ctx context.Context) ([]byte, error) {
		if pw := c.io.getenv("MONEYPENNY_PASSWORD"); pw != "" {
			return []byte(pw), nil
		}
		if c.g.passwordFD >= 0 {
			if read {
				return nil, errors.New("the password from --password-fd was already used")
			}
			read = true
			f := os.NewFile(uintptr(c.g.passwordFD), "password-fd")
			if f == nil {
				return nil, fmt.Errorf("--password-fd %d is not open", c.g.passwordFD)
			}
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, maxPasswordLen+1))
			if err != nil {
				return nil, fmt.Errorf("read password from fd %d: %w", c.g.passwordFD, err)
			}
			if len(b) > maxPasswordLen {
				return nil, fmt.Errorf("password on fd %d is longer than %d bytes", c.g.passwordFD, maxPasswordLen)
			}
			return trimOneNewline(b), nil
		}
		return promptTTY(ctx, prompt)
	}
}

// promptTTY asks on /dev/tty with echo off, so it works even when stdin
// carries the secret being stored.
func promptTTY(ctx context.Context, prompt string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("no password: set MONEYPENNY_PASSWORD, pass --password-fd N, or run on a terminal: %w", keyring.ErrUnavailable)
	}
	defer tty.Close()
	return readHidden(ctx, tty, tty, prompt)
}

// readHidden prints prompt to out and reads a line from the terminal in
// with echo off. Ctrl-C or SIGTERM while it waits ends the read with the
// context's error and the terminal as it was: without that, an interrupted
// prompt would leave the shell typing blind. This is the only place the
// command catches signals; everywhere else the default (exit at once) is
// right, since every write is an atomic rename and a lost bus connection
// ends any prompt the service showed. Catching them from the start would
// cost every run two extra threads (os/signal locks one to an OS thread).
func readHidden(ctx context.Context, in *os.File, out io.Writer, prompt string) ([]byte, error) {
	fd := int(in.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprint(out, prompt)
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		fmt.Fprintln(out)
		return r.b, r.err
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(out)
		return nil, ctx.Err()
	}
}

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
