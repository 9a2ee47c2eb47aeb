package vault

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/internal/atomicfile"
	"github.com/moneypenny-go/keyring/secret"
)

// ErrBackendChanged: keyring backend detection now finds a different store
// than the one the vault's secrets were first kept in.
var ErrBackendChanged = errors.New("the detected keyring is not the one this vault was first used with")

// markerName is the marker file's name in the state directory.
const markerName = "vault-backend.json"

// marker is what the marker file holds: which store detection chose first.
type marker struct {
	Backend  string    `json:"backend"`
	Location string    `json:"location"`
	Since    time.Time `json:"since"`
}

// BackendChangedError is Open's error when detection picks another store
// than the marker file records. It wraps ErrBackendChanged.
type BackendChangedError struct {
	Marker                string // the marker file
	WasBackend, Backend   string
	WasLocation, Location string
}

func (e *BackendChangedError) Error() string {
	return fmt.Sprintf("vault: keyring detection chose %s (%s), but this vault's secrets were stored in %s (%s), as %s records; "+
		"refusing to show an empty vault. Start that store again, choose a backend explicitly (--backend or MONEYPENNY_BACKEND), "+
		"or delete %s to adopt the new one",
		e.Backend, e.Location, e.WasBackend, e.WasLocation, e.Marker, e.Marker)
}

func (e *BackendChangedError) Unwrap() error { return ErrBackendChanged }

// markerPath is where the marker lives: WithStateDir, else
// $XDG_STATE_HOME/moneypenny, else on Windows %LOCALAPPDATA%\moneypenny,
// else ~/.local/state/moneypenny.
func (c *config) markerPath() string {
	dir := c.stateDir
	if dir == "" {
		d := baseDir(c.getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"), "LOCALAPPDATA")
		if d == "" {
			return ""
		}
		dir = filepath.Join(d, "moneypenny")
	}
	return filepath.Join(dir, markerName)
}

// checkMarker compares the detected backend with the marker, writing the
// marker when there is none yet. It returns a note for Info.
func (c *config) checkMarker(info keyring.BackendInfo) (string, error) {
	path := c.markerPath()
	if path == "" {
		return "no state directory for the backend marker (set XDG_STATE_HOME or HOME)", nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeMarker(path, marker{Backend: info.Name, Location: info.Location, Since: c.now().UTC()}); err != nil {
			return "backend marker not written: " + err.Error(), nil
		}
		return "detected backend recorded in " + path, nil
	}
	if err != nil {
		return "", fmt.Errorf("vault: backend marker: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return "", fmt.Errorf("vault: backend marker %s: %w", path, err)
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil || m.Backend == "" {
		return "", fmt.Errorf("vault: backend marker %s does not parse; delete it to record the current backend: %w", path, secret.ErrCorrupt)
	}
	if m.Backend != info.Name || m.Location != info.Location {
		return "", &BackendChangedError{Marker: path, WasBackend: m.Backend, Backend: info.Name, WasLocation: m.Location, Location: info.Location}
	}
	return "detected backend matches " + path, nil
}

// writeMarker writes the marker atomically: a temporary file in the same
// directory, fsync, rename. The directory is created 0700.
func writeMarker(path string, m marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}
