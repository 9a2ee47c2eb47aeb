package testpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// LibsecretAttemptTimeout bounds one run of secret-tool inside a fake
// Flatpak; see Flatpak.SecretTool. A healthy run takes well under a second.
const LibsecretAttemptTimeout = 5 * time.Second

// libsecretAttempts is how often SecretTool tries before it gives up.
const libsecretAttempts = 5

// SecretTool runs libsecret's secret-tool inside the sandbox with stdin as
// its input and returns what it printed on stdout; it gives up when the
// test's context ends. A failure's error
// includes stderr and wraps the *exec.ExitError, so callers can check the
// exit code (lookup of nothing: 1).
//
// It works around a race in libsecret 0.20.5 (Debian 12) that has nothing to
// do with the code under test: its portal client subscribes to the
// Request.Response signal only after RetrieveSecret has returned, and when
// xdg-desktop-portal answers quickly enough (on a loaded machine, often) the
// signal arrives first and secret-tool waits for ever. Each attempt therefore
// gets LibsecretAttemptTimeout, and a hung attempt is killed and run again, up
// to five times. secret-tool's verbs are idempotent (store replaces the item
// with the same attributes), so a retry changes nothing else.
func (f *Flatpak) SecretTool(t testing.TB, stdin string, args ...string) (string, error) {
	t.Helper()
	Need(t, "secret-tool") // the sandbox shares the host's /usr
	ctx := t.Context()
	var lastErr error
	for range libsecretAttempts {
		out, hung, err := f.secretToolOnce(ctx, stdin, args)
		if !hung {
			return out, err
		}
		lastErr = err
		t.Logf("testpeer: secret-tool %s in %s: %v; retrying (libsecret's portal race)", strings.Join(args, " "), f.AppID, err)
		if ctx.Err() != nil {
			break
		}
	}
	return "", fmt.Errorf("secret-tool %s in %s hung %d times (libsecret's portal race?): %w",
		strings.Join(args, " "), f.AppID, libsecretAttempts, lastErr)
}

// secretToolOnce runs secret-tool once; hung reports that the attempt's
// timeout, not ctx, ended it.
func (f *Flatpak) secretToolOnce(ctx context.Context, stdin string, args []string) (out string, hung bool, err error) {
	attempt, cancel := context.WithTimeout(ctx, LibsecretAttemptTimeout)
	defer cancel()
	cmd := f.Command(attempt, append([]string{"secret-tool"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = time.Second // do not wait on pipes a killed sandbox left open
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if attempt.Err() != nil && ctx.Err() == nil {
		return "", true, errors.New("no answer within " + LibsecretAttemptTimeout.String())
	}
	if err != nil {
		return stdout.String(), false, fmt.Errorf("secret-tool %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), false, nil
}
