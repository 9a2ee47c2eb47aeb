package portal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moneypenny-go/keyring/secret"
)

// KeyringPath returns the file libsecret's file backend uses inside a
// sandbox: $XDG_DATA_HOME/keyrings/default.keyring, with XDG_DATA_HOME
// defaulting to ~/.local/share. Inside a Flatpak, XDG_DATA_HOME is the app's
// own ~/.var/app/<id>/data, so this is the same file AppKeyringPath names
// from the outside. A relative XDG_DATA_HOME is ignored, as the XDG spec
// requires.
//
// KeyringPath is KeyringPathIn(os.Getenv).
func KeyringPath() (string, error) { return KeyringPathIn(os.Getenv) }

// KeyringPathIn is KeyringPath reading the environment through getenv (nil
// means os.Getenv). The home directory is $HOME, as os.UserHomeDir has it on
// Linux, the only system with the portal.
func KeyringPathIn(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	data := getenv("XDG_DATA_HOME")
	if !filepath.IsAbs(data) {
		home := getenv("HOME")
		if home == "" {
			return "", fmt.Errorf("portal: keyring path: neither XDG_DATA_HOME nor HOME is set: %w", secret.ErrUnavailable)
		}
		data = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(data, "keyrings", "default.keyring"), nil
}

// AppKeyringPath returns where a Flatpak app's file keyring lives, seen from
// the host: home/.var/app/<appID>/data/keyrings/default.keyring. appID is used
// as one path element; check untrusted ids with ValidAppID first.
func AppKeyringPath(home, appID string) string {
	return filepath.Join(home, ".var", "app", appID, "data", "keyrings", "default.keyring")
}

// ValidAppID checks an id against Flatpak's rules for application ids
// (flatpak_is_valid_name): at most 255 bytes, at least three dot-separated
// elements, each non-empty and made of [A-Za-z0-9_-], none starting with a
// digit (only the last may contain '-'; newer Flatpak tolerates '-' anywhere,
// so this accepts it anywhere). It keeps a caller from turning "../x" into a
// path outside ~/.var/app.
func ValidAppID(appID string) error {
	bad := func(why string) error {
		return fmt.Errorf("portal: app id %q: %s: %w", appID, why, secret.ErrInvalidArgument)
	}
	if appID == "" || len(appID) > 255 {
		return bad("must be 1 to 255 bytes")
	}
	elems := strings.Split(appID, ".")
	if len(elems) < 3 {
		return bad("needs at least three dot-separated elements")
	}
	for _, e := range elems {
		if e == "" {
			return bad("empty element")
		}
		if e[0] >= '0' && e[0] <= '9' {
			return bad("an element starts with a digit")
		}
		for i := 0; i < len(e); i++ {
			c := e[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return bad("only A-Z a-z 0-9 _ - are allowed")
			}
		}
	}
	return nil
}
