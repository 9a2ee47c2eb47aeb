package dpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// Register lets vault.Open choose the engine by name (Name): the same as
// vault.WithEngineFactory(Name, Factory).
func Register() vault.Option { return vault.WithEngineFactory(Name, Factory) }

// Factory opens the engine for vault.Open. Its config section is
// {"dir": "C:\\path"}; without it the directory is DefaultDir.
func Factory(_ context.Context, section json.RawMessage, getenv func(string) string) (vault.Engine, error) {
	var c struct {
		Dir string `json:"dir"`
	}
	if len(section) > 0 {
		dec := json.NewDecoder(bytes.NewReader(section))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("config: %v: %w", err, secret.ErrInvalidArgument)
		}
	}
	dir := c.Dir
	if dir == "" {
		dir = DefaultDir(getenv)
	}
	if _, _, err := platform(); err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, fmt.Errorf("no directory: LOCALAPPDATA is not set and the config gives no \"dir\": %w", secret.ErrInvalidArgument)
	}
	return Open(dir)
}
