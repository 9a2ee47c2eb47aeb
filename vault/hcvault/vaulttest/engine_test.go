package vaulttest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/moneypenny-go/keyring/secret"
	mpvault "github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/hcvault"
)

// TestSetGetListDelete: the vault operations on one core, and what the
// server holds afterwards as the Vault CLI would see it.
func TestSetGetListDelete(t *testing.T) {
	tv := startVault(t, 1)
	testCRUD(t, tv, 0)
}

// TestStandbyCore: the same operations through a standby core of a
// three-core cluster (the standby forwards to the active core), and an
// engine on the active core sees them.
func TestStandbyCore(t *testing.T) {
	tv := startVault(t, 3)
	if standby, err := tv.cluster.Cores[1].Core.Standby(); err != nil || !standby {
		t.Fatalf("core 1 is not a standby: %v", err)
	}
	testCRUD(t, tv, 1)
	ctx := context.Background()
	onStandby := mpvault.New(tv.engine(t, 2, noCache))
	onActive := mpvault.New(tv.engine(t, 0, noCache))
	p := mustPath("global/from_standby")
	if err := onStandby.Set(ctx, p, secret.NewString("s1"), mpvault.WithProvider("ha")); err != nil {
		t.Fatal(err)
	}
	if s := mustGet(t, onActive, p); string(s.Value.Bytes()) != "s1" || s.Provider != "ha" {
		t.Fatalf("active core reads %q provider %q", s.Value.Bytes(), s.Provider)
	}
	if err := onStandby.HealthCheck(ctx); err != nil {
		t.Errorf("HealthCheck on a standby: %v", err)
	}
}

func testCRUD(t *testing.T, tv *testVault, core int) {
	ctx := context.Background()
	v := mpvault.New(tv.engine(t, core, nil))
	paths := []string{"global/jwt_signing_key", "org/acme/openai_api_key", "org/acme/team/deploy_token", "project/p1/webhook_secret", "org/other/key"}
	for i, s := range paths {
		if err := v.Set(ctx, mustPath(s), secret.NewString(fmt.Sprintf("value-%d", i)), mpvault.WithProvider("prov")); err != nil {
			t.Fatalf("Set %s: %v", s, err)
		}
	}
	for i, s := range paths {
		if got := mustGet(t, v, mustPath(s)); string(got.Value.Bytes()) != fmt.Sprintf("value-%d", i) || got.Path.String() != s {
			t.Errorf("Get %s = %q at %s", s, got.Value.Bytes(), got.Path)
		}
	}
	// What the server holds, read with vault/api.
	kv := tv.client.KVv2("secret")
	raw, err := kv.Get(ctx, "moneypenny/org/acme/openai_api_key")
	if err != nil {
		t.Fatal(err)
	}
	if raw.Data["value"] != "value-1" || raw.Data["provider"] != "prov" {
		t.Errorf("KV v2 data %v", raw.Data)
	}

	list, err := v.List(ctx, "org/acme")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range list {
		got = append(got, m.Path.String())
		if m.Provider != "prov" || m.UpdatedAt.IsZero() {
			t.Errorf("listed %+v", m)
		}
	}
	if want := []string{"org/acme/openai_api_key", "org/acme/team/deploy_token"}; !slices.Equal(got, want) {
		t.Errorf("List(org/acme) = %v, want %v", got, want)
	}
	all, err := v.List(ctx, "")
	if err != nil || len(all) != len(paths) {
		t.Fatalf("List() = %d secrets, %v; want %d", len(all), err, len(paths))
	}
	if none, err := v.List(ctx, "nothing/here"); err != nil || len(none) != 0 {
		t.Errorf("List(nothing/here) = %v, %v", none, err)
	}

	p := mustPath("org/acme/openai_api_key")
	if ok, err := v.Exists(ctx, p); !ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	if err := v.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if ok, err := v.Exists(ctx, p); ok || err != nil {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	if err := v.Delete(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
	// Delete is a metadata delete: the history is gone too.
	if _, err := kv.GetMetadata(ctx, "moneypenny/org/acme/openai_api_key"); err == nil {
		t.Errorf("metadata still there after Delete")
	}
	list, _ = v.List(ctx, "org/acme")
	if len(list) != 1 {
		t.Errorf("List after Delete: %v", list)
	}
}

// TestMetadataRoundTrip: provider, expiry and the times survive a round
// trip and are in custom_metadata, tagged with the version; an overwrite
// keeps created_at; UpdateValue keeps provider and expiry; keys another
// tool put in custom_metadata are kept.
func TestMetadataRoundTrip(t *testing.T) {
	tv := startVault(t, 1)
	ctx := context.Background()
	v := mpvault.New(tv.engine(t, 0, nil))
	p := mustPath("org/acme/openai_api_key")
	exp := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	if err := v.Set(ctx, p, secret.NewString("sk-1"), mpvault.WithProvider("openai"), mpvault.ExpiresAt(exp)); err != nil {
		t.Fatal(err)
	}
	s1 := mustGet(t, v, p)
	if s1.Provider != "openai" || !s1.ExpiresAt.Equal(exp) || s1.CreatedAt.IsZero() || !s1.CreatedAt.Equal(s1.UpdatedAt) {
		t.Fatalf("after Set: %+v", s1.Metadata)
	}
	kv := tv.client.KVv2("secret")
	md, err := kv.GetMetadata(ctx, "moneypenny/org/acme/openai_api_key")
	if err != nil {
		t.Fatal(err)
	}
	cm := md.CustomMetadata
	if cm["provider"] != "openai" || cm["expires_at"] != exp.Format(time.RFC3339Nano) || cm["moneypenny_version"] != "1" || cm["created_at"] == "" {
		t.Errorf("custom_metadata %v", cm)
	}
	// An operator adds a key of their own.
	cm["owner"] = "team-x"
	if err := kv.PutMetadata(ctx, "moneypenny/org/acme/openai_api_key", api.KVMetadataPutInput{CustomMetadata: cm}); err != nil {
		t.Fatal(err)
	}
	if err := v.UpdateValue(ctx, p, secret.NewString("sk-2")); err != nil {
		t.Fatal(err)
	}
	s2 := mustGet(t, v, p)
	if string(s2.Value.Bytes()) != "sk-2" || s2.Provider != "openai" || !s2.ExpiresAt.Equal(exp) || !s2.CreatedAt.Equal(s1.CreatedAt) || !s2.UpdatedAt.After(s1.UpdatedAt) {
		t.Errorf("after UpdateValue: %+v (before %+v)", s2.Metadata, s1.Metadata)
	}
	if err := v.Set(ctx, p, secret.NewString("sk-3"), mpvault.WithProvider("openai-org")); err != nil {
		t.Fatal(err)
	}
	s3 := mustGet(t, v, p)
	if s3.Provider != "openai-org" || !s3.ExpiresAt.IsZero() || !s3.CreatedAt.Equal(s1.CreatedAt) {
		t.Errorf("after Set over it: %+v", s3.Metadata)
	}
	md, _ = kv.GetMetadata(ctx, "moneypenny/org/acme/openai_api_key")
	if md.CustomMetadata["owner"] != "team-x" || md.CustomMetadata["moneypenny_version"] != "3" {
		t.Errorf("custom_metadata after two writes: %v", md.CustomMetadata)
	}
	if _, ok := md.CustomMetadata["expires_at"]; ok {
		t.Errorf("expires_at left in custom_metadata after a Set without expiry: %v", md.CustomMetadata)
	}
	// Binary values travel as base64 and come back byte for byte.
	bin := []byte{0, 0xff, 0xfe, '\n', 0x80}
	pb := mustPath("global/binary_key")
	if err := v.Set(ctx, pb, secret.NewWithContentType(append([]byte(nil), bin...), secret.ContentTypeBinary)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, v, pb); string(got.Value.Bytes()) != string(bin) || got.Value.ContentType() != secret.ContentTypeBinary {
		t.Errorf("binary value %x (%s)", got.Value.Bytes(), got.Value.ContentType())
	}
}

// TestForeignSecret: a secret written with `vault kv put` (vault/api here)
// reads back, with the provider and expiry an operator set in
// custom_metadata; an operator's expiry change takes effect.
func TestForeignSecret(t *testing.T) {
	tv := startVault(t, 1)
	ctx := context.Background()
	kv := tv.client.KVv2("secret")
	if _, err := kv.Put(ctx, "moneypenny/global/db_password", map[string]any{"value": "pw1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "moneypenny/global/not_ours", map[string]any{"user": "u", "pass": "p"}); err != nil {
		t.Fatal(err)
	}
	v := mpvault.New(tv.engine(t, 0, noCache))
	s := mustGet(t, v, mustPath("global/db_password"))
	if string(s.Value.Bytes()) != "pw1" || s.UpdatedAt.IsZero() {
		t.Errorf("foreign secret %q %+v", s.Value.Bytes(), s.Metadata)
	}
	if _, err := v.Get(ctx, mustPath("global/not_ours")); !errors.Is(err, secret.ErrUnsupportedFormat) || !strings.Contains(err.Error(), "pass, user") {
		t.Errorf("a secret without a value field: %v", err)
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if err := kv.PatchMetadata(ctx, "moneypenny/global/db_password", api.KVMetadataPatchInput{CustomMetadata: map[string]any{"provider": "postgres", "expires_at": past}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get(ctx, mustPath("global/db_password")); !errors.Is(err, mpvault.ErrExpired) {
		t.Errorf("Get after the operator set a past expiry: %v", err)
	}
	// UpdateValue renews it in place and tags custom_metadata.
	if err := v.UpdateValue(ctx, mustPath("global/db_password"), secret.NewString("pw2")); err != nil {
		t.Fatal(err)
	}
	list, err := v.List(ctx, "global")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Provider != "postgres" {
		t.Errorf("List = %+v", list)
	}
}

// TestExpiry: a secret past its expiry is an ErrExpired error, stays
// stored, and an engine opened afresh (the expiry lives in Vault) agrees.
func TestExpiry(t *testing.T) {
	tv := startVault(t, 1)
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	v := mpvault.New(tv.engine(t, 0, nil), mpvault.WithClock(clock))
	p := mustPath("user/u1/personal_token")
	if err := v.Set(ctx, p, secret.NewString("tok"), mpvault.ExpiresIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustGet(t, v, p)
	now = now.Add(2 * time.Hour)
	_, err := v.Get(ctx, p)
	var ee *mpvault.ExpiredError
	if !errors.Is(err, mpvault.ErrExpired) || !errors.As(err, &ee) {
		t.Fatalf("Get after expiry: %v", err)
	}
	fresh := mpvault.New(tv.engine(t, 0, nil), mpvault.WithClock(clock))
	if _, err := fresh.Get(ctx, p); !errors.Is(err, mpvault.ErrExpired) {
		t.Errorf("a second engine: %v", err)
	}
	if ok, _ := fresh.Exists(ctx, p); !ok {
		t.Errorf("the expired secret was deleted")
	}
	if err := fresh.UpdateValue(ctx, p, secret.NewString("tok2")); err != nil {
		t.Fatal(err)
	}
}

// TestWritersRacing: two engines (as two processes would) read the same
// version and write with check-and-set: exactly one wins, the other gets
// vault.ErrConflict and nothing of the winner's is overwritten. Then many
// writers each add their mark with read-modify-write on IfVersion,
// retrying on conflict: every mark is there at the end.
func TestWritersRacing(t *testing.T) {
	tv := startVault(t, 3)
	ctx := context.Background()
	p := mustPath("project/p1/counter")
	a := tv.engine(t, 0, noCache)
	b := tv.engine(t, 1, noCache) // through a standby
	if err := mpvault.New(a).Set(ctx, p, secret.NewString("start")); err != nil {
		t.Fatal(err)
	}
	ra, _ := a.Stat(ctx, p)
	rb, _ := b.Stat(ctx, p)
	if ra.Version != rb.Version {
		t.Fatalf("versions %s and %s", ra.Version, rb.Version)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, e := range []*hcvault.Engine{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.Write(ctx, &mpvault.Record{Metadata: mpvault.Metadata{Path: p}, Value: secret.NewString(fmt.Sprintf("writer-%d", i))}, mpvault.Condition{Version: ra.Version})
		}()
	}
	wg.Wait()
	wins := 0
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
			winner = fmt.Sprintf("writer-%d", i)
		case !errors.Is(err, mpvault.ErrConflict):
			t.Errorf("writer %d: %v, want ErrConflict", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won: %v", wins, errs)
	}
	rec, err := a.Read(ctx, p)
	if err != nil || string(rec.Value.Bytes()) != winner {
		t.Fatalf("stored %q, %v; the winner wrote %s", rec.Value.Bytes(), err, winner)
	}
	vers, _ := a.Versions(ctx, p)
	if len(vers) != 2 {
		t.Errorf("%d versions, want 2 (the loser wrote none)", len(vers))
	}
	// The Vault's IfVersion maps to the same conflict.
	if err := mpvault.New(a).Set(ctx, p, secret.NewString("x"), mpvault.IfVersion(ra.Version)); !errors.Is(err, mpvault.ErrConflict) {
		t.Errorf("Set IfVersion(stale): %v", err)
	}
	if err := mpvault.New(a).Set(ctx, p, secret.NewString("x"), mpvault.IfAbsent()); !errors.Is(err, mpvault.ErrConflict) {
		t.Errorf("Set IfAbsent on an existing secret: %v", err)
	}

	// Many writers, each appending its mark to the value.
	const writers, rounds = 6, 3
	engines := make([]*mpvault.Vault, writers)
	for i := range engines {
		engines[i] = mpvault.New(tv.engine(t, i%3, noCache))
	}
	pl := mustPath("project/p1/list")
	if err := engines[0].Set(ctx, pl, secret.NewString("")); err != nil {
		t.Fatal(err)
	}
	conflicts := make([]int, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for {
					cur, err := engines[i].Stat(ctx, pl)
					if err != nil {
						t.Error(err)
						return
					}
					s, err := engines[i].Get(ctx, pl)
					if err != nil {
						t.Error(err)
						return
					}
					next := string(s.Value.Bytes()) + fmt.Sprintf("[%d.%d]", i, r)
					err = engines[i].Set(ctx, pl, secret.NewString(next), mpvault.IfVersion(cur.Version))
					if errors.Is(err, mpvault.ErrConflict) {
						conflicts[i]++
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	final := mustGet(t, engines[0], pl)
	for i := range writers {
		for r := range rounds {
			if mark := fmt.Sprintf("[%d.%d]", i, r); !strings.Contains(string(final.Value.Bytes()), mark) {
				t.Errorf("mark %s lost: %q", mark, final.Value.Bytes())
			}
		}
	}
	t.Logf("%d writers x %d rounds: conflicts per writer %v", writers, rounds, conflicts)
}

// TestVersionHistory: every write is a version; Versions lists them and
// ReadVersion returns each with the value and metadata it had.
func TestVersionHistory(t *testing.T) {
	tv := startVault(t, 1)
	ctx := context.Background()
	e := tv.engine(t, 0, nil)
	v := mpvault.New(e)
	p := mustPath("global/rotated_key")
	for i := 1; i <= 3; i++ {
		if err := v.Set(ctx, p, secret.NewString(fmt.Sprintf("key-%d", i)), mpvault.WithProvider(fmt.Sprintf("gen-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	vers, err := e.Versions(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(vers) != 3 || vers[0].Number != 1 || !vers[2].Current || vers[0].Current || vers[0].Created.IsZero() {
		t.Fatalf("Versions = %+v", vers)
	}
	for i := 1; i <= 3; i++ {
		rec, err := e.ReadVersion(ctx, p, i)
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.Value.Bytes()) != fmt.Sprintf("key-%d", i) || rec.Provider != fmt.Sprintf("gen-%d", i) || rec.Version != fmt.Sprint(i) {
			t.Errorf("version %d: %q provider %q version %s", i, rec.Value.Bytes(), rec.Provider, rec.Version)
		}
	}
	if _, err := e.ReadVersion(ctx, p, 9); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("ReadVersion(9): %v", err)
	}
	// A soft-deleted current version (vault kv delete) makes the secret
	// absent; Set writes over it with check-and-set.
	if err := tv.client.KVv2("secret").Delete(ctx, "moneypenny/global/rotated_key"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := v.Exists(ctx, p); ok {
		t.Errorf("Exists after kv delete of the current version")
	}
	if err := v.Set(ctx, p, secret.NewString("key-4")); err != nil {
		t.Fatalf("Set over a deleted version: %v", err)
	}
	if rec, _ := e.Stat(ctx, p); rec.Version != "4" {
		t.Errorf("version after Set over a deleted one: %s", rec.Version)
	}
}

// TestPermissionDenied: a token whose policy allows only reading another
// path gets a clear permission error (403) on every operation, and the
// health check reports it without failing anything else.
func TestPermissionDenied(t *testing.T) {
	tv := startVault(t, 1)
	ctx := context.Background()
	if err := tv.client.Sys().PutPolicy("elsewhere", `path "secret/data/elsewhere/*" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	tok, err := tv.client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"elsewhere"}, NoDefaultPolicy: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := mpvault.New(tv.engine(t, 0, nil)).Set(ctx, mustPath("global/k"), secret.NewString("v")); err != nil {
		t.Fatal(err)
	}
	e := tv.engine(t, 0, func(c *hcvault.Config) { c.Token = secret.NewString(tok.Auth.ClientToken) })
	v := mpvault.New(e)
	p := mustPath("global/k")
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, hcvault.ErrPermissionDenied) || !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "policies") {
			t.Errorf("%s: %v, want a 403 permission error", op, err)
		}
		if err != nil && strings.Contains(err.Error(), tok.Auth.ClientToken) {
			t.Errorf("%s: the error holds the token", op)
		}
	}
	_, err = v.Get(ctx, p)
	check("Get", err)
	check("Set", v.Set(ctx, p, secret.NewString("w")))
	_, err = v.List(ctx, "")
	check("List", err)
	check("Delete", v.Delete(ctx, p))
	_, err = v.Exists(ctx, p)
	check("Exists", err)
	check("HealthCheck", v.HealthCheck(ctx))
	// The value is untouched.
	if s := mustGet(t, mpvault.New(tv.engine(t, 0, nil)), p); string(s.Value.Bytes()) != "v" {
		t.Errorf("value now %q", s.Value.Bytes())
	}
}

// TestSealedAndStoppedServer: a sealed core answers 503, which the engine
// reports as ErrSealed and secret.ErrUnavailable, and HealthCheck says
// "sealed"; a core whose listener is gone is secret.ErrUnavailable.
// Neither takes long.
func TestSealedAndStoppedServer(t *testing.T) {
	tv := startVault(t, 1)
	ctx := context.Background()
	e := tv.engine(t, 0, noCache)
	v := mpvault.New(e)
	p := mustPath("global/k")
	if err := v.Set(ctx, p, secret.NewString("v")); err != nil {
		t.Fatal(err)
	}
	if err := v.HealthCheck(ctx); err != nil {
		t.Fatalf("HealthCheck of a healthy core: %v", err)
	}
	tv.cluster.Cores[0].Seal(t)
	_, err := v.Get(ctx, p)
	if !errors.Is(err, hcvault.ErrSealed) || !errors.Is(err, secret.ErrUnavailable) {
		t.Errorf("Get from a sealed core: %v", err)
	}
	if err := v.Set(ctx, p, secret.NewString("w")); !errors.Is(err, secret.ErrUnavailable) {
		t.Errorf("Set on a sealed core: %v", err)
	}
	if err := v.HealthCheck(ctx); !errors.Is(err, hcvault.ErrSealed) || !strings.Contains(err.Error(), "sealed") {
		t.Errorf("HealthCheck of a sealed core: %v", err)
	}
	tv.cluster.UnsealCore(t, tv.cluster.Cores[0])
	// Waiting for the unsealed core to become active again.
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := v.Get(ctx, p)
		if err == nil {
			if string(s.Value.Bytes()) != "v" {
				t.Errorf("after unseal: %q", s.Value.Bytes())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get after unseal: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Stop serving: listeners and open connections.
	tv.cluster.Cores[0].Server.Close()
	start := time.Now()
	_, err = v.Get(ctx, p)
	if !errors.Is(err, secret.ErrUnavailable) {
		t.Errorf("Get from a stopped server: %v", err)
	}
	if err := v.HealthCheck(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Errorf("HealthCheck of a stopped server: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a stopped server took %v to report", d)
	}
}

// TestCache: a value read is served from memory until the TTL passes
// (another writer's change shows after it), and the engine's own write or
// delete shows at once.
func TestCache(t *testing.T) {
	tv := startVault(t, 1)
	ctx := context.Background()
	e := tv.engine(t, 0, func(c *hcvault.Config) { c.CacheTTL = 300 * time.Millisecond })
	v := mpvault.New(e)
	other := mpvault.New(tv.engine(t, 0, noCache))
	p := mustPath("global/cached")
	if err := v.Set(ctx, p, secret.NewString("one")); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		s, err := v.Get(ctx, p)
		if err != nil {
			return "error: " + err.Error()
		}
		defer s.Wipe()
		return string(s.Value.Bytes())
	}
	if got := read(); got != "one" {
		t.Fatalf("first read %q", got)
	}
	start := time.Now()
	if err := other.Set(ctx, p, secret.NewString("two")); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "one" && time.Since(start) < 300*time.Millisecond {
		t.Errorf("within the TTL the cache was not used: %q", got)
	}
	time.Sleep(350 * time.Millisecond)
	if got := read(); got != "two" {
		t.Errorf("after the TTL: %q, want two", got)
	}
	if err := v.Set(ctx, p, secret.NewString("three")); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "three" {
		t.Errorf("after its own write: %q", got)
	}
	// The caller wiping what Get returned does not wipe the cached copy.
	s := mustGet(t, v, p)
	s.Wipe()
	if got := read(); got != "three" {
		t.Errorf("after wiping a returned value: %q", got)
	}
	if err := v.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := read(); !strings.Contains(got, "not found") {
		t.Errorf("after its own delete: %q", got)
	}
	e.Close()
	if _, err := e.Read(ctx, p); !errors.Is(err, secret.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

// TestPrefixAndMount: another mount and prefix (and none) keep secrets
// apart.
func TestPrefixAndMount(t *testing.T) {
	tv := startVault(t, 1)
	tv.mountKV2(t, "team/kv")
	ctx := context.Background()
	a := mpvault.New(tv.engine(t, 0, func(c *hcvault.Config) { c.Mount = "team/kv"; c.Prefix = "apps/one" }))
	b := mpvault.New(tv.engine(t, 0, func(c *hcvault.Config) { c.Mount = "team/kv"; c.NoPrefix = true }))
	p := mustPath("global/k")
	if err := a.Set(ctx, p, secret.NewString("in-prefix")); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, p, secret.NewString("at-root")); err != nil {
		t.Fatal(err)
	}
	if s := mustGet(t, a, p); string(s.Value.Bytes()) != "in-prefix" {
		t.Errorf("a: %q", s.Value.Bytes())
	}
	if s := mustGet(t, b, p); string(s.Value.Bytes()) != "at-root" {
		t.Errorf("b: %q", s.Value.Bytes())
	}
	raw, err := tv.client.KVv2("team/kv").Get(ctx, "apps/one/global/k")
	if err != nil || raw.Data["value"] != "in-prefix" {
		t.Errorf("team/kv/apps/one/global/k: %v %v", raw, err)
	}
	// b sees a's secret only under apps/one, a scope of its own.
	list, err := b.List(ctx, "global")
	if err != nil || len(list) != 1 {
		t.Errorf("b.List(global) = %v, %v", list, err)
	}
	if list, err := b.List(ctx, "apps/one/global"); err != nil || len(list) != 1 || list[0].Path.String() != "apps/one/global/k" {
		t.Errorf("b.List(apps/one/global) = %v, %v", list, err)
	}
}

// TestMetadataMirrorBehind: when custom_metadata still describes an earlier
// version (another writer between its data write and its metadata write,
// or one whose metadata write failed), Get, Exists and the metadata-keeping
// UpdateValue use the copy stored with the current version, so the newer
// writer's provider and expiry are not lost.
func TestMetadataMirrorBehind(t *testing.T) {
	tv := startVault(t, 1)
	ctx := context.Background()
	v := mpvault.New(tv.engine(t, 0, noCache))
	p := mustPath("org/acme/rotating")
	if err := v.Set(ctx, p, secret.NewString("v1"), mpvault.WithProvider("old")); err != nil {
		t.Fatal(err)
	}
	// Version 2 as another Moneypenny writer stores it, before it got to
	// update custom_metadata (still tagged version 1, provider old).
	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if _, err := tv.client.KVv2("secret").Put(ctx, "moneypenny/org/acme/rotating", map[string]any{
		"value": "v2", "provider": "new", "expires_at": exp.Format(time.RFC3339Nano), "created_at": now, "updated_at": now,
	}); err != nil {
		t.Fatal(err)
	}
	s := mustGet(t, v, p)
	if string(s.Value.Bytes()) != "v2" || s.Provider != "new" || !s.ExpiresAt.Equal(exp) {
		t.Errorf("Get: %q %+v", s.Value.Bytes(), s.Metadata)
	}
	rec, err := v.Stat(ctx, p)
	if err != nil || rec.Provider != "new" || rec.Version != "2" {
		t.Errorf("Stat: %+v %v", rec, err)
	}
	if err := v.UpdateValue(ctx, p, secret.NewString("v3")); err != nil {
		t.Fatal(err)
	}
	s = mustGet(t, v, p)
	if string(s.Value.Bytes()) != "v3" || s.Provider != "new" || !s.ExpiresAt.Equal(exp) {
		t.Errorf("after UpdateValue: %q %+v", s.Value.Bytes(), s.Metadata)
	}
	md, _ := tv.client.KVv2("secret").GetMetadata(ctx, "moneypenny/org/acme/rotating")
	if md.CustomMetadata["moneypenny_version"] != "3" || md.CustomMetadata["provider"] != "new" {
		t.Errorf("custom_metadata after UpdateValue: %v", md.CustomMetadata)
	}
}
