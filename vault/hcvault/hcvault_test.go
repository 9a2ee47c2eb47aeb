package hcvault_test

// These tests use plain httptest servers for what the real Vault core (in
// the vaulttest module) cannot produce here: a Vault Enterprise namespace
// header, a server that never answers, a KV version 1 mount's answer. The
// engine's behaviour against Vault itself is tested in vault/hcvault/vaulttest.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/hcvault"
)

// recorder is an httptest server that records each request and answers
// with answer(r).
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path, query string
	header              http.Header
	body                string
}

func newRecorder(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		rec.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func newEngine(t *testing.T, cfg hcvault.Config) *hcvault.Engine {
	t.Helper()
	if cfg.Token == nil {
		cfg.Token = secret.NewString("s.test-token")
	}
	e, err := hcvault.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestNamespaceHeaderSent: every secret request carries X-Vault-Namespace
// and the token; sys/health, a root-only endpoint, does not get the
// namespace.
func TestNamespaceHeaderSent(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/sys/health":
			io.WriteString(w, `{"initialized":true,"sealed":false,"standby":false}`)
		case r.URL.Path == "/v1/auth/token/lookup-self":
			io.WriteString(w, `{"data":{"id":"s.test-token"}}`)
		case r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/data/"):
			io.WriteString(w, `{"data":{"version":1,"created_time":"2026-01-01T00:00:00Z","custom_metadata":null}}`)
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errors":[]}`)
		}
	})
	e := newEngine(t, hcvault.Config{Address: srv.URL, Namespace: "team-a/apps", Mount: "kv", Prefix: "svc"})
	ctx := context.Background()
	v := vault.New(e)
	p := vault.MustParsePath("org/acme/api_key")
	if err := v.Set(ctx, p, secret.NewString("sk-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get(ctx, p); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Get from the recorder: %v, want ErrNotFound", err)
	}
	if _, err := v.List(ctx, "org"); err != nil {
		t.Fatal(err)
	}
	if err := v.HealthCheck(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) < 6 {
		t.Fatalf("%d requests, want at least 6", len(reqs))
	}
	for _, r := range reqs {
		if got := r.header.Get("X-Vault-Token"); got != "s.test-token" {
			t.Errorf("%s %s: X-Vault-Token %q", r.method, r.path, got)
		}
		want := "team-a/apps"
		if r.path == "/v1/sys/health" {
			want = ""
		}
		if got := r.header.Get("X-Vault-Namespace"); got != want {
			t.Errorf("%s %s: X-Vault-Namespace %q, want %q", r.method, r.path, got, want)
		}
		if !strings.HasPrefix(r.path, "/v1/kv/") && !strings.HasPrefix(r.path, "/v1/sys/") && !strings.HasPrefix(r.path, "/v1/auth/") {
			t.Errorf("request outside the mount: %s %s", r.method, r.path)
		}
	}
	// The write went to the data path with check-and-set 0 (absent), then
	// the metadata mirror.
	var write, meta *recorded
	for i := range reqs {
		switch {
		case reqs[i].method == "POST" && reqs[i].path == "/v1/kv/data/svc/org/acme/api_key":
			write = &reqs[i]
		case reqs[i].method == "POST" && reqs[i].path == "/v1/kv/metadata/svc/org/acme/api_key":
			meta = &reqs[i]
		}
	}
	if write == nil || meta == nil {
		t.Fatalf("no data write or metadata write among %+v", reqs)
	}
	var body struct {
		Options map[string]int    `json:"options"`
		Data    map[string]string `json:"data"`
	}
	if err := json.Unmarshal([]byte(write.body), &body); err != nil {
		t.Fatal(err)
	}
	if cas, ok := body.Options["cas"]; !ok || cas != 0 {
		t.Errorf("write options %v, want cas 0", body.Options)
	}
	if body.Data["value"] != "sk-1" || body.Data["created_at"] == "" {
		t.Errorf("write data %v", body.Data)
	}
	if !strings.Contains(meta.body, `"moneypenny_version":"1"`) {
		t.Errorf("metadata write %s lacks the version tag", meta.body)
	}
}

// TestHungServerHonoursDeadline: a server that accepts the connection and
// never answers fails the call when the context's deadline passes, with an
// error wrapping context.DeadlineExceeded.
func TestHungServerHonoursDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	e := newEngine(t, hcvault.Config{Address: srv.URL})
	p := vault.MustParsePath("global/key")
	calls := map[string]func(ctx context.Context) error{
		"Read": func(ctx context.Context) error { _, err := e.Read(ctx, p); return err },
		"Stat": func(ctx context.Context) error { _, err := e.Stat(ctx, p); return err },
		"List": func(ctx context.Context) error { _, err := e.List(ctx, ""); return err },
		"Write": func(ctx context.Context) error {
			return e.Write(ctx, &vault.Record{Metadata: vault.Metadata{Path: p}, Value: secret.NewString("x")}, vault.Condition{})
		},
		"Delete":      func(ctx context.Context) error { return e.Delete(ctx, p) },
		"HealthCheck": e.HealthCheck,
	}
	for name, call := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want context.DeadlineExceeded", name, err)
		}
		if took > 5*time.Second {
			t.Errorf("%s returned after %v", name, took)
		}
	}
}

// TestTimeoutWithoutDeadline: a context without a deadline gets
// Config.Timeout.
func TestTimeoutWithoutDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	e := newEngine(t, hcvault.Config{Address: srv.URL, Timeout: 100 * time.Millisecond})
	_, err := e.Read(context.Background(), vault.MustParsePath("global/key"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read: %v, want context.DeadlineExceeded", err)
	}
}

// TestStatusErrors maps the answers of a server to the sentinels, for the
// codes the in-process core is not made to produce (its 403 and 503 are
// tested in vaulttest).
func TestStatusErrors(t *testing.T) {
	for _, tc := range []struct {
		code int
		body string
		want []error
	}{
		{403, `{"errors":["permission denied"]}`, []error{hcvault.ErrPermissionDenied, os.ErrPermission}},
		{503, `{"errors":["Vault is sealed"]}`, []error{hcvault.ErrSealed, secret.ErrUnavailable}},
		{429, `{"errors":["rate limit quota exceeded"]}`, []error{secret.ErrUnavailable}},
		{500, `not json`, []error{secret.ErrUnavailable}},
		{400, `{"errors":["check-and-set parameter did not match the current version"]}`, []error{vault.ErrConflict}},
		{400, `{"errors":["no data provided"]}`, []error{secret.ErrInvalidArgument}},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.code)
			io.WriteString(w, tc.body)
		}))
		e := newEngine(t, hcvault.Config{Address: srv.URL})
		_, err := e.Read(context.Background(), vault.MustParsePath("global/key"))
		srv.Close()
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("%d %s: %v does not wrap %v", tc.code, tc.body, err, w)
			}
		}
		var se *hcvault.StatusError
		if !errors.As(err, &se) || se.StatusCode != tc.code {
			t.Errorf("%d: %v is not a *StatusError with the code", tc.code, err)
		}
	}
}

// TestKVv1MountRefused: a KV version 1 mount stores a write at the literal
// path and answers 204; the engine says the mount is not KV v2 instead of
// reporting success.
func TestKVv1MountRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	e := newEngine(t, hcvault.Config{Address: srv.URL})
	err := e.Write(context.Background(), &vault.Record{Metadata: vault.Metadata{Path: vault.MustParsePath("global/k")}, Value: secret.NewString("v")}, vault.Condition{Absent: true})
	if !errors.Is(err, secret.ErrUnsupportedFormat) || !strings.Contains(err.Error(), "KV version 1") {
		t.Fatalf("write to a KV v1 mount: %v", err)
	}
}

// TestErrorsNeverHoldTheValue: a server that echoes the request body in
// its error does not get the value into the engine's error (the engine
// reports the server's errors array, and this server's is fixed).
func TestErrorsNeverHoldTheValue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"errors":["internal error"]}`)
	}))
	t.Cleanup(srv.Close)
	e := newEngine(t, hcvault.Config{Address: srv.URL})
	err := e.Write(context.Background(), &vault.Record{Metadata: vault.Metadata{Path: vault.MustParsePath("global/k")}, Value: secret.NewString("hunter2-secret")}, vault.Condition{})
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s.test-token") {
		t.Fatalf("error %v", err)
	}
}

// TestConfigChecks: the address, token and TLS settings are checked by New.
func TestConfigChecks(t *testing.T) {
	tok := secret.NewString("s.x")
	for _, tc := range []struct {
		name string
		cfg  hcvault.Config
		want string
	}{
		{"no address", hcvault.Config{Token: tok}, "no server address"},
		{"no token", hcvault.Config{Address: "https://vault.example.com"}, "no token"},
		{"http off loopback", hcvault.Config{Address: "http://vault.example.com:8200", Token: tok}, "plain http"},
		{"bad scheme", hcvault.Config{Address: "ftp://vault.example.com", Token: tok}, "want https"},
		{"bad mount", hcvault.Config{Address: "https://v", Token: tok, Mount: "a/../b"}, "mount"},
		{"missing CA file", hcvault.Config{Address: "https://v", Token: tok, CAFile: filepath.Join(t.TempDir(), "none.pem")}, "CA file"},
		{"cert without key", hcvault.Config{Address: "https://v", Token: tok, ClientCert: "c.pem"}, "both"},
	} {
		_, err := hcvault.New(tc.cfg)
		if !errors.Is(err, secret.ErrInvalidArgument) && !errors.Is(err, os.ErrNotExist) || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	for _, ok := range []string{"http://127.0.0.1:8200", "http://localhost:8200", "http://[::1]:8200", "https://vault.example.com/"} {
		if _, err := hcvault.New(hcvault.Config{Address: ok, Token: tok}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestFromEnvPrecedence: MONEYPENNY_VAULT_* beats VAULT_*, which beats the
// config file; the token file and ~/.vault-token come last.
func TestFromEnvPrecedence(t *testing.T) {
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, ".vault-token"), []byte("s.from-home\n"), 0o600)
	tokFile := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(tokFile, []byte("  s.from-file \n"), 0o600)
	section := json.RawMessage(`{"address":"https://file:8200","token":"s.from-config","namespace":"ns-file","mount":"kv","prefix":"","cache_ttl":"0","timeout":"2s"}`)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	cfg, err := hcvault.FromEnv(section, env(map[string]string{
		"MONEYPENNY_VAULT_TOKEN": "s.ours", "VAULT_TOKEN": "s.vaults",
		"VAULT_ADDR": "https://env:8200", "VAULT_NAMESPACE": "ns-env", "HOME": home,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Token.Bytes()) != "s.ours" || cfg.Address != "https://env:8200" || cfg.Namespace != "ns-env" || cfg.Mount != "kv" || !cfg.NoPrefix || cfg.CacheTTL >= 0 || cfg.Timeout != 2*time.Second {
		t.Errorf("config %+v", cfg)
	}
	cfg, _ = hcvault.FromEnv(section, env(map[string]string{"VAULT_TOKEN": "s.vaults", "HOME": home}))
	if string(cfg.Token.Bytes()) != "s.vaults" || cfg.Address != "https://file:8200" || cfg.Namespace != "ns-file" {
		t.Errorf("VAULT_TOKEN: %+v", cfg)
	}
	cfg, _ = hcvault.FromEnv(section, env(map[string]string{"HOME": home}))
	if string(cfg.Token.Bytes()) != "s.from-config" {
		t.Errorf("config token: %q", cfg.Token.Bytes())
	}
	cfg, err = hcvault.FromEnv(json.RawMessage(`{"token_file":"`+tokFile+`"}`), env(map[string]string{"HOME": home}))
	if err != nil || string(cfg.Token.Bytes()) != "s.from-file" || cfg.CacheTTL != 0 || cfg.NoPrefix {
		t.Errorf("token_file: %+v %v", cfg, err)
	}
	cfg, _ = hcvault.FromEnv(nil, env(map[string]string{"HOME": home}))
	if string(cfg.Token.Bytes()) != "s.from-home" {
		t.Errorf("~/.vault-token: %q", cfg.Token.Bytes())
	}
	if s := strings.Join([]string{cfg.Token.String()}, ""); strings.Contains(s, "from-home") {
		t.Errorf("the token prints as %s", s)
	}
	if _, err := hcvault.FromEnv(json.RawMessage(`{"adress":"x"}`), env(nil)); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Errorf("misspelt key: %v", err)
	}
	if _, err := hcvault.FromEnv(json.RawMessage(`{"token_file":"/nonexistent/tok"}`), env(nil)); err == nil {
		t.Errorf("a named token file that is missing is no error")
	}
}

// TestOpenByName: vault.Open reaches the engine by name through Register,
// from MONEYPENNY_VAULT_ENGINE and the config file's "hcvault" object.
func TestOpenByName(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.json")
	os.WriteFile(cfgFile, []byte(`{"vault":{"engine":"hcvault","hcvault":{"address":"https://vault.example.com:8200","token":"s.cfg","namespace":"n1"}}}`), 0o600)
	getenv := func(k string) string {
		if k == "HOME" {
			return dir
		}
		return ""
	}
	v, err := vault.Open(context.Background(), hcvault.Register(), vault.WithConfigFile(cfgFile), vault.WithEnv(getenv))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	info := v.Info()
	if info.Engine != hcvault.Name || !strings.Contains(info.Location, "https://vault.example.com:8200/v1/secret/data/moneypenny/") || !strings.Contains(info.Location, "namespace n1") || !strings.Contains(info.Note, cfgFile) {
		t.Errorf("info %+v", info)
	}
}
