// Package vaulttest is the behavioural contract every writable vault.Engine
// must meet, run through a vault.Vault: round trip with metadata, created_at
// kept on overwrite, UpdateValue keeping metadata, expiry (an error, never a
// deletion), Delete and Exists, List by scope without values, fallback order,
// conditional writes, a second writer on the same store, the value limit and
// Expand. The keyring, single-entry and remote engines all run it.
//
// Each subtest works under a scope of its own (UniqueScope), so the suite can
// run against a shared store (a real gnome-keyring, a Vault server) without
// touching anything else in it.
package vaulttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// Clock is a settable time source for expiry tests: pass Now to
// vault.WithClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at 2026-03-01 12:00 UTC.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Ctx is a context for one test: a minute, cancelled when it ends.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// UniqueScope returns base plus a random segment: a scope no other test (or
// earlier run) uses, so the suite can run against a shared store.
func UniqueScope(t testing.TB, base string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return base + "/t" + hex.EncodeToString(b[:])
}

// MustPath is vault.NewPath that fails the test on error.
func MustPath(t testing.TB, scope, name string) vault.Path {
	t.Helper()
	p, err := vault.NewPath(scope, name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Factory opens a fresh engine on the store under test; every engine it
// returns must see the same records (two Vaults on one store act as two
// processes). The suite closes them.
type Factory func(t *testing.T) vault.Engine

// Options are what a store may differ in.
type Options struct {
	// MaxValue is the value limit to run with (the kernel keyring holds
	// less than vault.DefaultMaxValueSize); 0 keeps the default.
	MaxValue int
}

// Run runs the suite against the engines open returns.
func Run(t *testing.T, open Factory, opts ...Options) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	max := vault.DefaultMaxValueSize
	if o.MaxValue > 0 {
		max = o.MaxValue
	}
	newVault := func(t *testing.T) (*vault.Vault, *Clock) {
		c := NewClock()
		v := vault.New(open(t), vault.WithClock(c.Now), vault.WithMaxValueSize(max))
		t.Cleanup(func() { v.Close() })
		return v, c
	}
	t.Run("RoundTripWithMetadata", func(t *testing.T) {
		v, c := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "org"), "openai_api_key")
		val := []byte("\x00\x01\xffsEcReT")
		exp := c.Now().Add(90 * 24 * time.Hour)
		if err := v.Set(ctx, p, secret.New(append([]byte(nil), val...)), vault.WithProvider("openai"), vault.ExpiresAt(exp)); err != nil {
			t.Fatal(err)
		}
		s, err := v.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Wipe()
		if !bytes.Equal(s.Value.Bytes(), val) {
			t.Fatalf("value = %x, want %x", s.Value.Bytes(), val)
		}
		if s.Path != p || s.Provider != "openai" || !s.ExpiresAt.Equal(exp) || !s.CreatedAt.Equal(c.Now()) || !s.UpdatedAt.Equal(c.Now()) {
			t.Fatalf("metadata = %+v", s.Metadata)
		}
		if out := fmt.Sprintf("%v %+v %#v", s, s, s); strings.Contains(out, "sEcReT") {
			t.Fatalf("%%v of a Secret shows the value: %s", out)
		}
	})
	t.Run("SetKeepsCreatedAt", func(t *testing.T) {
		v, c := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "project"), "webhook_secret")
		created := c.Now()
		if err := v.Set(ctx, p, secret.NewString("one"), vault.WithProvider("github")); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Hour)
		if err := v.Set(ctx, p, secret.NewString("two")); err != nil {
			t.Fatal(err)
		}
		s, err := v.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if string(s.Value.Bytes()) != "two" || !s.CreatedAt.Equal(created) || !s.UpdatedAt.Equal(c.Now()) || s.Provider != "" {
			t.Fatalf("after overwrite: %q %+v (created should stay %v; Set replaces the provider)", s.Value.Bytes(), s.Metadata, created)
		}
		list, err := v.List(ctx, p.Scope())
		if err != nil || len(list) != 1 {
			t.Fatalf("an overwrite left %d records (%v)", len(list), err)
		}
	})
	t.Run("UpdateValueKeepsMetadata", func(t *testing.T) {
		v, c := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "user"), "personal_token")
		exp := c.Now().Add(24 * time.Hour)
		created := c.Now()
		if err := v.Set(ctx, p, secret.NewString("v1"), vault.WithProvider("gitlab"), vault.ExpiresAt(exp)); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
		if err := v.UpdateValue(ctx, p, secret.NewString("v2")); err != nil {
			t.Fatal(err)
		}
		s, err := v.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if string(s.Value.Bytes()) != "v2" || s.Provider != "gitlab" || !s.ExpiresAt.Equal(exp) || !s.CreatedAt.Equal(created) || !s.UpdatedAt.Equal(c.Now()) {
			t.Fatalf("after UpdateValue: %q %+v", s.Value.Bytes(), s.Metadata)
		}
		missing := MustPath(t, p.Scope(), "missing")
		if err := v.UpdateValue(ctx, missing, secret.NewString("x")); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("UpdateValue of a missing secret = %v, want ErrNotFound", err)
		}
	})
	t.Run("ExpiredIsAnErrorAndKept", func(t *testing.T) {
		v, c := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "org"), "short_lived")
		if err := v.Set(ctx, p, secret.NewString("soon gone"), vault.ExpiresIn(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Get(ctx, p); err != nil {
			t.Fatalf("Get before expiry: %v", err)
		}
		c.Advance(time.Hour)
		_, err := v.Get(ctx, p)
		var ee *vault.ExpiredError
		if !errors.Is(err, vault.ErrExpired) || !errors.As(err, &ee) || ee.Path != p {
			t.Fatalf("Get at expiry = %v, want an ExpiredError for %s", err, p)
		}
		if strings.Contains(err.Error(), "soon gone") {
			t.Fatal("the error shows the value")
		}
		if ok, err := v.Exists(ctx, p); !ok || err != nil {
			t.Fatalf("Exists after expiry = %v, %v: reading must not delete", ok, err)
		}
		list, _ := v.List(ctx, p.Scope())
		if len(list) != 1 || !list[0].Expired(c.Now()) {
			t.Fatalf("List after expiry = %+v", list)
		}
		// Renewal in place: UpdateValue works on an expired secret and
		// keeps its expiry, Set with a new expiry revives it.
		if err := v.Set(ctx, p, secret.NewString("renewed"), vault.ExpiresIn(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Get(ctx, p); err != nil {
			t.Fatalf("Get after renewal: %v", err)
		}
	})
	t.Run("DeleteAndExists", func(t *testing.T) {
		v, _ := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "global"), "jwt_signing_key")
		if ok, err := v.Exists(ctx, p); ok || err != nil {
			t.Fatalf("Exists before Set = %v, %v", ok, err)
		}
		if err := v.Set(ctx, p, secret.NewString("k")); err != nil {
			t.Fatal(err)
		}
		if ok, err := v.Exists(ctx, p); !ok || err != nil {
			t.Fatalf("Exists after Set = %v, %v", ok, err)
		}
		if err := v.Delete(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Get(ctx, p); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
		}
		if err := v.Delete(ctx, p); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("second Delete = %v, want ErrNotFound", err)
		}
	})
	t.Run("ListScopeMetadataOnly", func(t *testing.T) {
		v, _ := newVault(t)
		ctx := Ctx(t)
		base := UniqueScope(t, "org")
		for _, p := range []string{base + "/a", base + "/team/b", base + "x/c", base + "/d"} {
			if err := v.Set(ctx, vault.MustParsePath(p), secret.NewString("value-of-"+p), vault.WithProvider("prov")); err != nil {
				t.Fatal(err)
			}
		}
		list, err := v.List(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range list {
			got = append(got, m.Path.String())
			if m.Provider != "prov" || m.CreatedAt.IsZero() {
				t.Errorf("listed metadata %+v", m)
			}
		}
		want := []string{base + "/a", base + "/d", base + "/team/b"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("List(%s) = %v, want %v (sorted, sub-scopes in, %sx out)", base, got, want, base)
		}
		if out := fmt.Sprintf("%+v", list); strings.Contains(out, "value-of-") {
			t.Fatalf("List shows values: %s", out)
		}
		if _, err := v.List(ctx, "org/../x"); !errors.Is(err, secret.ErrInvalidArgument) {
			t.Fatalf("List of a .. scope = %v", err)
		}
	})
	t.Run("FallbackOrder", func(t *testing.T) {
		v, c := newVault(t)
		ctx := Ctx(t)
		id := UniqueScope(t, "x")[2:]
		proj, org, glob := vault.ProjectScope(id), vault.OrgScope(id), "global/"+id
		set := func(scope, val string, opts ...vault.SetOption) {
			if err := v.Set(ctx, MustPath(t, scope, "api_key"), secret.NewString(val), opts...); err != nil {
				t.Fatal(err)
			}
		}
		set(glob, "from-global")
		set(org, "from-org")
		get := func() (string, string, error) {
			s, err := v.GetWithFallback(ctx, "api_key", proj, org, glob)
			if err != nil {
				return "", "", err
			}
			return string(s.Value.Bytes()), s.Path.Scope(), nil
		}
		if val, sc, err := get(); err != nil || val != "from-org" || sc != org {
			t.Fatalf("fallback = %q from %s, %v; want the org's", val, sc, err)
		}
		set(proj, "from-project", vault.ExpiresIn(time.Minute))
		if val, sc, err := get(); err != nil || val != "from-project" || sc != proj {
			t.Fatalf("fallback = %q from %s, %v; want the project's", val, sc, err)
		}
		c.Advance(time.Minute)
		if _, _, err := get(); !errors.Is(err, vault.ErrExpired) {
			t.Fatalf("fallback past an expired project secret = %v, want ErrExpired (no silent fall-through)", err)
		}
		if _, err := v.GetWithFallback(ctx, "nothing", proj, org); !errors.Is(err, secret.ErrNotFound) || !strings.Contains(err.Error(), org) {
			t.Fatalf("fallback of nothing = %v", err)
		}
	})
	t.Run("ConditionalWrites", func(t *testing.T) {
		v, c := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "org"), "cas")
		if err := v.Set(ctx, p, secret.NewString("1"), vault.IfAbsent()); err != nil {
			t.Fatal(err)
		}
		if err := v.Set(ctx, p, secret.NewString("2"), vault.IfAbsent()); !errors.Is(err, vault.ErrConflict) {
			t.Fatalf("IfAbsent over an existing secret = %v, want ErrConflict", err)
		}
		st, err := v.Stat(ctx, p)
		if err != nil || st.Version == "" {
			t.Fatalf("Stat = %+v, %v", st, err)
		}
		c.Advance(time.Second)
		if err := v.Set(ctx, p, secret.NewString("3"), vault.IfVersion(st.Version)); err != nil {
			t.Fatal(err)
		}
		if err := v.Set(ctx, p, secret.NewString("4"), vault.IfVersion(st.Version)); !errors.Is(err, vault.ErrConflict) {
			t.Fatalf("IfVersion with a stale version = %v, want ErrConflict", err)
		}
		if got, _ := v.GetValue(ctx, p); string(got.Bytes()) != "3" {
			t.Fatalf("value after the lost race = %q, want 3", got.Bytes())
		}
	})
	t.Run("TwoWritersCheckAndSet", func(t *testing.T) {
		// Two Vaults on the same store, as two processes would have.
		v1, _ := newVault(t)
		v2, _ := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "org"), "shared")
		if err := v1.Set(ctx, p, secret.NewString("first"), vault.WithProvider("p")); err != nil {
			t.Fatal(err)
		}
		st, err := v1.Stat(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := v2.UpdateValue(ctx, p, secret.NewString("second")); err != nil {
			t.Fatal(err)
		}
		if err := v1.Set(ctx, p, secret.NewString("lost?"), vault.IfVersion(st.Version)); !errors.Is(err, vault.ErrConflict) {
			t.Fatalf("a write based on a stale version = %v, want ErrConflict", err)
		}
		s, err := v1.Get(ctx, p)
		if err != nil || string(s.Value.Bytes()) != "second" || s.Provider != "p" {
			t.Fatalf("after the race: %v, %v; want the second writer's value with the metadata kept", s, err)
		}
		// Without a condition, Set re-reads and keeps created_at of the
		// record the other writer left.
		if err := v1.Set(ctx, p, secret.NewString("third")); err != nil {
			t.Fatal(err)
		}
		if got, _ := v2.Stat(ctx, p); got == nil || !got.CreatedAt.Equal(st.CreatedAt) {
			t.Fatalf("created_at after three writers: %+v, want %v", got, st.CreatedAt)
		}
	})
	t.Run("ConcurrentWriters", func(t *testing.T) {
		v, _ := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "org"), "busy")
		if err := v.Set(ctx, p, secret.NewString("start"), vault.WithProvider("p")); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- v.UpdateValue(ctx, p, secret.NewString(fmt.Sprintf("writer-%d", i)))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent UpdateValue: %v", err)
			}
		}
		s, err := v.Get(ctx, p)
		if err != nil || !strings.HasPrefix(string(s.Value.Bytes()), "writer-") || s.Provider != "p" {
			t.Fatalf("after concurrent updates: %v, %v", s, err)
		}
		if list, _ := v.List(ctx, p.Scope()); len(list) != 1 {
			t.Fatalf("%d records for one path after concurrent updates", len(list))
		}
	})
	t.Run("OversizedValue", func(t *testing.T) {
		v, _ := newVault(t)
		ctx := Ctx(t)
		p := MustPath(t, UniqueScope(t, "org"), "big")
		if err := v.Set(ctx, p, secret.New(make([]byte, max))); err != nil {
			t.Fatalf("a value of exactly the limit: %v", err)
		}
		err := v.Set(ctx, p, secret.New(make([]byte, max+1)))
		if !errors.Is(err, secret.ErrTooLarge) || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("Set over the limit = %v, want ErrTooLarge", err)
		}
		if got, err := v.GetValue(ctx, p); err != nil || got.Len() != max {
			t.Fatalf("the refused write changed the stored value: %d bytes, %v", got.Len(), err)
		}
	})
	t.Run("Expand", func(t *testing.T) {
		v, _ := newVault(t)
		ctx := Ctx(t)
		sc := UniqueScope(t, "org")
		a, b := MustPath(t, sc, "a"), MustPath(t, sc, "b")
		_ = v.Set(ctx, a, secret.NewString("AAA"))
		_ = v.Set(ctx, b, secret.NewString("BBB"))
		in := "x=" + a.Ref().String() + "\ny={{ " + b.Ref().String() + " }}.\nz=" + a.Ref().String() + "\n"
		out, err := v.Expand(ctx, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != "x=AAA\ny=BBB.\nz=AAA\n" {
			t.Fatalf("Expand = %q", out)
		}
		missing := vault.Scheme + sc + "/missing"
		_, err = v.Expand(ctx, []byte("ok="+a.Ref().String()+" bad="+missing))
		if !errors.Is(err, secret.ErrNotFound) || !strings.Contains(err.Error(), missing) || strings.Contains(err.Error(), "AAA") {
			t.Fatalf("Expand with a missing reference = %v; want ErrNotFound naming %s", err, missing)
		}
	})
}
