package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// sameLines compares two outputs line by line in any order: secret-tool
// prints attributes in its hash table's order (moneypenny sorts them).
func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	slices.Sort(la)
	slices.Sort(lb)
	return slices.Equal(la, lb)
}

// hostEnv is an environment whose session bus runs a real, unlocked
// gnome-keyring: moneypenny picks the Secret Service on its own, and
// secret-tool talks to the same daemon.
func hostEnv(t *testing.T) []string {
	t.Helper()
	testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	bus := testpeer.NewBus(t)
	bus.StartGnomeKeyring(t, "login password")
	return bus.Env("MONEYPENNY_UNLOCK_CACHE=0")
}

// TestHostDefaultIsSecretService: on every provider, moneypenny picks the
// Secret Service on its own and shares items with secret-tool both ways.
func TestHostDefaultIsSecretService(t *testing.T) {
	forEachProvider(t, func(t *testing.T, env []string, _ *testpeer.SecretService) {
		r := must(t, mp(t, env, "", "diagnose"), 0)
		if !strings.Contains(r.stdout, "secret-service") {
			t.Fatalf("diagnose does not pick the Secret Service:\n%s", r.stdout)
		}
		must(t, mp(t, env, "s3cret\n", "store", "--label=Host item", "service", "mp-host", "username", "alice"), 0)
		if got := must(t, secretTool(t, env, "", "lookup", "service", "mp-host"), 0).stdout; got != "s3cret\n" {
			t.Fatalf("secret-tool reads %q", got)
		}
		must(t, secretTool(t, env, "theirs", "store", "--label=Theirs", "service", "mp-host2", "username", "bob"), 0)
		if got := must(t, mp(t, env, "", "lookup", "username", "bob"), 0).stdout; got != "theirs" {
			t.Fatalf("moneypenny reads %q", got)
		}
		// secret-tool's search output and ours agree on the same item.
		theirs := secretTool(t, env, "", "search", "service", "mp-host2")
		ours := mp(t, env, "", "search", "service", "mp-host2")
		if ours.code != 0 || ours.stdout != theirs.stdout || !sameLines(ours.stderr, theirs.stderr) {
			t.Fatalf("search differs:\nsecret-tool:\n%s%s\nmoneypenny:\n%s%s", theirs.stdout, theirs.stderr, ours.stdout, ours.stderr)
		}
		must(t, mp(t, env, "", "clear", "service", "mp-host"), 0)
		if r := secretTool(t, env, "", "lookup", "service", "mp-host"); r.code != 1 || r.stdout != "" {
			t.Fatalf("item still there after clear: %+v", r)
		}
		if r := mp(t, env, "", "lookup", "service", "mp-host"); r.code != 1 || r.stdout != "" {
			t.Fatalf("lookup of nothing: %+v", r)
		}
	})
}

func TestHostCollectionFlag(t *testing.T) {
	env := hostEnv(t)
	must(t, mp(t, env, "in session", "--collection", "session", "store", "--label=S", "app", "mp-coll"), 0)
	r := must(t, mp(t, env, "", "--collection", "session", "list"), 0)
	if !strings.Contains(r.stdout, "/collection/session/") {
		t.Fatalf("item not in the session collection:\n%s", r.stdout)
	}
	if got := must(t, mp(t, env, "", "--collection", "session", "lookup", "app", "mp-coll"), 0).stdout; got != "in session" {
		t.Fatalf("lookup in session = %q", got)
	}
	if r := mp(t, env, "", "lookup", "app", "mp-coll"); r.code != 1 {
		t.Fatalf("the default collection has the session item: %+v", r)
	}
}

func TestForcedSecretServiceWithoutBus(t *testing.T) {
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MONEYPENNY_BACKEND=secret-service"}
	r := mp(t, env, "", "lookup", "a", "b")
	if r.code == 0 || !strings.Contains(r.stderr, "bus") {
		t.Fatalf("forced secret-service without a bus: %+v", r)
	}
}

// TestHostLockUnlockThroughPrompts: lock, then reads unlock through the
// (scripted) prompt as libsecret does; a dismissed prompt is its own error.
func TestHostLockUnlockThroughPrompts(t *testing.T) {
	testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	bus := testpeer.NewBus(t)
	bus.StartGnomeKeyring(t, "login password")
	prompter := bus.StartPrompter(t, testpeer.AcceptPrompts("login password"))
	env := bus.Env("MONEYPENNY_UNLOCK_CACHE=0")

	must(t, mp(t, env, "locked secret", "store", "--label=L", "app", "mp-lock"), 0)
	must(t, mp(t, env, "", "lock"), 0)
	if r := must(t, secretTool(t, env, "", "search", "app", "mp-lock"), 0); !strings.Contains(r.stdout, "label = L") || strings.Contains(r.stdout, "locked secret") {
		t.Fatalf("after lock, secret-tool search shows:\n%s", r.stdout)
	}
	// lookup unlocks through the prompt.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prompts shown: %+v\nprompter trace:\n%s", prompter.Prompts(), strings.Join(prompter.Trace(), "\n"))
		}
	})
	if got := must(t, mp(t, env, "", "lookup", "app", "mp-lock"), 0).stdout; got != "locked secret" {
		t.Fatalf("lookup after lock = %q", got)
	}
	if len(prompter.Prompts()) == 0 {
		t.Fatal("no unlock prompt was shown")
	}
	must(t, mp(t, env, "", "lock"), 0)
	prompter.SetAnswer(testpeer.DismissPrompts)
	r := mp(t, env, "", "unlock")
	if r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "dismiss") {
		t.Fatalf("unlock with a dismissed prompt: %+v", r)
	}
	prompter.SetAnswer(testpeer.AcceptPrompts("login password"))
	must(t, mp(t, env, "", "unlock"), 0)
	r = must(t, mp(t, env, "", "search", "--unlock", "--all", "app", "mp-lock"), 0)
	if !strings.Contains(r.stdout, "secret = locked secret") {
		t.Fatalf("search --unlock:\n%s", r.stdout)
	}
}
