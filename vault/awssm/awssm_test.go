package awssm_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/sivchari/kumo"

	"github.com/moneypenny-go/keyring/internal/vaulttest"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/awssm"
)

// server is the emulator as the tests reach it.
type server struct{ URL string }

// emulator starts kumo in-process and points the SDK's default credential
// chain at fixed test keys through the environment (no ~/.aws, no
// instance metadata).
//
// Requests reach kumo one at a time through a proxy: kumo v0.33.1's
// handlers read a secret's fields after releasing its storage lock (and
// GetSecretValue writes one under a read lock), which the race detector
// reports when requests overlap. The engine's own concurrency is still
// exercised: its goroutines race each other for the emulator's state,
// only the emulator's request handling is serialized.
func emulator(t testing.TB) *server {
	t.Helper()
	k := kumo.NewServer()
	t.Cleanup(k.Close)
	target, err := url.Parse(k.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	// A transport of its own, without keep-alive: httptest.Server.Close
	// closes the idle connections of http.DefaultTransport, which a
	// later request could otherwise be about to reuse.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	proxy.Transport = tr
	t.Cleanup(tr.CloseIdleConnections)
	var mu sync.Mutex
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	srv := &server{URL: front.URL}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(os.TempDir(), "awssm-test-no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(os.TempDir(), "awssm-test-no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CA_BUNDLE", "")
	return srv
}

// prefix is a name prefix no other test uses.
func prefix(t *testing.T) string { return vaulttest.UniqueScope(t, "test")[5:] + "/" }

func open(t *testing.T, srv *server, opts ...awssm.Option) *awssm.Engine {
	t.Helper()
	e, err := awssm.New(vaulttest.Ctx(t), append([]awssm.Option{awssm.WithEndpoint(srv.URL)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// rawClient talks to the emulator directly, as another tool would.
func rawClient(t *testing.T, srv *server) *secretsmanager.Client {
	cfg, err := config.LoadDefaultConfig(vaulttest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

// recorder is an HTTP client that records each request's operation and
// body and can run a hook before one is sent.
type recorder struct {
	mu     sync.Mutex
	ops    []string
	auth   []string
	bodies map[string][]string
	before func(op string)
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "secretsmanager.")
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	if r.bodies == nil {
		r.bodies = map[string][]string{}
	}
	r.bodies[op] = append(r.bodies[op], string(body))
	hook := r.before
	r.mu.Unlock()
	if hook != nil {
		hook(op)
	}
	return recorderClient.Do(req)
}

// recorderClient sends the recorded requests on a transport of its own.
var recorderClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}

func (r *recorder) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, o := range r.ops {
		if o == op {
			n++
		}
	}
	return n
}

func (r *recorder) last(op string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bodies[op]
	if len(b) == 0 {
		return ""
	}
	return b[len(b)-1]
}

func recorded(t *testing.T, srv *server, opts ...awssm.Option) (*awssm.Engine, *recorder) {
	rec := &recorder{}
	cfg, err := config.LoadDefaultConfig(vaulttest.Ctx(t), config.WithHTTPClient(rec), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	return open(t, srv, append([]awssm.Option{awssm.WithAWSConfig(cfg)}, opts...)...), rec
}

// TestContract runs the engine contract (internal/vaulttest) against the
// emulator, once with the default five-minute cache and once without: two
// engines on one emulator act as two processes.
func TestContract(t *testing.T) {
	srv := emulator(t)
	for _, tc := range []struct {
		name string
		ttl  time.Duration
	}{{"Cached", awssm.DefaultCacheTTL}, {"Uncached", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			pre := prefix(t)
			vaulttest.Run(t, func(t *testing.T) vault.Engine {
				return open(t, srv, awssm.WithPrefix(pre), awssm.WithCacheTTL(tc.ttl))
			}, vaulttest.Options{MaxValue: awssm.MaxValueSize})
		})
	}
}

// TestDeleteRecoveryWindow: Delete sends the configured recovery window
// (or ForceDeleteWithoutRecovery), the secret then reads as not found,
// stays in the service as scheduled for deletion (or is gone), and a
// second Delete is ErrNotFound. A window outside 7..30 is refused.
func TestDeleteRecoveryWindow(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	pre := prefix(t)
	p := vault.MustParsePath("global/signing_key")
	raw := rawClient(t, srv)

	e, rec := recorded(t, srv, awssm.WithPrefix(pre), awssm.WithRecoveryWindow(7))
	v := vault.New(e)
	if err := v.Set(ctx, p, secret.NewString("k1")); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	if body := rec.last("DeleteSecret"); !strings.Contains(body, `"RecoveryWindowInDays":7`) || strings.Contains(body, "ForceDelete") {
		t.Fatalf("DeleteSecret request = %s, want a 7-day recovery window", body)
	}
	if _, err := v.Get(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Get of a secret scheduled for deletion = %v, want ErrNotFound", err)
	}
	if ok, err := v.Exists(ctx, p); ok || err != nil {
		t.Fatalf("Exists of a secret scheduled for deletion = %v, %v", ok, err)
	}
	if list, err := v.List(ctx, ""); err != nil || len(list) != 0 {
		t.Fatalf("List shows a secret scheduled for deletion: %v, %v", list, err)
	}
	d, err := raw.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(pre + p.String())})
	if err != nil || d.DeletedDate == nil {
		t.Fatalf("the secret should still be in the service, scheduled for deletion: %+v, %v", d, err)
	}
	if err := v.Delete(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}

	pre2 := prefix(t)
	ef, recf := recorded(t, srv, awssm.WithPrefix(pre2), awssm.WithForceDelete())
	vf := vault.New(ef)
	if err := vf.Set(ctx, p, secret.NewString("k1")); err != nil {
		t.Fatal(err)
	}
	if err := vf.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	if body := recf.last("DeleteSecret"); !strings.Contains(body, `"ForceDeleteWithoutRecovery":true`) || strings.Contains(body, "RecoveryWindow") {
		t.Fatalf("DeleteSecret request = %s, want ForceDeleteWithoutRecovery", body)
	}
	if _, err := raw.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(pre2 + p.String())}); err == nil {
		t.Fatal("a force-deleted secret is still described")
	}
	// The name is free again at once.
	if err := vf.Set(ctx, p, secret.NewString("k2"), vault.IfAbsent()); err != nil {
		t.Fatalf("Set after a force delete: %v", err)
	}

	for _, days := range []int{0, 6, 31} {
		if _, err := awssm.New(ctx, awssm.WithEndpoint(srv.URL), awssm.WithRecoveryWindow(days)); !errors.Is(err, secret.ErrInvalidArgument) {
			t.Errorf("recovery window of %d days = %v, want ErrInvalidArgument", days, err)
		}
	}
}

// TestPreviousVersion: after two writes the AWSPREVIOUS version is the
// first value with the metadata it had; ReadVersion reads it by ID; a
// secret with one version has no previous one.
func TestPreviousVersion(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	e := open(t, srv, awssm.WithPrefix(prefix(t)))
	v := vault.New(e)
	p := vault.MustParsePath("org/acme/openai_api_key")
	if err := v.Set(ctx, p, secret.NewString("first"), vault.WithProvider("openai")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ReadPrevious(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("ReadPrevious of a one-version secret = %v, want ErrNotFound", err)
	}
	first, err := e.Read(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Set(ctx, p, secret.New([]byte{0, 0xff, 'x'}), vault.WithProvider("other")); err != nil {
		t.Fatal(err)
	}
	prev, err := e.ReadPrevious(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if string(prev.Value.Bytes()) != "first" || prev.Provider != "openai" || prev.CreatedAt.IsZero() {
		t.Fatalf("previous version = %q %+v", prev.Value.Bytes(), prev.Metadata)
	}
	byID, err := e.ReadVersion(ctx, p, first.Version)
	if err != nil || string(byID.Value.Bytes()) != "first" {
		t.Fatalf("ReadVersion(%s) = %v, %v", first.Version, byID, err)
	}
	cur, err := v.Get(ctx, p)
	if err != nil || !bytes.Equal(cur.Value.Bytes(), []byte{0, 0xff, 'x'}) || cur.Provider != "other" || !cur.CreatedAt.Equal(prev.CreatedAt) {
		t.Fatalf("current = %v %+v, %v", cur.Value.Bytes(), cur, err)
	}
}

// TestMissingSecret: the service's ResourceNotFoundException becomes
// secret.ErrNotFound on every call, and the API error stays reachable.
func TestMissingSecret(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	e := open(t, srv, awssm.WithPrefix(prefix(t)))
	p := vault.MustParsePath("global/nothing_here")
	_, err := e.Read(ctx, p)
	var ae smithy.APIError
	if !errors.Is(err, secret.ErrNotFound) || !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Fatalf("Read of a missing secret = %v, want ErrNotFound wrapping ResourceNotFoundException", err)
	}
	if _, err := e.Stat(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Stat = %v", err)
	}
	if err := e.Delete(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Delete = %v", err)
	}
	if _, err := e.ReadPrevious(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("ReadPrevious = %v", err)
	}
	if err := vault.New(e).UpdateValue(ctx, p, secret.NewString("x")); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("UpdateValue = %v", err)
	}
}

// TestCreateRace: another writer creates the secret between the engine's
// DescribeSecret and its CreateSecret; the service's
// ResourceExistsException is ErrConflict and the other value survives. A
// Vault without an explicit condition then retries and keeps the other
// writer's created_at.
func TestCreateRace(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	pre := prefix(t)
	other := vault.New(open(t, srv, awssm.WithPrefix(pre)))
	e, rec := recorded(t, srv, awssm.WithPrefix(pre), awssm.WithCacheTTL(0))
	p := vault.MustParsePath("org/acme/raced")
	var once sync.Once
	rec.before = func(op string) {
		if op == "CreateSecret" {
			once.Do(func() {
				if err := other.Set(ctx, p, secret.NewString("other"), vault.WithProvider("o")); err != nil {
					t.Error(err)
				}
			})
		}
	}
	v := vault.New(e)
	err := v.Set(ctx, p, secret.NewString("mine"), vault.IfAbsent())
	if !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("create that lost the race = %v, want ErrConflict", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceExistsException" {
		t.Fatalf("the conflict should come from the service: %v", err)
	}
	if got, _ := v.GetValue(ctx, p); string(got.Bytes()) != "other" {
		t.Fatalf("value after the lost race = %q", got.Bytes())
	}
	if err := v.UpdateValue(ctx, p, secret.NewString("mine")); err != nil {
		t.Fatal(err)
	}
	s, err := v.Get(ctx, p)
	if err != nil || string(s.Value.Bytes()) != "mine" || s.Provider != "o" {
		t.Fatalf("after the retry: %v, %v", s, err)
	}
}

// TestCache: a cached Read makes no request; another process's write is
// seen after the TTL, not before; the engine's own writes and deletes are
// seen at once; Close wipes what was cached.
func TestCache(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	pre := prefix(t)
	clk := vaulttest.NewClock()
	e, rec := recorded(t, srv, awssm.WithPrefix(pre), awssm.WithClock(clk.Now))
	v := vault.New(e)
	other := vault.New(open(t, srv, awssm.WithPrefix(pre), awssm.WithCacheTTL(0)))
	p := vault.MustParsePath("global/cached")
	if err := v.Set(ctx, p, secret.NewString("one")); err != nil {
		t.Fatal(err)
	}
	get := func() string {
		t.Helper()
		val, err := v.GetValue(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return string(val.Bytes())
	}
	if get() != "one" {
		t.Fatal("first read")
	}
	n := rec.count("GetSecretValue")
	for i := 0; i < 100; i++ {
		if get() != "one" {
			t.Fatal("cached read")
		}
	}
	if got := rec.count("GetSecretValue"); got != n {
		t.Fatalf("100 cached reads made %d requests", got-n)
	}
	if err := other.Set(ctx, p, secret.NewString("two")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(awssm.DefaultCacheTTL - time.Second)
	if get() != "one" {
		t.Fatal("the cache was bypassed before its TTL")
	}
	clk.Advance(time.Second)
	if get() != "two" {
		t.Fatal("a value older than the TTL was served")
	}
	if err := v.Set(ctx, p, secret.NewString("three")); err != nil {
		t.Fatal(err)
	}
	if get() != "three" {
		t.Fatal("the engine's own write was not seen at once")
	}
	held, err := e.Read(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Get after the engine's own delete = %v", err)
	}
	if string(held.Value.Bytes()) != "three" {
		t.Fatal("a value handed out was wiped by the cache")
	}
}

// TestForeignSecret: a secret another tool wrote as a plain string under
// the prefix is read as that value without metadata and listed; writing
// to it adds a version and the plain value stays readable as the
// previous one.
func TestForeignSecret(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	pre := prefix(t)
	raw := rawClient(t, srv)
	name := pre + "project/p1/db_password"
	if _, err := raw.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(`{"user":"app","password":"pw"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(pre + "not a path!"), SecretString: aws.String("x")}); err != nil {
		t.Logf("the emulator refused an odd name (as AWS does): %v", err)
	}
	e := open(t, srv, awssm.WithPrefix(pre))
	v := vault.New(e)
	p := vault.MustParsePath("project/p1/db_password")
	s, err := v.Get(ctx, p)
	if err != nil || string(s.Value.Bytes()) != `{"user":"app","password":"pw"}` || s.Provider != "" || !s.CreatedAt.IsZero() {
		t.Fatalf("foreign secret = %v %+v, %v", s.Value, s, err)
	}
	list, err := v.List(ctx, "")
	if err != nil || len(list) != 1 || list[0].Path != p {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := v.UpdateValue(ctx, p, secret.NewString("rotated")); err != nil {
		t.Fatal(err)
	}
	if got, _ := v.GetValue(ctx, p); string(got.Bytes()) != "rotated" {
		t.Fatalf("after UpdateValue: %q", got.Bytes())
	}
	prev, err := e.ReadPrevious(ctx, p)
	if err != nil || !strings.Contains(string(prev.Value.Bytes()), `"password":"pw"`) {
		t.Fatalf("previous = %v, %v", prev, err)
	}
}

// TestSizeLimit: any MaxValueSize-byte value fits, a text value near
// 64 KiB fits, and a record over Secrets Manager's 65536 bytes is refused
// with ErrTooLarge before anything is sent, leaving the stored value.
func TestSizeLimit(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	e := open(t, srv, awssm.WithPrefix(prefix(t)))
	v := vault.New(e, vault.WithMaxValueSize(1<<20))
	p := vault.MustParsePath("global/big")
	bin := make([]byte, awssm.MaxValueSize)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	if err := v.Set(ctx, p, secret.New(bin)); err != nil {
		t.Fatalf("binary value of MaxValueSize: %v", err)
	}
	text := strings.Repeat("a", 65000)
	if err := v.Set(ctx, p, secret.NewString(text)); err != nil {
		t.Fatalf("text value of 65000 bytes: %v", err)
	}
	err := v.Set(ctx, p, secret.NewString(strings.Repeat("b", 65600)))
	if !errors.Is(err, secret.ErrTooLarge) || !strings.Contains(err.Error(), "65536") {
		t.Fatalf("oversized record = %v, want ErrTooLarge naming the limit", err)
	}
	if got, err := v.GetValue(ctx, p); err != nil || got.Len() != len(text) {
		t.Fatalf("the refused write changed the value: %d bytes, %v", got.Len(), err)
	}
}

// TestHealthCheck: a check against the emulator passes (one ListSecrets),
// one against a stopped server fails with ErrUnavailable, and the Vault
// reports it without failing anything else.
func TestHealthCheck(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	e, rec := recorded(t, srv)
	if err := vault.New(e).HealthCheck(ctx); err != nil {
		t.Fatalf("HealthCheck: %v", err)
	}
	if rec.count("ListSecrets") != 1 {
		t.Fatalf("requests: %v", rec.ops)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	de, err := awssm.New(ctx, awssm.WithAWSConfig(cfg), awssm.WithEndpoint(deadURL))
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.New(de).HealthCheck(ctx); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("HealthCheck of a stopped server = %v, want ErrUnavailable", err)
	}
	if info := vault.New(de).Info(); info.Engine != awssm.Name || !info.Persistent || !strings.Contains(info.Location, deadURL) {
		t.Fatalf("Info = %+v", info)
	}
}

// TestOpenByName: vault.Open reaches the engine by name from
// MONEYPENNY_VAULT_ENGINE and from the config file, with the engine's
// settings from its section; an unknown setting is an error naming it.
func TestOpenByName(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	pre := prefix(t)
	dir, err := os.MkdirTemp("", "awssm-config-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfgPath := filepath.Join(dir, "config.json")
	write := func(s string) {
		if err := os.WriteFile(cfgPath, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	section := `"aws-secrets-manager": {"endpoint": "` + srv.URL + `", "region": "eu-west-1", "prefix": "` + pre + `", "recovery_window_days": 7, "cache_ttl": "1m"}`
	openWith := func(env map[string]string) (*vault.Vault, error) {
		return vault.Open(ctx, vault.WithConfigFile(cfgPath), awssm.Register(),
			vault.WithEnv(func(k string) string { return env[k] }))
	}
	write(`{"vault": {"engine": "aws-secrets-manager", ` + section + `}}`)
	v, err := openWith(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := vault.MustParsePath("global/from_config")
	if err := v.Set(ctx, p, secret.NewString("configured")); err != nil {
		t.Fatal(err)
	}
	if info := v.Info(); info.Engine != awssm.Name || !strings.Contains(info.Location, "eu-west-1/"+pre) || !strings.Contains(info.Note, cfgPath) {
		t.Fatalf("Info = %+v", info)
	}
	if _, err := rawClient(t, srv).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(pre + p.String())}); err != nil {
		t.Fatalf("the secret is not under the configured prefix: %v", err)
	}
	v.Close()

	write(`{"vault": {"engine": "keyring", ` + section + `}}`)
	v, err = openWith(map[string]string{"MONEYPENNY_VAULT_ENGINE": awssm.Name})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.GetValue(ctx, p); err != nil || string(got.Bytes()) != "configured" {
		t.Fatalf("through MONEYPENNY_VAULT_ENGINE: %v, %v", got, err)
	}
	v.Close()

	write(`{"vault": {"engine": "aws-secrets-manager", "aws-secrets-manager": {"regoin": "x"}}}`)
	if _, err := openWith(nil); !errors.Is(err, secret.ErrInvalidArgument) || !strings.Contains(err.Error(), "regoin") {
		t.Fatalf("misspelt setting = %v", err)
	}
}

// TestRootModuleHasNoSDK: the keyring module's go.mod requires nothing
// from AWS; only this module does.
func TestRootModuleHasNoSDK(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("aws")) || bytes.Contains(b, []byte("kumo")) {
		t.Fatalf("the root go.mod mentions the AWS SDK:\n%s", b)
	}
}

// TestCredentialChain: without WithAWSConfig the engine signs with what
// the SDK's default chain finds: here a profile of a shared credentials
// file chosen by AWS_PROFILE, with the region from the config file. No
// region anywhere is a clear error.
func TestCredentialChain(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	dir, err := os.MkdirTemp("", "awssm-chain-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	creds, conf := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	if err := os.WriteFile(creds, []byte("[mp]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[profile mp]\nregion = ap-south-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", conf)
	t.Setenv("AWS_PROFILE", "mp")
	rec := &recorder{}
	e, err := awssm.New(ctx, awssm.WithEndpoint(srv.URL), awssm.WithHTTPClient(rec))
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.New(e).HealthCheck(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.auth) != 1 || !strings.Contains(rec.auth[0], "Credential=AKIDFROMPROFILE/") || !strings.Contains(rec.auth[0], "/ap-south-1/secretsmanager/") {
		t.Fatalf("Authorization = %q, want the profile's key and region", rec.auth)
	}
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	if _, err := awssm.New(ctx, awssm.WithEndpoint(srv.URL)); !errors.Is(err, secret.ErrInvalidArgument) || !strings.Contains(err.Error(), "region") {
		t.Fatalf("New without a region = %v", err)
	}
}

// TestLongName: a path whose secret name would pass Secrets Manager's
// 512 bytes is refused before any request, with ErrInvalidArgument, by
// writes and reads.
func TestLongName(t *testing.T) {
	srv := emulator(t)
	e, rec := recorded(t, srv)
	long := strings.Repeat("s", 128)
	p := vault.MustParsePath(long + "/" + long + "/" + long + "/" + long)
	if err := vault.New(e).Set(vaulttest.Ctx(t), p, secret.NewString("x")); !errors.Is(err, secret.ErrInvalidArgument) || !strings.Contains(err.Error(), "512") {
		t.Fatalf("Set of a too-long name = %v", err)
	}
	if _, err := e.Read(vaulttest.Ctx(t), p); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("Read of a too-long name = %v", err)
	}
	if len(rec.ops) != 0 {
		t.Fatalf("requests made: %v", rec.ops)
	}
}

// TestListPages: List follows ListSecrets' pages (100 per page) and
// returns every secret under the scope, sorted, and none outside it.
func TestListPages(t *testing.T) {
	srv := emulator(t)
	ctx := vaulttest.Ctx(t)
	pre := prefix(t)
	raw := rawClient(t, srv)
	for i := 0; i < 230; i++ {
		name := fmt.Sprintf("%sorg/acme/k%03d", pre, i)
		if i%10 == 0 {
			name = fmt.Sprintf("%sorg/other/k%03d", pre, i)
		}
		if _, err := raw.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
	}
	e, rec := recorded(t, srv, awssm.WithPrefix(pre))
	list, err := e.List(ctx, "org/acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 207 || list[0].Path.String() != "org/acme/k001" || list[206].Path.String() != "org/acme/k229" {
		t.Fatalf("List = %d entries, first %v", len(list), list[:1])
	}
	if n := rec.count("ListSecrets"); n < 3 {
		t.Fatalf("%d ListSecrets calls for 230 secrets, want at least 3 pages", n)
	}
}
