package keyring

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/darwin"
	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/keyctl"
	"github.com/moneypenny-go/keyring/portal"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/windows"
)

// errNoSessionBus: without DBUS_SESSION_BUS_ADDRESS there is no Secret
// Service to talk to, and autolaunching a bus (as dbus-launch would) would
// only start an empty one.
var errNoSessionBus = fmt.Errorf("no session bus (DBUS_SESSION_BUS_ADDRESS is not set; a bus is never autolaunched): %w", secret.ErrUnavailable)

// filePath resolves the file keyring's path: WithPath, MONEYPENNY_KEYRING,
// then the host default.
func (c *config) filePath() (string, error) {
	if c.path != "" {
		return c.path, nil
	}
	if p := c.getenv("MONEYPENNY_KEYRING"); p != "" {
		return p, nil
	}
	return c.defaultFilePath()
}

// filePassword resolves the file keyring's password when no password
// function is to be asked: WithPassword, then MONEYPENNY_PASSWORD. The caller
// wipes the result.
func (c *config) filePassword(path string) ([]byte, error) {
	if c.password != nil {
		return append(make([]byte, 0, len(c.password)), c.password...), nil
	}
	if pw := c.getenv("MONEYPENNY_PASSWORD"); pw != "" {
		return []byte(pw), nil
	}
	return nil, fmt.Errorf("keyring: file keyring %s needs a password (WithPassword, WithPasswordFunc or MONEYPENNY_PASSWORD): %w",
		path, secret.ErrUnavailable)
}

func (c *config) fileOptions() []filekeyring.Option {
	var opts []filekeyring.Option
	if c.passwordFunc != nil {
		opts = append(opts, filekeyring.WithPrompt(c.passwordFunc))
	}
	if c.newPwFunc != nil {
		opts = append(opts, filekeyring.WithNewKeyringPrompt(c.newPwFunc))
	}
	if c.readOnly {
		opts = append(opts, filekeyring.WithReadOnly())
	}
	if c.allowEmpty {
		opts = append(opts, filekeyring.WithAllowEmptyPassword())
	}
	if c.unlockCache > 0 {
		opts = append(opts, filekeyring.WithKeyCache(keyctl.NewKeyCache(keyctl.WithTimeout(c.unlockCache))))
	}
	return opts
}

func (c *config) openFile(ctx context.Context) (secret.Store, error) {
	path, err := c.filePath()
	if err != nil {
		return nil, err
	}
	// A supplied password is always passed on, and so always checked by key
	// derivation. Only without one does filekeyring ask the password
	// function, and only when the unlock cache has no key: a warm cache
	// skips both the prompt and PBKDF2.
	var pw []byte
	if c.password != nil || c.passwordFunc == nil || c.getenv("MONEYPENNY_PASSWORD") != "" {
		if pw, err = c.filePassword(path); err != nil {
			return nil, err
		}
		defer secret.Wipe(pw)
	}
	return filekeyring.Open(ctx, path, pw, c.fileOptions()...)
}

// openPortalFile opens the sandbox's file keyring, keyed by the app's master
// secret from the Secrets portal, at the path libsecret uses. The Keyring
// keeps the secret (to re-derive the key if another process re-keys the
// file); programs should open one Keyring per process, as oo7 recommends, so
// the portal is asked once.
func (c *config) openPortalFile(ctx context.Context) (secret.Store, error) {
	path := c.path
	if path == "" {
		p, err := portal.KeyringPathIn(c.getenv)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		path = p
	}
	master, err := portal.RetrieveSecret(ctx, c.portalOpts()...)
	if err != nil {
		return nil, fmt.Errorf("keyring: Secrets portal: %w", err)
	}
	defer master.Wipe()
	opts := c.fileOptions()
	return filekeyring.Open(ctx, path, master.Bytes(), opts...)
}

func (c *config) dbusOptions() []dbusservice.Option {
	opts := []dbusservice.Option{dbusservice.WithAutoUnlock(c.autoUnlock), dbusservice.WithAddress(c.busOrDisabled())}
	if c.windowID != "" {
		opts = append(opts, dbusservice.WithWindowID(c.windowID))
	}
	return opts
}

func (c *config) openSecretService(ctx context.Context) (secret.Store, error) {
	if c.sessionBus() == "" {
		return nil, errNoSessionBus
	}
	coll := c.collection
	if coll == "" {
		coll = "default"
	}
	return dbusservice.OpenCollection(ctx, coll, c.dbusOptions()...)
}

func (c *config) openKeyctl(ctx context.Context) (secret.Store, error) {
	var opts []keyctl.Option
	if c.userKeyring {
		opts = append(opts, keyctl.WithUserKeyring())
	}
	return keyctl.Open(ctx, opts...)
}

func openKeychain(ctx context.Context) (secret.Store, error) { return darwin.Open(ctx) }

func openCredentialManager(ctx context.Context) (secret.Store, error) { return windows.Open(ctx) }

// openAppKeyring opens a Flatpak app's sandboxed file keyring from the host:
// the master secret is the item the Secrets portal backend keeps in the host
// Secret Service under app_id=ID.
func (c *config) openAppKeyring(ctx context.Context) (*Keyring, error) {
	// The id names a directory under ~/.var/app, is searched for on the
	// host and is handed to appSecretFunc: "../x" must go no further.
	if err := portal.ValidAppID(c.appID); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if c.sessionBus() == "" {
		return nil, errNoSessionBus
	}
	svc, err := dbusservice.Connect(ctx, c.dbusOptions()...)
	if err != nil {
		return nil, fmt.Errorf("keyring: app %s: the host Secret Service holds the app's portal secret: %w", c.appID, err)
	}
	defer svc.Close()
	master, err := appSecret(ctx, svc, c.appID)
	if err != nil && c.appSecretFunc != nil {
		var ferr error
		if master, ferr = c.appSecretFunc(ctx, c.appID); ferr != nil {
			return nil, fmt.Errorf("%w; asking the Secrets portal as the app also failed: %w", err, ferr)
		}
		if master.Len() < portal.SecretLen {
			master.Wipe()
			return nil, fmt.Errorf("keyring: app %s: the portal gave %d bytes, want %d: %w", c.appID, master.Len(), portal.SecretLen, secret.ErrCorrupt)
		}
		err = nil
	}
	if err != nil {
		return nil, err
	}
	defer master.Wipe()
	path := c.path
	if path == "" {
		home := c.getenv("HOME")
		if home == "" {
			return nil, fmt.Errorf("keyring: app %s: HOME is not set: %w", c.appID, secret.ErrUnavailable)
		}
		path = portal.AppKeyringPath(home, c.appID)
	}
	st, err := filekeyring.Open(ctx, path, master.Bytes(), c.fileOptions()...)
	if err != nil {
		return nil, err
	}
	info := st.Info()
	info.Note = "Flatpak app " + c.appID + " opened from the host with its portal secret"
	return &Keyring{store: st, info: info}, nil
}

// appSecret finds the portal secret of appID among the host's items.
func appSecret(ctx context.Context, svc *dbusservice.Service, appID string) (*secret.Value, error) {
	unlocked, locked, err := svc.SearchItems(ctx, secret.Attributes{"app_id": appID})
	if err != nil {
		return nil, fmt.Errorf("keyring: app %s: search the host for its portal secret: %w", appID, err)
	}
	if len(unlocked) == 0 && len(locked) > 0 {
		paths := make([]dbus.ObjectPath, 0, len(locked))
		for _, it := range locked {
			paths = append(paths, it.Path())
		}
		if _, err := svc.Unlock(ctx, paths...); err != nil {
			return nil, fmt.Errorf("keyring: app %s: unlock its portal secret: %w", appID, err)
		}
		unlocked = locked
	}
	if len(unlocked) == 0 {
		return nil, fmt.Errorf("keyring: app %s: no portal secret (an item with app_id=%s) in the host Secret Service: %w",
			appID, appID, secret.ErrNotFound)
	}
	v, err := unlocked[0].Secret(ctx)
	if err != nil {
		return nil, fmt.Errorf("keyring: app %s: read its portal secret: %w", appID, err)
	}
	// libsecret reads exactly the first 64 bytes the portal writes; fewer is
	// an invalid secret, more are ignored.
	if v.Len() < portal.SecretLen {
		v.Wipe()
		return nil, fmt.Errorf("keyring: app %s: its portal secret is %d bytes, want %d: %w",
			appID, v.Len(), portal.SecretLen, secret.ErrCorrupt)
	}
	first := secret.New(append([]byte(nil), v.Bytes()[:portal.SecretLen]...))
	v.Wipe()
	return first, nil
}
