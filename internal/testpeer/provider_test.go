package testpeer_test

import (
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestStartProvider starts each provider on its own bus and checks that
// the default alias names the collection the harness reports, unlocked.
func TestStartProvider(t *testing.T) {
	for _, p := range testpeer.Providers() {
		t.Run(string(p), func(t *testing.T) {
			b := testpeer.NewBus(t)
			s := b.StartProvider(t, p)
			conn := b.Conn(t)
			var alias string
			if err := conn.Object(testpeer.SecretsName, testpeer.SecretsPath).CallWithContext(t.Context(),
				"org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&alias); err != nil {
				t.Fatalf("ReadAlias: %v", err)
			}
			if alias != string(s.Collection) {
				t.Fatalf("default alias %q, harness reports %q", alias, s.Collection)
			}
			if s.Pid() <= 0 {
				t.Fatal("no pid")
			}
		})
	}
}
