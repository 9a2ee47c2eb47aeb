package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/internal/gcrprompt"
	"github.com/moneypenny-go/keyring/provider"
	"github.com/moneypenny-go/keyring/secret"
)

// credentialName is the systemd credential the unit passes the password in
// (LoadCredential=moneypenny.keyring-password:… or LoadCredentialEncrypted=).
const credentialName = "moneypenny.keyring-password"

// initialPassword returns the password given without asking anybody:
// MONEYPENNY_PASSWORD, the first line of --password-fd, then the systemd
// credential. nil, nil when there is none.
// An empty password is refused unless --allow-empty-password says so, as
// for every verb.
func (c *cli) initialPassword(ctx context.Context) ([]byte, error) {
	pw, err := c.servePassword(ctx)
	if err == nil && pw != nil && len(pw) == 0 && !c.allowEmpty() {
		return nil, fmt.Errorf("the keyring password given is empty (pass --allow-empty-password to accept that)")
	}
	return pw, err
}

func (c *cli) servePassword(ctx context.Context) ([]byte, error) {
	// MONEYPENNY_PASSWORD wins, as for every verb.
	if pw, ok := c.lookupEnv(envPassword); ok {
		return []byte(pw), nil
	}
	if c.g.passwordFD >= 0 {
		// The first line, as every verb reads --password-fd.
		pw, err := readPasswordFD(ctx, c.g.passwordFD)
		if err != nil {
			return nil, fmt.Errorf("read the password from --password-fd %d: %w", c.g.passwordFD, err)
		}
		return pw, nil
	}
	if dir := c.io.getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		f, err := os.Open(filepath.Join(dir, credentialName))
		if err == nil {
			defer f.Close()
			return readBoundedPassword(f, "the credential "+credentialName)
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read the credential %s: %w", credentialName, err)
		}
	}
	return nil, nil
}

func readBoundedPassword(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPasswordLen+1))
	if err != nil {
		return nil, fmt.Errorf("read the password from %s: %w", what, err)
	}
	if len(b) > maxPasswordLen {
		return nil, fmt.Errorf("the password from %s is longer than %d bytes", what, maxPasswordLen)
	}
	return trimNewline(b), nil
}

// trimNewline drops one trailing "\n" (or "\r\n"), as files and askpass
// programs end their line.
func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// askFunc asks a person for a password; a refusal wraps keyring.ErrDismissed.
type askFunc func(ctx context.Context, prompt string) ([]byte, error)

// prompter picks how unlock passwords are asked for later, as --prompter
// says: auto takes gcr's system prompter if one runs (or can be started in
// a session with a display), as gnome-keyring does, else an askpass
// program if the session names one, else the terminal if there is one.
// nil means nobody can be asked.
func (c *cli) prompter(conn *dbus.Conn) (askFunc, string, error) {
	hasDisplay := c.io.getenv("DISPLAY") != "" || c.io.getenv("WAYLAND_DISPLAY") != ""
	gcrAvailable := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return gcrprompt.Available(ctx, conn, hasDisplay)
	}
	askpass := c.io.getenv("MONEYPENNY_ASKPASS")
	if askpass == "" {
		askpass = c.io.getenv("SSH_ASKPASS")
	}
	hasTTY := func() bool {
		f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return false
		}
		f.Close()
		return true
	}
	switch c.serve.prompter {
	case "auto":
		switch {
		case gcrAvailable():
			return gcrPrompter(conn), "gcr " + gcrprompt.Name, nil
		case askpass != "":
			return askpassPrompter(askpass), "askpass " + askpass, nil
		case hasTTY():
			return ttyPrompter, "terminal", nil
		}
		return nil, "none", nil
	case "gcr":
		return gcrPrompter(conn), "gcr " + gcrprompt.Name, nil
	case "askpass":
		if askpass == "" {
			return nil, "", usageError{"--prompter=askpass needs MONEYPENNY_ASKPASS or SSH_ASKPASS"}
		}
		return askpassPrompter(askpass), "askpass " + askpass, nil
	case "terminal":
		return ttyPrompter, "terminal", nil
	case "none":
		return nil, "none", nil
	}
	return nil, "", usageError{fmt.Sprintf("unknown --prompter %q (auto, gcr, askpass, terminal, none)", c.serve.prompter)}
}

// gcrPrompter shows gcr's "Unlock Keyring" dialog, as gnome-keyring does,
// parented to the window the client named in Prompt(window_id).
func gcrPrompter(conn *dbus.Conn) askFunc {
	return func(ctx context.Context, prompt string) ([]byte, error) {
		return gcrprompt.Password(ctx, conn, gcrprompt.Prompt{
			Title: "Unlock Keyring", Message: "Authentication required",
			Description: strings.TrimSuffix(strings.TrimSpace(prompt), ":"), ContinueLabel: "Unlock",
			CallerWindow: provider.WindowID(ctx),
		})
	}
}

func ttyPrompter(ctx context.Context, prompt string) ([]byte, error) {
	b, err := promptTTY(ctx, prompt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", keyring.ErrDismissed, err)
	}
	return b, nil
}

// askpassPrompter runs an SSH_ASKPASS-style program: the prompt is its only
// argument, the password its standard output; a non-zero exit is a
// cancelled dialog.
func askpassPrompter(program string) askFunc {
	return func(ctx context.Context, prompt string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, program, prompt)
		var out bytes.Buffer
		cmd.Stdout = &limitedWriter{w: &out, n: maxPasswordLen + 1}
		cmd.Stderr = io.Discard
		err := cmd.Run()
		b := out.Bytes()
		if err != nil {
			secret.Wipe(b)
			return nil, fmt.Errorf("%s: %w", program, keyring.ErrDismissed)
		}
		if len(b) > maxPasswordLen {
			secret.Wipe(b)
			return nil, fmt.Errorf("%s printed more than %d bytes", program, maxPasswordLen)
		}
		pw := append([]byte(nil), trimNewline(b)...)
		secret.Wipe(b)
		return pw, nil
	}
}

type limitedWriter struct {
	w io.Writer
	n int
}

// Write keeps at most n bytes and claims the rest written, so that the
// program is not killed by a broken pipe for printing too much.
func (l *limitedWriter) Write(p []byte) (int, error) {
	keep := p
	if len(keep) > l.n {
		keep = keep[:l.n]
	}
	l.n -= len(keep)
	if _, err := l.w.Write(keep); err != nil {
		return 0, err
	}
	return len(p), nil
}
