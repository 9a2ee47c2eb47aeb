//go:build !windows

package main

import (
	"path/filepath"
	"strings"
	"testing"
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
