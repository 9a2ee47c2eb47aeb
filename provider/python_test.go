package provider

import (
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestSecretStorage runs python SecretStorage 3.3 against the provider:
// DH session, default and session aliases, a binary secret with its content
// type, replace, Properties.Set of label and attributes, SetSecret,
// service-wide search, CreateCollection with the label escaped into the
// path, Lock and a prompted Unlock, a LockedException for a locked item,
// item and collection Delete, and NoSuchObject for a missing collection.
func TestSecretStorage(t *testing.T) {
	py := testpeer.Need(t, "/usr/bin/python3")[0]
	s := serve(t, nil, Options{})
	out, err := s.run(t, "", py, "testdata/secretstorage_check.py")
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("secretstorage_check.py: %q %v", out, err)
	}
}

// TestLibsecretGI runs libsecret itself (through python-gi): the password
// API with a schema (store, replace, lookup, clear), the Service object with
// an encrypted session, a search that loads secrets and unlocks, the
// collections' labels and the default alias.
func TestLibsecretGI(t *testing.T) {
	py := testpeer.Need(t, "/usr/bin/python3")[0]
	s := serve(t, nil, Options{})
	out, err := s.run(t, "", py, "testdata/libsecret_gi_check.py")
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("libsecret_gi_check.py: %q %v", out, err)
	}
}
