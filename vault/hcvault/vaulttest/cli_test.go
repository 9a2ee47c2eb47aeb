package vaulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
	mpvault "github.com/moneypenny-go/keyring/vault"
)

// buildCLI builds cmd/moneypenny from the root module (this module's
// replace target) into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "moneypenny")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/moneypenny")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/moneypenny: %v\n%s", err, out)
	}
	return bin
}

// TestCLIVaultGet: `moneypenny vault set|get|list|info|rm` reach the
// in-process Vault through each way of choosing the engine: --engine,
// MONEYPENNY_VAULT_ENGINE, and the config file (with its "hcvault" object),
// the token from MONEYPENNY_VAULT_TOKEN over a wrong VAULT_TOKEN, the CA
// from VAULT_CACERT. The token never shows in the output.
func TestCLIVaultGet(t *testing.T) {
	bin := buildCLI(t)
	tv := startVault(t, 1)
	ctx := context.Background()
	home := t.TempDir()
	baseEnv := []string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "PATH=" + os.Getenv("PATH"),
	}
	vaultEnv := append([]string{
		"VAULT_ADDR=" + tv.addr(0), "VAULT_CACERT=" + tv.cluster.CACertPEMFile,
		"MONEYPENNY_VAULT_TOKEN=" + tv.cluster.RootToken, "VAULT_TOKEN=s.wrong-token",
	}, baseEnv...)
	run := func(env []string, stdin string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String()+errb.String(), tv.cluster.RootToken) {
			t.Errorf("%v: the token is in the output", args)
		}
		return out.String(), errb.String(), code
	}

	// A secret the library stored, read by the CLI with --engine.
	lib := mpvault.New(tv.engine(t, 0, nil))
	if err := lib.Set(ctx, mustPath("org/acme/openai_api_key"), secret.NewString("sk-from-lib"), mpvault.WithProvider("openai")); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := run(vaultEnv, "", "vault", "get", "--engine", "hcvault", "org/acme/openai_api_key"); code != 0 || out != "sk-from-lib" {
		t.Fatalf("vault get --engine hcvault: %q, %q, exit %d", out, errs, code)
	}

	// MONEYPENNY_VAULT_ENGINE: set from stdin, get --json, list, exists, rm.
	envEngine := append([]string{"MONEYPENNY_VAULT_ENGINE=hcvault"}, vaultEnv...)
	if _, errs, code := run(envEngine, "cli-value\n", "vault", "set", "--provider", "github", "--expires", "30d", "global/cli_token"); code != 0 {
		t.Fatalf("vault set: %q exit %d", errs, code)
	}
	if s := mustGet(t, lib, mustPath("global/cli_token")); string(s.Value.Bytes()) != "cli-value" || s.Provider != "github" || s.ExpiresAt.IsZero() {
		t.Errorf("the library reads what the CLI set: %q %+v", s.Value.Bytes(), s.Metadata)
	}
	out, errs, code := run(envEngine, "", "vault", "get", "--json", "global/cli_token")
	var got struct {
		Path, Provider, Value string
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Value != "cli-value" || got.Provider != "github" || got.Path != "global/cli_token" {
		t.Errorf("vault get --json: %q %q exit %d", out, errs, code)
	}
	if out, _, code := run(envEngine, "", "vault", "list", "org"); code != 0 || !strings.Contains(out, "org/acme/openai_api_key") || !strings.Contains(out, "openai") || strings.Contains(out, "sk-from-lib") {
		t.Errorf("vault list org: %q exit %d", out, code)
	}
	if out, _, code := run(envEngine, "", "vault", "info"); code != 0 || !strings.Contains(out, "hcvault") || !strings.Contains(out, "health:     ok") || !strings.Contains(out, "MONEYPENNY_VAULT_ENGINE") {
		t.Errorf("vault info: %q exit %d", out, code)
	}
	if _, _, code := run(envEngine, "", "read", "vault://global/cli_token"); code != 0 {
		t.Errorf("read vault://global/cli_token: exit %d", code)
	}
	if _, _, code := run(envEngine, "", "vault", "rm", "global/cli_token"); code != 0 {
		t.Errorf("vault rm: exit %d", code)
	}
	if _, errs, code := run(envEngine, "", "vault", "get", "global/cli_token"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("vault get after rm: %q exit %d", errs, code)
	}

	// The config file chooses the engine and names the server; the token
	// comes from VAULT_TOKEN (no MONEYPENNY_VAULT_TOKEN).
	cfgDir := filepath.Join(home, "config", "moneypenny")
	os.MkdirAll(cfgDir, 0o700)
	cfg, _ := json.Marshal(map[string]any{"vault": map[string]any{"engine": "hcvault", "hcvault": map[string]any{
		"address": tv.addr(0), "ca_file": tv.cluster.CACertPEMFile, "prefix": "moneypenny", "cache_ttl": "1m",
	}}})
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	fileEnv := append([]string{"VAULT_TOKEN=" + tv.cluster.RootToken}, baseEnv...)
	if out, errs, code := run(fileEnv, "", "vault", "get", "org/acme/openai_api_key"); code != 0 || out != "sk-from-lib" {
		t.Errorf("vault get with the config file: %q %q exit %d", out, errs, code)
	}
	// A wrong token: a clear permission error, exit 1.
	badEnv := append([]string{"VAULT_TOKEN=s.not-a-token"}, baseEnv...)
	if _, errs, code := run(badEnv, "", "vault", "get", "org/acme/openai_api_key"); code != 1 || !strings.Contains(errs, "403") || !strings.Contains(errs, "token") {
		t.Errorf("vault get with a bad token: %q exit %d", errs, code)
	}
	// Without the CA, TLS verification fails clearly.
	noCA := append([]string{"VAULT_ADDR=" + tv.addr(0), "VAULT_TOKEN=" + tv.cluster.RootToken, "MONEYPENNY_VAULT_ENGINE=hcvault"}, baseEnv...)
	os.Remove(filepath.Join(cfgDir, "config.json"))
	if _, errs, code := run(noCA, "", "vault", "get", "org/acme/openai_api_key"); code != 1 || !strings.Contains(errs, "certificate") {
		t.Errorf("vault get without the CA: %q exit %d", errs, code)
	}
}
