package vault_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/vaulttest"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/windows"
)

// openCredman opens the real Credential Manager (Wine's, under
// scripts/wine) with a target prefix private to this run.
func openCredman(t *testing.T, prefix string) secret.Store {
	st, err := windows.Open(vaulttest.Ctx(t), windows.WithTargetPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func credmanPrefix(t *testing.T) string {
	prefix := "mpvault" + vaulttest.UniqueScope(t, "x")[2:] + ":"
	t.Cleanup(func() {
		st, err := windows.Open(vaulttest.Ctx(t), windows.WithTargetPrefix(prefix))
		if err == nil {
			_, _ = st.Delete(vaulttest.Ctx(t), secret.Attributes{"xdg:schema": vault.KeyringSchema})
			_, _ = st.Delete(vaulttest.Ctx(t), secret.Attributes{"xdg:schema": vault.SingleEntrySchema})
			st.Close()
		}
	})
	return prefix
}

func TestKeyringEngineOnCredentialManager(t *testing.T) {
	prefix := credmanPrefix(t)
	vaulttest.Run(t, func(t *testing.T) vault.Engine { return vault.NewKeyringEngine(openCredman(t, prefix)) })
}

func TestSingleEntryOnCredentialManager(t *testing.T) {
	prefix := credmanPrefix(t)
	vaulttest.Run(t, func(t *testing.T) vault.Engine {
		e, err := vault.OpenSingleEntry(openCredman(t, prefix), "suite")
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

// TestSingleEntryFitsCredentialManager: the whole entry is stored with the
// windows package's chunking up to its 200 KiB limit; the write that would
// pass it fails with ErrTooLarge, says so, and changes nothing.
func TestSingleEntryFitsCredentialManager(t *testing.T) {
	prefix := credmanPrefix(t)
	ctx := vaulttest.Ctx(t)
	e, err := vault.OpenSingleEntry(openCredman(t, prefix), "big")
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(e)
	defer v.Close()
	big := func(b byte) *secret.Value {
		return secret.New([]byte(strings.Repeat(string(rune(b)), 60<<10)))
	}
	for i, p := range []string{"global/a", "global/b"} {
		if err := v.Set(ctx, vault.MustParsePath(p), big(byte('a'+i))); err != nil {
			t.Fatalf("entry of %d large secrets: %v", i+1, err)
		}
	}
	err = v.Set(ctx, vault.MustParsePath("global/c"), big('c'))
	if !errors.Is(err, secret.ErrTooLarge) || !strings.Contains(err.Error(), "credential-manager") || !strings.Contains(err.Error(), "204800") {
		t.Fatalf("entry over the Credential Manager's limit = %v", err)
	}
	fresh, err := vault.OpenSingleEntry(openCredman(t, prefix), "big")
	if err != nil {
		t.Fatal(err)
	}
	w := vault.New(fresh)
	defer w.Close()
	ms, err := w.List(ctx, "")
	if err != nil || len(ms) != 2 {
		t.Fatalf("stored entry after the refused write: %v, %v", ms, err)
	}
	got, err := w.GetValue(ctx, vault.MustParsePath("global/b"))
	if err != nil || got.Len() != 60<<10 || got.Bytes()[0] != 'b' {
		t.Fatalf("read back through the chunks: %d bytes, %v", got.Len(), err)
	}
}
