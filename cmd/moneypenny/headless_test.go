package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/keyctl"
)

func TestKeyctlBackendWarnsOnWrite(t *testing.T) {
	if err := keyctl.Probe(t.Context()); err != nil {
		testpeer.Missing(t, "kernel keyrings: "+err.Error())
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MONEYPENNY_BACKEND=keyctl"}
	tag := "mp-cli-" + time.Now().Format("150405.000000000")
	r := must(t, mp(t, env, "kernel secret", "store", "--label=K", "test", tag), 0)
	if !strings.Contains(r.stderr, "not persistent") && !strings.Contains(r.stderr, "reboot") {
		t.Errorf("no non-persistence warning on store: %q", r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("the warning is not one line: %q", r.stderr)
	}
	if got := must(t, mp(t, env, "", "lookup", "test", tag), 0).stdout; got != "kernel secret" {
		t.Fatalf("lookup = %q", got)
	}
	must(t, mp(t, env, "", "clear", "test", tag), 0)
	if r := mp(t, env, "", "lookup", "test", tag); r.code != 1 {
		t.Fatalf("lookup after clear: %+v", r)
	}
}

// TestUnlockCache: a store derives the key and caches it; later commands
// use the cached key without the password; lock drops it.
func TestUnlockCache(t *testing.T) {
	if err := keyctl.Probe(t.Context()); err != nil {
		testpeer.Missing(t, "kernel keyrings: "+err.Error())
	}
	path := filepath.Join(t.TempDir(), "cache.keyring")
	env := fileEnv(t, path, "right password")
	withCache := func(pw string) []string {
		var out []string
		for _, kv := range env {
			switch {
			case strings.HasPrefix(kv, "MONEYPENNY_UNLOCK_CACHE="):
			case strings.HasPrefix(kv, "MONEYPENNY_PASSWORD="):
				out = append(out, "MONEYPENNY_PASSWORD="+pw)
			default:
				out = append(out, kv)
			}
		}
		return out
	}
	must(t, mp(t, withCache("right password"), "cached", "store", "--label=C", "k", "v"), 0)
	// With the key cached, the password is not needed (a wrong one is not
	// even looked at).
	if got := must(t, mp(t, withCache("wrong password"), "", "lookup", "k", "v"), 0).stdout; got != "cached" {
		t.Fatalf("lookup with a warm cache = %q", got)
	}
	must(t, mp(t, withCache("right password"), "", "lock"), 0)
	r := mp(t, withCache("wrong password"), "", "lookup", "k", "v")
	if r.code != 1 || !strings.Contains(r.stderr, "password") {
		t.Fatalf("after lock, a wrong password still opens the keyring: %+v", r)
	}
	if got := must(t, mp(t, withCache("right password"), "", "lookup", "k", "v"), 0).stdout; got != "cached" {
		t.Fatalf("lookup with the right password = %q", got)
	}
	must(t, mp(t, withCache("right password"), "", "lock"), 0)
}
