package keyring

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/moneypenny-go/keyring/portal"
	"github.com/moneypenny-go/keyring/secret"
)

// Open opens the keyring the environment calls for. The first rule that
// applies wins:
//
//  1. WithBackend, then the MONEYPENNY_BACKEND variable: that backend or an
//     error, never a silent substitute;
//  2. inside a Flatpak or Snap sandbox whose Secrets portal reports version 1:
//     the libsecret-compatible file keyring keyed by the portal secret (if the
//     sandbox has no Secrets portal at all, the host Secret Service when it is
//     reachable, noted in Backend().Note);
//  3. macOS: the Keychain; Windows: the Credential Manager;
//  4. a Linux host with a reachable Secret Service: its "default" collection;
//  5. otherwise an error wrapping ErrUnavailable that lists each backend and
//     why it was rejected.
func Open(ctx context.Context, opts ...Option) (*Keyring, error) {
	c := newConfig(opts)
	if c.appID != "" {
		return c.openAppKeyring(ctx)
	}
	if name, why := c.requested(); name != "" {
		return c.openNamed(ctx, name, why)
	}
	var rejected []string
	for _, cand := range c.candidates(ctx) {
		if cand.skip != "" {
			rejected = append(rejected, cand.name+": "+cand.skip)
			continue
		}
		kr, err := c.openNamed(ctx, cand.name, cand.why)
		if err == nil {
			return kr, nil
		}
		if !errors.Is(err, secret.ErrUnavailable) || ctx.Err() != nil {
			return nil, err
		}
		rejected = append(rejected, cand.name+": "+err.Error())
	}
	for _, name := range backendNames {
		if !c.considered(name) {
			rejected = append(rejected, name+": "+c.notAutomatic(name))
		}
	}
	return nil, &UnavailableError{Reasons: rejected}
}

// UnavailableError is returned by Open when no backend can be used. It wraps
// ErrUnavailable and lists, per backend, why it was rejected.
type UnavailableError struct {
	Reasons []string
}

func (e *UnavailableError) Error() string {
	return "keyring: no usable backend:\n  " + strings.Join(e.Reasons, "\n  ") +
		"\n  (choose one with MONEYPENNY_BACKEND=file and MONEYPENNY_PASSWORD, or MONEYPENNY_BACKEND=keyctl)"
}

func (e *UnavailableError) Unwrap() error { return secret.ErrUnavailable }

// requested returns the backend named by option or environment, if any.
func (c *config) requested() (name, why string) {
	if c.backend != "" {
		return c.backend, "chosen with WithBackend"
	}
	if v := c.getenv("MONEYPENNY_BACKEND"); v != "" {
		return v, "chosen by MONEYPENNY_BACKEND=" + v
	}
	return "", ""
}

// candidate is one step of automatic detection.
type candidate struct {
	name string // backend to open
	why  string // why detection picked it, for Backend().Note
	skip string // non-empty: rejected without trying, and why
}

const portalFile = "portal-file" // the file backend keyed by the portal secret

// candidates returns automatic detection's steps, in order.
func (c *config) candidates(ctx context.Context) []candidate {
	sb := portal.DetectSandboxIn(c.root, c.getenv)
	var (
		v   uint32
		err error
	)
	if sb.Sandboxed() {
		v, err = portal.Version(ctx, c.portalOpts()...)
	}
	return candidatesFor(sb, v, err)
}

// candidatesFor returns automatic detection's steps, in order, for a
// sandbox detection result and, when sb is sandboxed, the portal's answer to
// portal.Version (v and err are ignored otherwise).
func candidatesFor(sb portal.Sandbox, v uint32, err error) []candidate {
	var out []candidate
	if sb.Sandboxed() {
		switch {
		case err == nil && v == 1:
			return append(out, candidate{name: portalFile, why: fmt.Sprintf("sandboxed (%s): Secrets portal version 1", sb.Reason)})
		case err == nil:
			out = append(out, candidate{name: portalFile, skip: fmt.Sprintf("sandboxed (%s) but the Secrets portal reports version %d, not 1", sb.Reason, v)})
			out = append(out, candidate{name: SecretService, why: fmt.Sprintf("sandboxed (%s) but the Secrets portal is version %d: using the host Secret Service as libsecret does", sb.Reason, v)})
		case errors.Is(err, portal.ErrNoPortal):
			out = append(out, candidate{name: portalFile, skip: fmt.Sprintf("sandboxed (%s) but %v", sb.Reason, err)})
			out = append(out, candidate{name: SecretService, why: fmt.Sprintf("sandboxed (%s) but no Secrets portal: using the host Secret Service", sb.Reason)})
		default:
			// The portal exists but failed: hiding that behind a fallback
			// would put the app's secrets somewhere else than libsecret does.
			return append(out, candidate{name: portalFile, why: "sandboxed (" + sb.Reason + ")"})
		}
		return out
	}
	switch runtime.GOOS {
	case "darwin":
		return []candidate{{name: Keychain, why: "macOS"}}
	case "windows":
		return []candidate{{name: CredentialManager, why: "Windows"}}
	}
	return []candidate{{name: SecretService, why: "Linux host with a Secret Service"}}
}

func (c *config) considered(name string) bool {
	switch name {
	case SecretService:
		return runtime.GOOS != "darwin" && runtime.GOOS != "windows"
	case Keychain:
		return runtime.GOOS == "darwin"
	case CredentialManager:
		return runtime.GOOS == "windows"
	}
	return false
}

func (c *config) notAutomatic(name string) string {
	switch name {
	case File:
		return "used only when asked for (MONEYPENNY_BACKEND=file with a password)"
	case Keyctl:
		return "used only when asked for (MONEYPENNY_BACKEND=keyctl); not persistent across reboots"
	case Keychain:
		return "only on macOS"
	case CredentialManager:
		return "only on Windows"
	case SecretService:
		return "only on Linux and other Unix hosts"
	}
	return "unknown"
}

// sessionBus is the session bus address: WithBusAddress, else
// DBUS_SESSION_BUS_ADDRESS from the configured environment. It is never
// autolaunched.
func (c *config) sessionBus() string {
	if c.busAddress != "" {
		return c.busAddress
	}
	return c.getenv("DBUS_SESSION_BUS_ADDRESS")
}

func (c *config) portalOpts() []portal.Option {
	return []portal.Option{portal.WithAddress(c.busOrDisabled())}
}

// busOrDisabled never lets a backend fall back to the process environment
// behind WithEnv's back: no configured bus means no bus.
func (c *config) busOrDisabled() string {
	if a := c.sessionBus(); a != "" {
		return a
	}
	return "disabled:"
}

// openNamed opens one backend by name.
func (c *config) openNamed(ctx context.Context, name, why string) (*Keyring, error) {
	var (
		st  secret.Store
		err error
	)
	switch name {
	case File:
		st, err = c.openFile(ctx)
	case portalFile:
		st, err = c.openPortalFile(ctx)
	case SecretService:
		st, err = c.openSecretService(ctx)
	case Keyctl:
		st, err = c.openKeyctl(ctx)
	case Keychain:
		st, err = openKeychain(ctx)
	case CredentialManager:
		st, err = openCredentialManager(ctx)
	default:
		return nil, fmt.Errorf("keyring: unknown backend %q (want one of %s): %w",
			name, strings.Join(backendNames, ", "), secret.ErrInvalidArgument)
	}
	if err != nil {
		return nil, err
	}
	info := st.Info()
	info.Note = why
	return &Keyring{store: st, info: info}, nil
}

// dataHome is $XDG_DATA_HOME, falling back to ~/.local/share as GLib's
// g_get_user_data_dir does. It is read at call time, never cached.
func (c *config) dataHome() (string, error) {
	if d := c.getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home := c.getenv("HOME")
	if home == "" {
		return "", fmt.Errorf("keyring: neither XDG_DATA_HOME nor HOME is set: %w", secret.ErrUnavailable)
	}
	return filepath.Join(home, ".local", "share"), nil
}

// DefaultFilePath returns the host's default file keyring path,
// $XDG_DATA_HOME/moneypenny/default.keyring. It is deliberately not
// gnome-keyring's own keyrings/ directory, whose login.keyring shares the
// file magic but not the format.
func DefaultFilePath() (string, error) { return newConfig(nil).defaultFilePath() }

func (c *config) defaultFilePath() (string, error) {
	d, err := c.dataHome()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "moneypenny", "default.keyring"), nil
}
