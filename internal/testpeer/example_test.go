package testpeer_test

import (
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// A test that stores a secret from inside a fake Flatpak with libsecret's
// secret-tool, which finds the Secret portal, takes the app's key from it
// and writes the app's own file keyring.
func Example() {
	testInSandbox := func(t *testing.T) {
		b := testpeer.NewBus(t)
		b.StartGnomeKeyring(t, "login-password") // the portal's secrets live here
		b.StartPortal(t)
		app := b.Flatpak(t, "org.example.App")

		store := app.Command(t.Context(), "secret-tool", "store", "--label=Token", "service", "example")
		store.Stdin = strings.NewReader("s3cret")
		if out, err := store.CombinedOutput(); err != nil {
			t.Fatalf("secret-tool store: %v\n%s", err, out)
		}
		// The file is at app.KeyringPath(), keyed by the app's portal
		// secret; the host's keyring never saw the item.
	}
	_ = testInSandbox
}

// A test of an unlock prompt: gnome-keyring has no login keyring, so
// creating and unlocking collections goes through the scripted prompter.
func ExampleBus_StartPrompter() {
	testUnlock := func(t *testing.T) {
		b := testpeer.NewBus(t)
		b.StartGnomeKeyringWithoutLogin(t)
		prompter := b.StartPrompter(t, testpeer.AcceptPrompts("collection-password"))

		// ... the code under test calls CreateCollection or Unlock and
		// runs the prompt it gets back ...

		for _, p := range prompter.Prompts() {
			t.Logf("%s prompt %q (attempt %d)", p.Type, p.Message, p.Attempt)
		}
		prompter.SetAnswer(testpeer.DismissPrompts) // from now on the user says no
	}
	_ = testUnlock
}
