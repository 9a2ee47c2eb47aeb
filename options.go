package keyring

import (
	"context"
	"os"
	"time"
)

// Backend names, as accepted by WithBackend and MONEYPENNY_BACKEND.
const (
	SecretService     = "secret-service"
	File              = "file"
	Keyctl            = "keyctl"
	Keychain          = "keychain"
	CredentialManager = "credential-manager"
)

// Backends lists every backend name in the order Diagnose reports them.
var backendNames = []string{SecretService, File, Keyctl, Keychain, CredentialManager}

// Option configures Open and Diagnose.
type Option func(*config)

type config struct {
	backend       string
	path          string
	password      []byte // non-nil once WithPassword was given, even if empty
	allowEmpty    bool
	passwordFunc  func(context.Context) ([]byte, error)
	newPwFunc     func(context.Context) ([]byte, error)
	collection    string
	autoUnlock    bool
	windowID      string
	busAddress    string
	unlockCache   time.Duration
	userKeyring   bool
	appID         string
	appSecretFunc func(ctx context.Context, appID string) (*Secret, error)
	readOnly      bool
	getenv        func(string) string
	root          string
}

func newConfig(opts []Option) *config {
	c := &config{autoUnlock: true, getenv: os.Getenv, root: "/"}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithBackend forces a backend by name (SecretService, File, Keyctl,
// Keychain, CredentialManager), overriding MONEYPENNY_BACKEND and detection.
func WithBackend(name string) Option { return func(c *config) { c.backend = name } }

// WithPath sets the file keyring's path (default: MONEYPENNY_KEYRING, else
// $XDG_DATA_HOME/keyrings/default.keyring inside a sandbox and
// $XDG_DATA_HOME/moneypenny/default.keyring on a host).
func WithPath(path string) Option { return func(c *config) { c.path = path } }

// WithPassword sets the file keyring's password. Open copies it; the caller
// may wipe its slice afterwards. A password given this way (or through
// MONEYPENNY_PASSWORD) is always checked by deriving the key from it, even
// when the unlock cache holds the key. An empty one is refused with
// ErrInvalidArgument unless WithAllowEmptyPassword is given.
func WithPassword(pw []byte) Option {
	return func(c *config) { c.password = append(make([]byte, 0, len(pw)), pw...) }
}

// WithAllowEmptyPassword accepts an empty file keyring password. Without it
// an empty password, from WithPassword or the password function, fails with
// ErrInvalidArgument: it is far more often an unset variable or a stray
// Enter than a choice.
func WithAllowEmptyPassword() Option { return func(c *config) { c.allowEmpty = true } }

// WithPasswordFunc supplies the file keyring's password on demand, like a
// prompt: at Open when no password was given (WithPassword,
// MONEYPENNY_PASSWORD) and the unlock cache has no key, and at Unlock after a
// Lock. A CLI passes a terminal prompt here; the library itself never
// prompts.
func WithPasswordFunc(f func(ctx context.Context) ([]byte, error)) Option {
	return func(c *config) { c.passwordFunc = f }
}

// WithNewPasswordFunc supplies the password of a file keyring that does not
// exist yet, in place of the WithPasswordFunc function: the password is being
// chosen, so a terminal prompt should ask twice. Without it the password
// function is asked in both cases.
func WithNewPasswordFunc(f func(ctx context.Context) ([]byte, error)) Option {
	return func(c *config) { c.newPwFunc = f }
}

// WithCollection selects a Secret Service collection by alias ("default",
// "session", "login") or object path. The default is the "default" alias.
func WithCollection(aliasOrPath string) Option { return func(c *config) { c.collection = aliasOrPath } }

// WithAutoUnlock controls whether a locked Secret Service collection or item
// is unlocked through the service's prompt (the default, as libsecret's
// password API does) or reported as ErrLocked.
func WithAutoUnlock(on bool) Option { return func(c *config) { c.autoUnlock = on } }

// WithWindowID passes the caller's window identifier to Secret Service
// prompts so the dialog is attached to the app's window.
func WithWindowID(id string) Option { return func(c *config) { c.windowID = id } }

// WithBusAddress connects to this D-Bus session bus address instead of
// $DBUS_SESSION_BUS_ADDRESS. A bus is never autolaunched.
func WithBusAddress(addr string) Option { return func(c *config) { c.busAddress = addr } }

// WithUnlockCache lets the file keyring cache its derived key (never the
// password) in the kernel keyring for d, readable only by the owning uid, so
// that repeated short-lived processes skip the password function (the
// prompt) and the key derivation. The entry lives in the session keyring, or
// in the user keyring when the process has no session keyring of its own
// (see package keyctl), and is keyed by the file's path and salt.
//
// The cache stands in only for a missing password: a password that is
// supplied (WithPassword, MONEYPENNY_PASSWORD) is always checked by deriving
// the key from it, so a wrong one fails with ErrWrongPassword whether or not
// the cache is warm. No cheaper verifier of the password is stored, since
// it would be an equally cheap way to guess the password for anyone who can
// read the entry (see filekeyring.WithKeyCache). Changing the password (here
// or in another process) changes the salt, so the old entry stops applying;
// ChangePassword and Lock drop it. Zero turns the cache off (the default for
// the library; the CLI turns it on).
func WithUnlockCache(d time.Duration) Option { return func(c *config) { c.unlockCache = d } }

// WithUserKeyring makes the keyctl backend keep its items in the user
// keyring (shared by every process of the user until reboot) rather than the
// session keyring (this process tree only).
func WithUserKeyring() Option { return func(c *config) { c.userKeyring = true } }

// WithAppID opens, from the host, the file keyring of the Flatpak app id:
// ~/.var/app/ID/data/keyrings/default.keyring keyed by the app's portal
// secret, which is read from the host Secret Service. For backup, inspection
// and repair of a sandboxed app's secrets. Open rejects an id that is not a
// valid Flatpak application id (see portal.ValidAppID) with an error wrapping
// ErrInvalidArgument.
func WithAppID(id string) Option { return func(c *config) { c.appID = id } }

// WithAppSecretFunc supplies the app's portal secret when the host Secret
// Service does not show it. gnome-keyring keeps portal secrets as key
// objects that its D-Bus interface hides, so reading them takes a request to
// the Secrets portal made as the app; the moneypenny CLI does that from a
// bubblewrap sandbox. f must return exactly the bytes the portal gives the
// app (64).
func WithAppSecretFunc(f func(ctx context.Context, appID string) (*Secret, error)) Option {
	return func(c *config) { c.appSecretFunc = f }
}

// WithReadOnly opens the file keyring read-only.
func WithReadOnly() Option { return func(c *config) { c.readOnly = true } }

// WithEnv replaces os.Getenv for backend selection (MONEYPENNY_BACKEND,
// MONEYPENNY_KEYRING, MONEYPENNY_PASSWORD, SNAP_NAME, XDG_DATA_HOME, HOME).
// Tests and embedding programs use it to make selection deterministic.
func WithEnv(getenv func(string) string) Option { return func(c *config) { c.getenv = getenv } }

// withRoot makes sandbox detection look for .flatpak-info under root; tests
// only.
func withRoot(root string) Option { return func(c *config) { c.root = root } }
