package keyring

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/legacykeyring"
	"github.com/moneypenny-go/keyring/keyctl"
	"github.com/moneypenny-go/keyring/portal"
	"github.com/moneypenny-go/keyring/secret"
)

// Diagnosis explains, for a person, which backends can be used here and
// which one Open would pick.
type Diagnosis struct {
	// Sandbox is the sandbox detection result (libsecret's rule).
	Sandbox SandboxInfo `json:"sandbox"`
	// Portal is the Secrets portal's state: "version 1", "absent: ...",
	// or "not checked (not sandboxed)".
	Portal string `json:"portal"`
	// Backends lists every backend with its availability and reason.
	Backends []BackendStatus `json:"backends"`
	// Selected is the backend Open would use ("" if none) and Why says why.
	Selected string `json:"selected"`
	Why      string `json:"why"`
}

// SandboxInfo describes the sandbox, if any.
type SandboxInfo struct {
	Kind   string `json:"kind"` // "flatpak", "snap" or ""
	AppID  string `json:"app_id,omitempty"`
	Reason string `json:"reason"`
}

// BackendStatus is one backend's state.
type BackendStatus struct {
	Name       string `json:"name"`
	Available  bool   `json:"available"`
	Reason     string `json:"reason"`
	Persistent bool   `json:"persistent"`
	Location   string `json:"location,omitempty"`
	// Automatic is true for backends Open may pick without being asked.
	Automatic bool `json:"automatic"`
	// State is the file backend's file, in one word: "missing" (it will be
	// created), "directory", "not-keyring", "legacy-v0" (gnome-keyring's
	// old format: import it), "unsupported" (another version), "corrupt",
	// "unreadable", "locked" (no password to try), "wrong-password" or
	// "ok". Empty for the other backends.
	State string `json:"state,omitempty"`
	// CorruptItems counts the file's items that cannot be read with the
	// password given: stored under another password, damaged or tampered
	// with (what `moneypenny repair` removes).
	CorruptItems int `json:"corrupt_items,omitempty"`
}

// probeTimeout bounds each backend probe so Diagnose answers quickly even
// when a service hangs.
const probeTimeout = 3 * time.Second

// Diagnose probes every backend and reports which one Open would use with
// the same options, and why the others were rejected. It opens nothing that
// it does not close again and changes nothing.
func Diagnose(ctx context.Context, opts ...Option) (*Diagnosis, error) {
	c := newConfig(opts)
	sb := portal.DetectSandboxIn(c.root, c.getenv)
	d := &Diagnosis{Sandbox: SandboxInfo{Kind: sb.Kind, AppID: sb.AppID, Reason: sb.Reason}}
	// The portal is asked once, and its answer serves both the report and
	// the choice below.
	var (
		v    uint32
		verr error
	)
	if sb.Sandboxed() {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		v, verr = portal.Version(pctx, c.portalOpts()...)
		cancel()
		switch {
		case verr != nil && errors.Is(verr, portal.ErrNoPortal):
			d.Portal = "absent: " + verr.Error()
		case verr != nil:
			d.Portal = "error: " + verr.Error()
		default:
			d.Portal = fmt.Sprintf("version %d", v)
		}
	} else {
		d.Portal = "not checked (not sandboxed)"
	}

	status := map[string]BackendStatus{}
	for _, name := range backendNames {
		st := c.probe(ctx, name)
		if name == File && st.State == "locked" && sb.Sandboxed() && verr == nil && v >= 1 {
			// Asking the portal for the secret would create the app's
			// secret if it has none: Diagnose changes nothing.
			st.Reason += "; inside this sandbox the key comes from the Secrets portal (not asked here)"
		}
		status[name] = st
		d.Backends = append(d.Backends, st)
	}

	if name, why := c.requested(); name != "" {
		d.Selected, d.Why = name, why
		if st, ok := status[name]; ok && !st.Available {
			d.Why += " (but it is unavailable: " + st.Reason + ")"
		}
		return d, nil
	}
	for _, cand := range candidatesFor(sb, v, verr) {
		if cand.skip != "" {
			continue
		}
		if cand.name == portalFile {
			d.Selected, d.Why = File, cand.why+": libsecret-compatible file keyed by the portal secret"
			return d, nil
		}
		if status[cand.name].Available {
			d.Selected, d.Why = cand.name, cand.why
			return d, nil
		}
	}
	d.Why = "no backend is available without being asked for; set MONEYPENNY_BACKEND=file (with MONEYPENNY_PASSWORD) or MONEYPENNY_BACKEND=keyctl"
	return d, nil
}

func (c *config) probe(ctx context.Context, name string) BackendStatus {
	st := BackendStatus{Name: name, Persistent: name != Keyctl, Automatic: c.considered(name)}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	switch name {
	case SecretService:
		if !st.Automatic {
			st.Reason = c.notAutomatic(name)
			return st
		}
		if c.sessionBus() == "" {
			st.Reason = errNoSessionBus.Error()
			return st
		}
		coll := c.collection
		if coll == "" {
			coll = "default"
		}
		col, err := dbusservice.OpenCollection(pctx, coll, append(c.dbusOptions(), dbusservice.WithAutoUnlock(false))...)
		if err != nil {
			st.Reason = err.Error()
			return st
		}
		defer col.Close()
		st.Available = true
		st.Location = col.Info().Location
		locked, err := col.IsLocked(pctx)
		switch {
		case err != nil:
			st.Reason = "reachable; lock state unknown: " + err.Error()
		case locked:
			st.Reason = "reachable; collection is locked (unlocking will prompt)"
		default:
			st.Reason = "reachable; collection unlocked"
		}
	case File:
		path, err := c.filePath()
		if err != nil {
			st.Reason = err.Error()
			return st
		}
		st.Location = path
		c.probeFile(pctx, &st, path)
	case Keyctl:
		if err := keyctl.Probe(pctx); err != nil {
			st.Reason = err.Error()
			return st
		}
		st.Available = true
		st.Reason = "kernel keyrings work; NOT persistent: items vanish at reboot (session keyring: when the session ends); " + c.notAutomatic(name)
	case Keychain, CredentialManager:
		if !st.Automatic {
			st.Reason = c.notAutomatic(name)
			return st
		}
		open := openKeychain
		if name == CredentialManager {
			open = openCredentialManager
		}
		if err := openAndClose(pctx, open); err != nil {
			st.Reason = err.Error()
			return st
		}
		st.Available = true
		st.Reason = "native store"
	}
	return st
}

// openAndClose opens a store with open and closes it again: a probe that the
// store can be used.
func openAndClose(ctx context.Context, open func(context.Context) (secret.Store, error)) error {
	st, err := open(ctx)
	if err != nil {
		return err
	}
	return st.Close()
}

// probeFile checks the file keyring's real file: that it is a keyring in
// libsecret's format, and, when a password is at hand (WithPassword or
// MONEYPENNY_PASSWORD; a password function is not asked), that it opens
// with it and how many items cannot be read. It only reads.
func (c *config) probeFile(ctx context.Context, st *BackendStatus, path string) {
	var pw []byte
	if c.password != nil || c.getenv("MONEYPENNY_PASSWORD") != "" {
		pw, _ = c.filePassword(path)
		defer secret.Wipe(pw)
	}
	needs := "needs a password (MONEYPENNY_PASSWORD, --password-fd or a terminal); " + c.notAutomatic(File)
	if c.passwordFunc != nil {
		needs = "the password function will be asked for the password"
	}
	fi, err := os.Stat(path)
	switch {
	case path != "" && os.IsPathSeparator(path[len(path)-1]):
		st.State, st.Reason = "directory", "the path ends in a separator: it names a directory, not a keyring file"
		return
	case errors.Is(err, fs.ErrNotExist):
		st.State, st.Reason = "missing", "no file yet: it will be created on the first store"
		st.Available = pw != nil || c.passwordFunc != nil
		if pw != nil {
			st.Reason += "; password supplied"
		} else if !st.Available {
			st.Reason += "; " + needs
		}
		return
	case err != nil:
		st.State, st.Reason = "unreadable", "cannot be read: "+err.Error()
		return
	case fi.IsDir():
		st.State, st.Reason = "directory", "is a directory, not a keyring file"
		return
	case !fi.Mode().IsRegular():
		st.State, st.Reason = "not-keyring", fmt.Sprintf("not a regular file (%v)", fi.Mode().Type())
		return
	}
	size := fmt.Sprintf("keyring file (%d bytes)", fi.Size())
	k, err := filekeyring.Open(ctx, path, pw, filekeyring.WithReadOnly())
	if err != nil {
		st.Reason = err.Error()
		switch {
		case errors.Is(err, secret.ErrLocked) && pw == nil:
			st.State, st.Reason = "locked", size+", locked: "+needs
		case errors.Is(err, secret.ErrWrongPassword):
			st.State = "wrong-password"
		case errors.Is(err, fs.ErrPermission):
			st.State = "unreadable"
		case errors.Is(err, secret.ErrUnsupportedFormat) && isLegacyFile(path):
			st.State = "legacy-v0"
		case errors.Is(err, secret.ErrUnsupportedFormat) && strings.Contains(err.Error(), "format version"):
			st.State = "unsupported"
		case errors.Is(err, secret.ErrUnsupportedFormat):
			st.State = "not-keyring"
		case errors.Is(err, secret.ErrCorrupt):
			st.State = "corrupt"
		default:
			st.State = "unreadable"
		}
		return
	}
	defer k.Close()
	items, err := k.Items(ctx)
	if err != nil {
		st.State, st.Reason = "unreadable", err.Error()
		return
	}
	broken, err := k.Broken(ctx)
	if err != nil {
		st.State, st.Reason = "unreadable", err.Error()
		return
	}
	st.State, st.Available, st.CorruptItems = "ok", true, broken
	st.Reason = fmt.Sprintf("%s with %d item(s); the password opens it", size, len(items))
	if broken > 0 {
		st.Reason += fmt.Sprintf("; %d item(s) cannot be read with it (see `moneypenny repair --dry-run`)", broken)
	}
	if fi.Mode().Perm()&0o200 == 0 {
		st.Reason += fmt.Sprintf("; read-only (mode %04o): changes are refused", fi.Mode().Perm())
	}
}

// isLegacyFile reports whether path starts like gnome-keyring's v0 format.
func isLegacyFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 18)
	n, _ := io.ReadFull(f, head)
	return legacykeyring.IsLegacy(head[:n])
}
