package testpeer

import (
	"testing"

	"github.com/godbus/dbus/v5"
)

// Provider names a Secret Service implementation the harness can start.
// Linux desktop users run all three; the client must be correct on each.
type Provider string

// The providers StartProvider knows.
const (
	GnomeKeyringProvider Provider = "gnome-keyring"
	KeePassXCProvider    Provider = "keepassxc"
	KWalletProvider      Provider = "kwallet"
)

// Providers lists every provider, for tests that run on each (the
// "provider matrix"): range over it and t.Run one subtest per provider.
func Providers() []Provider {
	return []Provider{GnomeKeyringProvider, KeePassXCProvider, KWalletProvider}
}

// SecretService is a running provider on a Bus: its default collection is
// unlocked and ready for items.
type SecretService struct {
	Provider Provider
	Bus      *Bus
	// Collection is the collection the "default" alias names.
	Collection dbus.ObjectPath

	// Exactly one of these is set.
	GnomeKeyring *GnomeKeyring
	KeePassXC    *KeePassXC
	KWallet      *KWallet
}

// GnomeKeyringPassword is the login keyring password StartProvider gives
// gnome-keyring.
const GnomeKeyringPassword = "login-pw-\u2713"

// StartProvider starts p on b with an unlocked default collection. A
// provider that is not installed skips the test, or fails it under CI=true.
func (b *Bus) StartProvider(t testing.TB, p Provider) *SecretService {
	t.Helper()
	s := &SecretService{Provider: p, Bus: b}
	switch p {
	case GnomeKeyringProvider:
		s.GnomeKeyring = b.StartGnomeKeyring(t, GnomeKeyringPassword)
		c, err := s.GnomeKeyring.DefaultCollection(t.Context())
		if err != nil {
			t.Fatalf("testpeer: gnome-keyring's default collection: %v", err)
		}
		s.Collection = c
	case KeePassXCProvider:
		s.KeePassXC = b.StartKeePassXC(t, KeePassXCOptions{})
		s.Collection = s.KeePassXC.Collection
	case KWalletProvider:
		s.KWallet = b.StartKWallet(t, KWalletOptions{})
		s.Collection = s.KWallet.Collection
	default:
		t.Fatalf("testpeer: unknown provider %q", p)
	}
	return s
}

// Pid is the provider's process id.
func (s *SecretService) Pid() int {
	switch {
	case s.GnomeKeyring != nil:
		return s.GnomeKeyring.Pid()
	case s.KeePassXC != nil:
		return s.KeePassXC.Pid()
	default:
		return s.KWallet.Pid()
	}
}

// Log returns the provider's output so far.
func (s *SecretService) Log() string {
	switch {
	case s.GnomeKeyring != nil:
		return s.GnomeKeyring.Log()
	case s.KeePassXC != nil:
		return s.KeePassXC.Log()
	default:
		return s.KWallet.Log()
	}
}

// CannotHeadlessly skips a test for something this provider cannot do
// without a person at its GUI, naming the provider and the reason. It is a
// skip under CI=true too: no installation could make it pass.
func (s *SecretService) CannotHeadlessly(t testing.TB, what, why string) {
	t.Helper()
	t.Skipf("%s cannot %s headlessly: %s", s.Provider, what, why)
}
