package keyring

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/keyctl"
)

// A password supplied through MONEYPENNY_PASSWORD or WithPassword is checked
// by key derivation even when a password function is set and the unlock
// cache holds the key; only when none is supplied does the cache spare the
// password function.
func TestUnlockCacheChecksSuppliedPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := keyctl.Probe(ctx); err != nil {
		testpeer.Missing(t, "kernel keyrings: "+err.Error())
	}
	path := filepath.Join(t.TempDir(), "cache.keyring")
	asked := 0
	prompt := WithPasswordFunc(func(context.Context) ([]byte, error) {
		asked++
		return []byte("right"), nil
	})
	open := func(opts ...Option) (*Keyring, error) {
		base := []Option{WithBackend(File), WithPath(path), WithUnlockCache(time.Minute), WithEnv(envMap("HOME", t.TempDir()))}
		return Open(ctx, append(base, opts...)...)
	}
	kr, err := open(WithPassword([]byte("right")))
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.SetPassword(ctx, "svc", "user", []byte("s")); err != nil {
		t.Fatal(err)
	}
	fk := kr.Store()
	defer func() {
		if l, ok := fk.(interface{ Lock(context.Context) error }); ok {
			_ = l.Lock(ctx) // drop the cache entry
		}
	}()
	kr.Close()

	for name, opt := range map[string]Option{
		"WithPassword":        WithPassword([]byte("wrong")),
		"MONEYPENNY_PASSWORD": WithEnv(envMap("HOME", t.TempDir(), "MONEYPENNY_PASSWORD", "wrong")),
	} {
		if _, err := open(opt, prompt); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("a wrong password from %s with a warm cache: %v, want ErrWrongPassword", name, err)
		}
	}
	kr, err = open(prompt)
	if err != nil || asked != 0 {
		t.Fatalf("no password supplied, warm cache: %v, asked %d times; want no prompt", err, asked)
	}
	kr.Close()
	if _, err := open(WithPassword(nil)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("WithPassword(empty): %v, want ErrInvalidArgument", err)
	}
}
