package main

import (
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// providerEnv starts provider p on a private bus and returns the
// environment in which moneypenny and secret-tool both use it.
func providerEnv(t *testing.T, p testpeer.Provider) ([]string, *testpeer.SecretService) {
	t.Helper()
	testpeer.Need(t, "dbus-daemon", "secret-tool")
	bus := testpeer.NewBus(t)
	ss := bus.StartProvider(t, p)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s's log:\n%s", p, ss.Log())
		}
	})
	return bus.Env("MONEYPENNY_UNLOCK_CACHE=0"), ss
}

// forEachProvider runs f as one subtest per Secret Service provider.
func forEachProvider(t *testing.T, f func(t *testing.T, env []string, ss *testpeer.SecretService)) {
	for _, p := range testpeer.Providers() {
		t.Run(string(p), func(t *testing.T) {
			env, ss := providerEnv(t, p)
			f(t, env, ss)
		})
	}
}

// TestProviderBinarySecret: store sends input that is not UTF-8 text (or
// holds a NUL byte) as application/octet-stream, so every provider keeps it
// byte for byte (KeePassXC turned it into U+FFFD, kwalletd cut it at the
// NUL); text stays text/plain, which secret-tool prints.
func TestProviderBinarySecret(t *testing.T) {
	forEachProvider(t, func(t *testing.T, env []string, _ *testpeer.SecretService) {
		bin := string([]byte{'k', 0, 0xff, 0xfe, 'y', 0, '\n'})
		must(t, mp(t, env, bin, "store", "--label=Binary", "app", "mp-binary"), 0)
		if got := must(t, mp(t, env, "", "lookup", "app", "mp-binary"), 0).stdout; got != bin {
			t.Fatalf("lookup of a binary secret = %x, want %x", got, bin)
		}
		must(t, mp(t, env, "plain text ✓", "store", "--label=Text", "app", "mp-text"), 0)
		if got := must(t, secretTool(t, env, "", "lookup", "app", "mp-text"), 0).stdout; got != "plain text ✓" {
			t.Fatalf("secret-tool reads our text secret as %q", got)
		}
	})
}

// TestProviderSearchUnlock: search --unlock unlocks a locked collection and
// prints the secrets (it printed none, on every provider).
func TestProviderSearchUnlock(t *testing.T) {
	forEachProvider(t, func(t *testing.T, env []string, ss *testpeer.SecretService) {
		if ss.KeePassXC != nil {
			ss.CannotHeadlessly(t, "unlock through the Secret Service", "its unlock prompt is a GUI dialog")
		}
		if ss.GnomeKeyring != nil {
			ss.Bus.StartPrompter(t, testpeer.AcceptPrompts(testpeer.GnomeKeyringPassword))
		}
		must(t, mp(t, env, "locked secret", "store", "--label=L", "app", "mp-search-unlock"), 0)
		must(t, mp(t, env, "", "lock"), 0)
		must(t, mp(t, env, "", "lock"), 0) // locking twice is fine (kwalletd refused it)
		r := must(t, mp(t, env, "", "--timeout", "30s", "search", "--unlock", "--all", "app", "mp-search-unlock"), 0)
		if !strings.Contains(r.stdout, "secret = locked secret") {
			t.Fatalf("search --unlock on a locked collection:\n%s%s", r.stdout, r.stderr)
		}
	})
}

// TestProviderLockedClearAndLookup: lookup and clear on a locked collection
// unlock it (through the provider's prompt) and do their work; before,
// kwalletd's locked items read as empty and clear exited 0 with the secret
// still there.
func TestProviderLockedClearAndLookup(t *testing.T) {
	forEachProvider(t, func(t *testing.T, env []string, ss *testpeer.SecretService) {
		if ss.KeePassXC != nil {
			ss.CannotHeadlessly(t, "unlock through the Secret Service", "its unlock prompt is a GUI dialog (TestKeePassXCLockedIsNotEmpty covers the locked database)")
		}
		if ss.GnomeKeyring != nil {
			ss.Bus.StartPrompter(t, testpeer.AcceptPrompts(testpeer.GnomeKeyringPassword))
		}
		must(t, mp(t, env, "kept", "store", "--label=K", "app", "mp-locked-cli"), 0)
		must(t, mp(t, env, "", "lock"), 0)
		if got := must(t, mp(t, env, "", "--timeout", "30s", "lookup", "app", "mp-locked-cli"), 0).stdout; got != "kept" {
			t.Fatalf("lookup in a locked collection = %q", got)
		}
		must(t, mp(t, env, "", "lock"), 0)
		must(t, mp(t, env, "", "--timeout", "30s", "clear", "app", "mp-locked-cli"), 0)
		if r := mp(t, env, "", "--timeout", "30s", "lookup", "app", "mp-locked-cli"); r.code != 1 || r.stdout != "" {
			t.Fatalf("the item is still there after clear: %+v", r)
		}
	})
}

// TestKeePassXCLockedIsNotEmpty: on a locked KeePassXC database (whose
// search answers "no items"), lookup no longer exits 1 quietly as if
// nothing were stored: it asks KeePassXC to unlock, which shows its unlock
// dialog, and says so when nobody answers it; search without --unlock says
// the collection is locked.
func TestKeePassXCLockedIsNotEmpty(t *testing.T) {
	env, ss := providerEnv(t, testpeer.KeePassXCProvider)
	must(t, mp(t, env, "behind the lock", "store", "--label=K", "app", "mp-kpxc-locked"), 0)
	ss.KeePassXC.Lock(t)
	r := must(t, mp(t, env, "", "--timeout", "3s", "lookup", "app", "mp-kpxc-locked"), 1)
	if r.stdout != "" || !strings.Contains(r.stderr, "Unlock") || !strings.Contains(r.stderr, "timed out") {
		t.Fatalf("lookup on a locked KeePassXC database: %+v; want the unlock prompt's timeout", r)
	}
	r = must(t, mp(t, env, "", "--timeout", "10s", "search", "app", "mp-kpxc-locked"), 1)
	if !strings.Contains(r.stderr, "locked") {
		t.Fatalf("search on a locked KeePassXC database: %+v; want a locked error", r)
	}
	ss.KeePassXC.Unlock(t)
	if got := must(t, mp(t, env, "", "lookup", "app", "mp-kpxc-locked"), 0).stdout; got != "behind the lock" {
		t.Fatalf("lookup after unlocking = %q", got)
	}
}

// TestProviderList: list and list --json show every item on every provider
// (KeePassXC's answer to an empty search is empty).
func TestProviderList(t *testing.T) {
	forEachProvider(t, func(t *testing.T, env []string, _ *testpeer.SecretService) {
		must(t, mp(t, env, "a", "store", "--label=Listed one", "app", "mp-list", "n", "1"), 0)
		must(t, mp(t, env, "b", "store", "--label=Listed two", "app", "mp-list", "n", "2"), 0)
		for _, args := range [][]string{{"list"}, {"list", "--json"}} {
			r := must(t, mp(t, env, "", args...), 0)
			if !strings.Contains(r.stdout, "Listed one") || !strings.Contains(r.stdout, "Listed two") {
				t.Fatalf("moneypenny %s:\n%s", strings.Join(args, " "), r.stdout)
			}
		}
	})
}
