package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/moneypenny-go/keyring/dbusservice"
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
		fi, err := os.Stat(path)
		switch {
		case err == nil:
			st.Reason = fmt.Sprintf("file exists (%d bytes)", fi.Size())
		case errors.Is(err, os.ErrNotExist):
			st.Reason = "file will be created on the first store"
		default:
			st.Reason = err.Error()
			return st
		}
		st.Available = c.password != nil || c.passwordFunc != nil || c.getenv("MONEYPENNY_PASSWORD") != ""
		if st.Available {
			st.Reason += "; password supplied"
		} else {
			st.Reason += "; needs a password (MONEYPENNY_PASSWORD, --password-fd or a terminal); " + c.notAutomatic(name)
		}
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
