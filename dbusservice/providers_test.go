package dbusservice

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// provider is one Secret Service implementation running on a private bus,
// for the tests that must hold on every provider users run (gnome-keyring,
// KeePassXC, KWallet).
type provider struct {
	t   testing.TB
	bus *testpeer.Bus
	ss  *testpeer.SecretService
}

// forEachProvider runs f as one subtest per provider, each with its own
// bus and a freshly started provider. Under CI=true a provider that is not
// installed fails its subtest.
func forEachProvider(t *testing.T, f func(t *testing.T, p *provider)) {
	for _, name := range testpeer.Providers() {
		t.Run(string(name), func(t *testing.T) {
			f(t, startProvider(t, name))
		})
	}
}

func startProvider(t testing.TB, name testpeer.Provider) *provider {
	t.Helper()
	testpeer.Need(t, "dbus-daemon")
	bus := testpeer.NewBus(t)
	p := &provider{t: t, bus: bus, ss: bus.StartProvider(t, name)}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, tailString(p.ss.Log(), 4000))
		}
	})
	return p
}

func (p *provider) is(name testpeer.Provider) bool { return p.ss.Provider == name }

// connect opens a Service on the provider's bus, closed when the test ends.
func (p *provider) connect(opts ...Option) *Service {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := Connect(ctx, append([]Option{WithAddress(p.bus.Address)}, opts...)...)
	if err != nil {
		p.t.Fatalf("Connect: %v", err)
	}
	p.t.Cleanup(func() { _ = s.Close() })
	return s
}

// open opens the default collection on a connection of its own.
func (p *provider) open(t testing.TB, opts ...Option) *Collection {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := OpenCollection(ctx, "default", append([]Option{WithAddress(p.bus.Address)}, opts...)...)
	if err != nil {
		t.Fatalf("OpenCollection: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// tool runs a command (secret-tool, python) against the provider's bus.
// A tool gets toolTimeout: a provider's dialog nobody can answer headlessly
// must fail the test, not hang it. A run that hit the client library's own
// incompatibility with kwalletd (libsecret sends its DH key unpadded about
// one time in 256, and kwalletd refuses keys shorter than 128 bytes;
// SecretStorage pads the shared secret, kwalletd does not) is run again.
func (p *provider) tool(stdin string, name string, args ...string) (string, error) {
	for range 3 {
		out, err := p.toolOnce(stdin, name, args...)
		var te *toolError
		if !errors.As(err, &te) || !strings.Contains(te.stderr, libsecretShortKey) && !strings.Contains(te.stderr, kwalletKeyMismatch) {
			return out, err
		}
		p.t.Logf("%s: the client library and kwalletd disagreed on the DH session; running it again", name)
	}
	return p.toolOnce(stdin, name, args...)
}

// libsecretShortKey is kwalletd's answer to libsecret's unpadded DH key;
// kwalletKeyMismatch its answer to a secret it could not decrypt, which
// SecretStorage meets when the shared secret has a leading zero byte
// (SecretStorage pads it, kwalletd does not).
const (
	libsecretShortKey  = "Client public key size is invalid"
	kwalletKeyMismatch = "Can't find session"
)

func (p *provider) toolOnce(stdin string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.bus.Env()
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &toolError{err: err, stderr: stderr.String()}
	}
	return string(out), nil
}

// toolTimeout bounds one run of secret-tool or python against a provider.
const toolTimeout = 30 * time.Second

func tailString(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
