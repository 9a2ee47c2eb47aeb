package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/moneypenny-go/keyring/secret"
)

// maxConfigSize bounds the config file read.
const maxConfigSize = 1 << 20

// ConfigPath returns where Open looks for its config file:
// $XDG_CONFIG_HOME/moneypenny/config.json, else on Windows
// %APPDATA%\moneypenny\config.json, else ~/.config/moneypenny/config.json.
// "" when none of these is set.
//
// The file is JSON (no dependency, and every tool can write it). Open reads
// the "vault" object and ignores the rest of the file, which other parts of
// Moneypenny may use:
//
//	{
//	  "vault": {
//	    "engine": "single-entry",
//	    "max_value_size": 65536,
//	    "keyring": {"backend": "secret-service", "path": "", "collection": "default"},
//	    "single_entry": {"app": "sideseat"},
//	    "env": {"prefix": "SIDESEAT_SECRET_"}
//	  }
//	}
//
// Every key is optional. An engine added with WithEngineFactory gets the
// object under its own name. An unknown key, a misspelt one or a value of
// the wrong type is an error naming the file, not something silently
// ignored. A missing file is no error; an unreadable one is.
func ConfigPath(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := baseDir(getenv, "XDG_CONFIG_HOME", ".config", "APPDATA"); d != "" {
		return filepath.Join(d, "moneypenny", "config.json")
	}
	return ""
}

// baseDir resolves an XDG base directory: $xdgVar when absolute, else on
// Windows $winVar (%APPDATA%, %LOCALAPPDATA%), else $HOME/homeRel, else
// $winVar.
func baseDir(getenv func(string) string, xdgVar, homeRel, winVar string) string {
	if d := getenv(xdgVar); d != "" && filepath.IsAbs(d) {
		return d
	}
	if d := getenv(winVar); d != "" && runtime.GOOS == "windows" {
		return d
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, homeRel)
	}
	return getenv(winVar)
}

type fileConfig struct {
	path         string
	Engine       string `json:"engine"`
	MaxValueSize int    `json:"max_value_size"`
	Keyring      struct {
		Backend    string `json:"backend"`
		Path       string `json:"path"`
		Collection string `json:"collection"`
	} `json:"keyring"`
	SingleEntry struct {
		App string `json:"app"`
	} `json:"single_entry"`
	Env struct {
		Prefix string `json:"prefix"`
	} `json:"env"`
	sections map[string]json.RawMessage
}

// readConfig reads the config file, if there is one.
func (c *config) readConfig() (*fileConfig, error) {
	fc := &fileConfig{}
	path := c.configFile
	if !c.configFileSet {
		path = ConfigPath(c.getenv)
	}
	if path == "" {
		return fc, nil
	}
	fc.path = path
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !c.configFileSet {
		return fc, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vault: config file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("vault: config file %s: %w", path, err)
	}
	if len(b) > maxConfigSize {
		return nil, fmt.Errorf("vault: config file %s is over %d bytes: %w", path, maxConfigSize, secret.ErrInvalidArgument)
	}
	if err := fc.parse(b, c.factories); err != nil {
		return nil, fmt.Errorf("vault: config file %s: %w", path, err)
	}
	return fc, nil
}

func (fc *fileConfig) parse(b []byte, factories map[string]Factory) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return fmt.Errorf("%v: %w", err, secret.ErrInvalidArgument)
	}
	raw, ok := top["vault"]
	if !ok {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return fmt.Errorf(`"vault": %v: %w`, err, secret.ErrInvalidArgument)
	}
	known := map[string]bool{"engine": true, "max_value_size": true, "keyring": true, "single_entry": true, "env": true}
	own := map[string]json.RawMessage{}
	fc.sections = map[string]json.RawMessage{}
	for k, v := range keys {
		switch {
		case known[k]:
			own[k] = v
		case factories[k] != nil:
			fc.sections[k] = v
		default:
			return fmt.Errorf(`"vault": unknown key %q: %w`, k, secret.ErrInvalidArgument)
		}
	}
	ownJSON, _ := json.Marshal(own)
	dec := json.NewDecoder(bytes.NewReader(ownJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(fc); err != nil {
		return fmt.Errorf(`"vault": %v: %w`, err, secret.ErrInvalidArgument)
	}
	if fc.MaxValueSize < 0 {
		return fmt.Errorf(`"vault": max_value_size must not be negative: %w`, secret.ErrInvalidArgument)
	}
	return nil
}
