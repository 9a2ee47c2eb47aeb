//go:build !windows

package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVaultDPAPIEngineElsewhere: the CLI knows the dpapi-file engine by
// name, and off Windows choosing it (flag or MONEYPENNY_VAULT_ENGINE) is a
// clear "not supported" error, exit 1, not an unknown-engine one.
func TestVaultDPAPIEngineElsewhere(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	for _, r := range []result{
		mp(t, env, "", "vault", "--engine", "dpapi-file", "get", "global/x"),
		mp(t, append(env, "MONEYPENNY_VAULT_ENGINE=dpapi-file"), "", "vault", "get", "global/x"),
	} {
		if r.code != 1 || !strings.Contains(r.stderr, "not supported") || !strings.Contains(r.stderr, "Windows") || strings.Contains(r.stderr, "unknown engine") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
	}
}

// TestVaultDPAPIEngineUnderWine: the Windows build of the CLI, under Wine,
// reaches the dpapi-file engine by MONEYPENNY_VAULT_ENGINE and by
// --engine: set (a 20 KiB value, over the Credential Manager's 2560-byte
// credential), get, list --json without values, info, rm, exists.
func TestVaultDPAPIEngineUnderWine(t *testing.T) {
	env, runT := wineCLI(t)
	run := func(env []string, stdin string, args ...string) result { return runT(t, env, stdin, args...) }
	byEnv := append(append([]string(nil), env...), "MONEYPENNY_VAULT_ENGINE=dpapi-file")
	p := fmt.Sprintf("matrix/dpapi%d/service_account", time.Now().UnixNano())
	big := strings.Repeat("0123456789abcdef", 20<<10/16)
	t.Cleanup(func() { run(env, "", "vault", "--engine", "dpapi-file", "rm", p) })

	must(t, run(byEnv, big, "vault", "set", "--provider", "gcp", p), 0)
	if r := must(t, run(byEnv, "", "vault", "get", p), 0); r.stdout != big {
		t.Fatalf("vault get: %d bytes, want %d", len(r.stdout), len(big))
	}
	r := must(t, run(env, "", "vault", "--engine", "dpapi-file", "list", "--json", p[:strings.LastIndex(p, "/")]), 0)
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0]["provider"] != "gcp" || strings.Contains(r.stdout, "0123456789") {
		t.Fatalf("vault list --json: %v: %s", err, r.stdout)
	}
	var info struct{ Engine, Location string }
	r = must(t, run(byEnv, "", "vault", "info", "--json"), 0)
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || info.Engine != "dpapi-file" || !strings.Contains(info.Location, `moneypenny\vault-dpapi`) {
		t.Fatalf("vault info: %v: %s", err, r.stdout)
	}
	must(t, run(env, "", "vault", "--engine", "dpapi-file", "rm", p), 0)
	must(t, run(byEnv, "", "vault", "exists", p), 1)
}
