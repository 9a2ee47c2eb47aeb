package dbusservice

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// loginPassword unlocks the throwaway login keyring of every test daemon.
const loginPassword = "login-pw-\u2713"

// keyring is a real gnome-keyring-daemon (secrets component only) on a
// private bus, with a login collection unlocked by loginPassword and the
// "default" alias pointing at it, optionally with the scripted prompter.
type keyring struct {
	t         testing.TB
	bus       *testpeer.Bus
	daemon    *testpeer.GnomeKeyring
	promptLog string
}

type peerConfig struct {
	// prompter starts testdata/prompter.py; without it gnome-keyring finds
	// no prompter and every prompt completes at once as dismissed.
	prompter bool
	// cancel makes the prompter press Cancel.
	cancel bool
	// promptPassword is what the prompter types (default loginPassword).
	promptPassword string
	// noLogin starts the daemon without a login keyring: no collection has
	// the "default" alias.
	noLogin bool
	// holdPrompts makes the prompter answer only after releasePrompts, so a
	// prompt stays pending meanwhile.
	holdPrompts bool
}

func startKeyring(t *testing.T, cfg peerConfig) *keyring { return startKeyringCfg(t, cfg) }

// startKeyringTB is startKeyring without a prompter, for benchmarks.
func startKeyringTB(tb testing.TB) *keyring { return startKeyringCfg(tb, peerConfig{}) }

func startKeyringCfg(t testing.TB, cfg peerConfig) *keyring {
	t.Helper()
	testpeer.Need(t, "dbus-daemon", "gnome-keyring-daemon")
	bus := testpeer.NewBus(t)
	k := &keyring{t: t, bus: bus}
	if cfg.prompter {
		k.startPrompter(cfg)
	}
	if cfg.noLogin {
		k.daemon = bus.StartGnomeKeyringWithoutLogin(t)
	} else {
		k.daemon = bus.StartGnomeKeyring(t, loginPassword)
	}
	return k
}

// startPrompter runs testdata/prompter.py and waits until it owns its name.
func (k *keyring) startPrompter(cfg peerConfig) {
	t := k.t
	t.Helper()
	const python = "/usr/bin/python3" // Debian's, which sees python3-gi
	if _, err := os.Stat(python); err != nil {
		testpeer.Missing(t, "/usr/bin/python3 (the prompter needs Debian's python3-gi)")
	}
	if out, err := exec.Command(python, "-c", "import gi; gi.require_version('Gcr', '3')").CombinedOutput(); err != nil {
		testpeer.Missing(t, "python3-gi with gir1.2-gcr-3 for the scripted prompter: "+strings.TrimSpace(string(out)))
	}
	script, err := filepath.Abs(filepath.Join("testdata", "prompter.py"))
	if err != nil {
		t.Fatal(err)
	}
	pw := cfg.promptPassword
	if pw == "" {
		pw = loginPassword
	}
	reply := "yes"
	if cfg.cancel {
		reply = "no"
	}
	k.promptLog = filepath.Join(k.bus.Dir, "prompts.log")
	cmd := exec.Command(python, script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PROMPT_PASSWORD=" + pw, "PROMPT_REPLY=" + reply, "PROMPT_LOG=" + k.promptLog}
	if cfg.holdPrompts {
		env = append(env, "PROMPT_HOLD_FILE="+k.holdFile())
	}
	k.bus.Start("prompter", cmd, env...)
	ready := make(chan bool, 1)
	go func() {
		s := bufio.NewScanner(out)
		ready <- s.Scan() && s.Text() == "ready"
		for s.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("prompter did not start:\n%s", k.bus.Log("prompter"))
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("prompter not ready within 15s:\n%s", k.bus.Log("prompter"))
	}
}

func (k *keyring) holdFile() string { return filepath.Join(k.bus.Dir, "release-prompts") }

// releasePrompts lets a prompter started with holdPrompts answer.
func (k *keyring) releasePrompts() {
	k.t.Helper()
	if err := os.WriteFile(k.holdFile(), nil, 0o600); err != nil {
		k.t.Fatal(err)
	}
}

// prompts returns the prompter's log lines ("password yes", "confirm no").
func (k *keyring) prompts() []string {
	data, _ := os.ReadFile(k.promptLog)
	return strings.Fields(strings.ReplaceAll(string(data), " ", "_"))
}

// connect opens a Service on the daemon's bus, closed when the test ends.
func (k *keyring) connect(opts ...Option) *Service {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := Connect(ctx, append([]Option{WithAddress(k.bus.Address)}, opts...)...)
	if err != nil {
		k.t.Fatalf("Connect: %v", err)
	}
	k.t.Cleanup(func() { _ = s.Close() })
	return s
}

type toolError struct {
	err    error
	stderr string
}

func (e *toolError) Error() string { return e.err.Error() + ": " + e.stderr }

// testCtx is a context for one test step, generous because the machine is
// small and shared.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noMatchRulesLeft fails if s still has match rules registered, so tests
// can check that prompts and watches remove theirs. It fails as well when
// the bus cannot count them (testpeer.MatchRules): a check that cannot look
// must not pass.
func noMatchRulesLeft(t testing.TB, s *Service) {
	t.Helper()
	if n := testpeer.MatchRules(t, s.conn, uniqueName(s)); n != 0 {
		t.Fatalf("%d match rules left on the connection", n)
	}
}

// defaultCollection returns s's default collection or ends the test.
func defaultCollection(t testing.TB, ctx context.Context, s *Service) *Collection {
	t.Helper()
	c, err := s.DefaultCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
