package vault_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/internal/vaulttest"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// fileEnv is an environment whose keyring backend is a real file keyring.
func fileEnv(t *testing.T, extra map[string]string) func(string) string {
	dir := t.TempDir()
	env := map[string]string{
		"MONEYPENNY_BACKEND":  "file",
		"MONEYPENNY_KEYRING":  filepath.Join(dir, "k.keyring"),
		"MONEYPENNY_PASSWORD": "pw",
		"XDG_CONFIG_HOME":     filepath.Join(dir, "config"),
		"XDG_STATE_HOME":      filepath.Join(dir, "state"),
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

func writeConfig(t *testing.T, getenv func(string) string, doc string) {
	t.Helper()
	p := vault.ConfigPath(getenv)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestEngineChoicePrecedence: flag (WithEngineName) > MONEYPENNY_VAULT_ENGINE
// > the config file > auto-detection, each level checked with the ones
// above it removed.
func TestEngineChoicePrecedence(t *testing.T) {
	ctx := vaulttest.Ctx(t)
	open := func(getenv func(string) string, opts ...vault.Option) vault.Info {
		t.Helper()
		v, err := vault.Open(ctx, append([]vault.Option{vault.WithEnv(getenv), vault.WithEnviron(nil)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		return v.Info()
	}
	withEnvVar := fileEnv(t, map[string]string{"MONEYPENNY_VAULT_ENGINE": "single-entry"})
	writeConfig(t, withEnvVar, `{"vault": {"engine": "env", "env": {"prefix": "APP_SECRET_"}}, "other": {"ignored": true}}`)
	if info := open(withEnvVar, vault.WithEngineName("keyring")); info.Engine != "keyring" || !strings.Contains(info.Note, "--engine") {
		t.Errorf("flag level: %+v", info)
	}
	if info := open(withEnvVar); info.Engine != "single-entry" || info.Backend != "file" || !strings.Contains(info.Note, "MONEYPENNY_VAULT_ENGINE") {
		t.Errorf("environment level: %+v", info)
	}
	noEnvVar := fileEnv(t, nil)
	writeConfig(t, noEnvVar, `{"vault": {"engine": "env", "env": {"prefix": "APP_SECRET_"}}}`)
	if info := open(noEnvVar); info.Engine != "env" || info.Location != "environment variables APP_SECRET_*" || !strings.Contains(info.Note, "config.json") {
		t.Errorf("config level: %+v", info)
	}
	// The env engine's prefix and the single-entry item: option > variable > config file.
	envPrefix := fileEnv(t, map[string]string{"MONEYPENNY_VAULT_ENV_PREFIX": "FROM_VAR_"})
	writeConfig(t, envPrefix, `{"vault": {"engine": "env", "env": {"prefix": "FROM_FILE_"}}}`)
	if info := open(envPrefix); info.Location != "environment variables FROM_VAR_*" {
		t.Errorf("MONEYPENNY_VAULT_ENV_PREFIX: %+v", info)
	}
	if info := open(envPrefix, vault.WithEnvPrefix("FROM_OPTION_")); info.Location != "environment variables FROM_OPTION_*" {
		t.Errorf("WithEnvPrefix: %+v", info)
	}
	app := fileEnv(t, map[string]string{"MONEYPENNY_VAULT_APP": "from-var"})
	writeConfig(t, app, `{"vault": {"engine": "single-entry", "single_entry": {"app": "from-file"}}}`)
	if info := open(app); !strings.HasSuffix(info.Location, "item app=from-var") {
		t.Errorf("MONEYPENNY_VAULT_APP: %+v", info)
	}
	if info := open(app, vault.WithApp("from-option")); !strings.HasSuffix(info.Location, "item app=from-option") {
		t.Errorf("WithApp: %+v", info)
	}
	if info := open(fileEnv(t, nil)); info.Engine != "keyring" || !strings.Contains(info.Note, "auto") {
		t.Errorf("auto level: %+v", info)
	}
	_, err := vault.Open(ctx, vault.WithEnv(fileEnv(t, nil)), vault.WithEngineName("nope"))
	if !errors.Is(err, secret.ErrInvalidArgument) || !strings.Contains(err.Error(), "single-entry") {
		t.Errorf("unknown engine = %v", err)
	}
}

func TestConfigFileErrorsNameTheFile(t *testing.T) {
	for _, doc := range []string{
		`{"vault": {"engnie": "env"}}`,
		`{"vault": {"keyring": {"backend": 1}}}`,
		`{"vault": {"max_value_size": -1}}`,
		`{"vault": `,
	} {
		getenv := fileEnv(t, nil)
		writeConfig(t, getenv, doc)
		_, err := vault.Open(vaulttest.Ctx(t), vault.WithEnv(getenv))
		if !errors.Is(err, secret.ErrInvalidArgument) || !strings.Contains(err.Error(), vault.ConfigPath(getenv)) {
			t.Errorf("config %s: %v", doc, err)
		}
	}
	getenv := fileEnv(t, nil)
	writeConfig(t, getenv, `{"vault": {"max_value_size": 5, "keyring": {"backend": "keyctl"}}}`)
	v, err := vault.Open(vaulttest.Ctx(t), vault.WithEnv(getenv))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Info().Backend != "file" {
		t.Errorf("MONEYPENNY_BACKEND must beat the config file's backend: %+v", v.Info())
	}
	if err := v.Set(vaulttest.Ctx(t), vault.MustParsePath("global/x"), secret.NewString("123456")); !errors.Is(err, secret.ErrTooLarge) {
		t.Errorf("config max_value_size not applied: %v", err)
	}
}

// TestEngineFactory: an engine from another package is chosen by name and
// gets its own section of the config file.
func TestEngineFactory(t *testing.T) {
	getenv := fileEnv(t, map[string]string{"MONEYPENNY_VAULT_ENGINE": "remote"})
	writeConfig(t, getenv, `{"vault": {"remote": {"prefix": "REMOTE_"}}}`)
	var got json.RawMessage
	v, err := vault.Open(vaulttest.Ctx(t), vault.WithEnv(getenv), vault.WithEngineFactory("remote",
		func(ctx context.Context, section json.RawMessage, getenv func(string) string) (vault.Engine, error) {
			got = section
			return vault.NewEnvEngine("REMOTE_", []string{"REMOTE_GLOBAL_K=v"}, 0), nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if string(got) != `{"prefix": "REMOTE_"}` {
		t.Errorf("section = %s", got)
	}
	if val, err := v.GetValue(vaulttest.Ctx(t), vault.MustParsePath("global/k")); err != nil || string(val.Bytes()) != "v" {
		t.Errorf("Get through the factory's engine = %v, %v", val, err)
	}
}

// TestMarkerRefusesChangedBackend: auto-detection on a real gnome-keyring
// records the store; after the default alias moves to another collection,
// detection would show an empty vault, and Open refuses instead. A backend
// chosen explicitly is not checked.
func TestMarkerRefusesChangedBackend(t *testing.T) {
	open, bus := gnomeKeyring(t)
	_ = open
	getenv := envFunc(bus.Env())
	state := t.TempDir()
	ctx := vaulttest.Ctx(t)
	opts := []vault.Option{vault.WithEnv(getenv), vault.WithStateDir(state)}
	v, err := vault.Open(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	p := vault.MustParsePath("global/remembered")
	if err := v.Set(ctx, p, secret.NewString("kept")); err != nil {
		t.Fatal(err)
	}
	v.Close()
	marker, err := os.ReadFile(filepath.Join(state, "vault-backend.json"))
	if err != nil || !strings.Contains(string(marker), `"secret-service"`) || !strings.Contains(string(marker), "/collection/login") {
		t.Fatalf("marker = %s, %v", marker, err)
	}
	if v, err = vault.Open(ctx, opts...); err != nil {
		t.Fatalf("second Open with the same store: %v", err)
	}
	v.Close()

	svc, err := dbusservice.Connect(ctx, dbusservice.WithAddress(bus.Address))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if err := svc.SetAlias(ctx, "default", "/org/freedesktop/secrets/collection/session"); err != nil {
		t.Fatal(err)
	}
	_, err = vault.Open(ctx, opts...)
	var bc *vault.BackendChangedError
	if !errors.Is(err, vault.ErrBackendChanged) || !errors.As(err, &bc) ||
		!strings.Contains(err.Error(), "/collection/session") || !strings.Contains(err.Error(), "/collection/login") {
		t.Fatalf("Open after the default collection moved = %v, want a BackendChangedError naming both", err)
	}
	v, err = vault.Open(ctx, append(opts, vault.WithKeyringBackend("secret-service"))...)
	if err != nil {
		t.Fatalf("an explicit backend is not checked against the marker: %v", err)
	}
	v.Close()

	if err := os.WriteFile(filepath.Join(state, "vault-backend.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := vault.Open(ctx, opts...); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("Open with a corrupt marker = %v, want ErrCorrupt", err)
	}
}

// healthyEngine is an env engine with a health check, as remote engines
// have.
type healthyEngine struct {
	*vault.EnvEngine
	err error
}

func (h healthyEngine) HealthCheck(ctx context.Context) error { return h.err }

func TestHealthCheck(t *testing.T) {
	ctx := vaulttest.Ctx(t)
	plain := vault.New(vault.NewEnvEngine("", nil, 0))
	if err := plain.HealthCheck(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Errorf("HealthCheck without one = %v", err)
	}
	boom := errors.New("server sealed")
	sick := vault.New(healthyEngine{vault.NewEnvEngine("", nil, 0), boom})
	if err := sick.HealthCheck(ctx); !errors.Is(err, boom) {
		t.Errorf("HealthCheck = %v", err)
	}
}
