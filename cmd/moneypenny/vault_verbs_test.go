package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/dbusservice"
)

// TestVaultVerbs: set (stdin, never argv), get, --json, list, exists, rm,
// and the errors a user meets: a .. path, an oversized value, an expired
// secret, a missing one.
func TestVaultVerbs(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	must(t, mp(t, env, "sk-live-123\n", "vault", "set", "--provider", "openai", "--expires", "90d", "org/acme/openai_api_key"), 0)
	r := must(t, mp(t, env, "", "vault", "get", "org/acme/openai_api_key"), 0)
	if r.stdout != "sk-live-123" {
		t.Fatalf("get printed %q (one trailing newline of stdin is dropped)", r.stdout)
	}
	r = must(t, mp(t, env, "", "vault", "get", "--json", "org/acme/openai_api_key"), 0)
	var got struct {
		Path, Provider, Value string
		ExpiresAt             time.Time `json:"expires_at"`
		CreatedAt             time.Time `json:"created_at"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Value != "sk-live-123" || got.Provider != "openai" ||
		got.Path != "org/acme/openai_api_key" || time.Until(got.ExpiresAt) < 89*24*time.Hour || got.CreatedAt.IsZero() {
		t.Fatalf("get --json = %s (%v)", r.stdout, err)
	}
	must(t, mp(t, env, "team", "vault", "set", "org/acme/team/token"), 0)
	must(t, mp(t, env, "g", "vault", "set", "global/jwt_signing_key"), 0)
	r = must(t, mp(t, env, "", "vault", "list", "org/acme"), 0)
	if !strings.Contains(r.stdout, "org/acme/openai_api_key  openai") || !strings.Contains(r.stdout, "org/acme/team/token") ||
		strings.Contains(r.stdout, "global/") || strings.Contains(r.stdout, "sk-live") {
		t.Fatalf("list org/acme:\n%s", r.stdout)
	}
	r = must(t, mp(t, env, "", "vault", "list", "--json"), 0)
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 3 || strings.Contains(r.stdout, "sk-live") {
		t.Fatalf("list --json = %s (%v)", r.stdout, err)
	}
	must(t, mp(t, env, "", "vault", "exists", "org/acme/openai_api_key"), 0)
	must(t, mp(t, env, "", "vault", "rm", "org/acme/openai_api_key"), 0)
	if r := must(t, mp(t, env, "", "vault", "exists", "org/acme/openai_api_key"), 1); r.stdout+r.stderr != "" {
		t.Fatalf("exists printed %+v", r)
	}
	r = must(t, mp(t, env, "", "vault", "rm", "org/acme/openai_api_key"), 1)
	if !strings.Contains(r.stderr, "not found") {
		t.Fatalf("rm of nothing: %s", r.stderr)
	}
	r = must(t, mp(t, env, "", "vault", "get", "org/acme/openai_api_key"), 1)
	if r.stdout != "" || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("get of nothing: %+v", r)
	}

	r = must(t, mp(t, env, "", "vault", "set", "global/k", "the-secret"), 2)
	if !strings.Contains(r.stderr, "never from the command line") {
		t.Fatalf("set with a value operand: %s", r.stderr)
	}
	must(t, mp(t, env, "", "vault", "exists", "global/k"), 1)
	r = must(t, mp(t, env, "x", "vault", "set", "org/../etc/passwd"), 2)
	if !strings.Contains(r.stderr, `".." is not allowed`) {
		t.Fatalf("set of a .. path: %s", r.stderr)
	}
	r = must(t, mp(t, env, strings.Repeat("x", 64<<10+1), "vault", "set", "global/big"), 1)
	if !strings.Contains(r.stderr, "too large") || !strings.Contains(r.stderr, "65536") {
		t.Fatalf("oversized value: %s", r.stderr)
	}
	must(t, mp(t, env, "old", "vault", "set", "--expires", "2020-01-01", "global/lapsed"), 0)
	r = must(t, mp(t, env, "", "vault", "get", "global/lapsed"), 1)
	if !strings.Contains(r.stderr, "expired at 2020-01-01") || strings.Contains(r.stderr, "old") {
		t.Fatalf("get of an expired secret: %s", r.stderr)
	}
	must(t, mp(t, env, "", "vault", "exists", "global/lapsed"), 0)
	must(t, mp(t, env, "x", "vault", "set", "--expires", "soon", "global/x"), 2)
	if r := must(t, mp(t, env, "\n", "vault", "set", "global/empty"), 1); !strings.Contains(r.stderr, "empty") {
		t.Fatalf("empty secret: %s", r.stderr)
	}
	must(t, mp(t, env, "", "vault", "exists", "global/empty"), 1)
}

// TestVaultEngines: the env engine is read-only from the CLI too, with
// --env-prefix; single-entry keeps everything in one item that the
// per-item engine does not see.
func TestVaultEngines(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	envEngine := append(env, "MONEYPENNY_VAULT_ENGINE=env", "APP_SECRET_GLOBAL_JWT_SIGNING_KEY=from-env")
	r := must(t, mp(t, envEngine, "", "vault", "get", "--env-prefix", "APP_SECRET_", "global/jwt_signing_key"), 0)
	if r.stdout != "from-env" {
		t.Fatalf("env engine get = %q", r.stdout)
	}
	r = must(t, mp(t, envEngine, "x", "vault", "set", "global/jwt_signing_key"), 1)
	if !strings.Contains(r.stderr, "read-only") || !strings.Contains(r.stderr, "MONEYPENNY_SECRET_*") {
		t.Fatalf("env engine set: %s", r.stderr)
	}
	must(t, mp(t, env, "one", "vault", "set", "--engine", "single-entry", "--app", "sideseat", "global/a"), 0)
	must(t, mp(t, env, "two", "vault", "set", "--engine", "single-entry", "--app", "sideseat", "global/b"), 0)
	r = must(t, mp(t, env, "", "list", "xdg:schema", "io.github.moneypenny.VaultEntry"), 0)
	if strings.Count(r.stdout, "attribute.app = sideseat") != 1 {
		t.Fatalf("want one single-entry item:\n%s", r.stdout)
	}
	r = must(t, mp(t, env, "", "vault", "list", "--engine", "single-entry", "--app", "sideseat"), 0)
	if !strings.Contains(r.stdout, "global/a") || !strings.Contains(r.stdout, "global/b") {
		t.Fatalf("single-entry list:\n%s", r.stdout)
	}
	must(t, mp(t, env, "", "vault", "exists", "global/a"), 1) // the per-item engine has its own items
	r = must(t, mp(t, env, "", "vault", "info", "--json", "--engine", "single-entry"), 0)
	if !strings.Contains(r.stdout, `"engine": "single-entry"`) || !strings.Contains(r.stdout, `"backend": "file"`) {
		t.Fatalf("info: %s", r.stdout)
	}
}

func TestRead(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	must(t, mp(t, env, "v4lue", "vault", "set", "plugins/github/token"), 0)
	if r := must(t, mp(t, env, "", "read", "vault://plugins/github/token"), 0); r.stdout != "v4lue" {
		t.Fatalf("read = %q", r.stdout)
	}
	for _, bad := range []string{"plugins/github/token", "vault://plugins/../token", "vault://token"} {
		must(t, mp(t, env, "", "read", bad), 2)
	}
	r := must(t, mp(t, env, "", "read", "vault://plugins/github/missing"), 1)
	if !strings.Contains(r.stderr, "vault://plugins/github/missing") {
		t.Fatalf("read of a missing reference: %s", r.stderr)
	}
}

// TestRunMasksAndPassesExitCode: references in the environment and an env
// file are resolved, the child's piped output is masked (not with
// --no-masking), its exit status is ours, and a missing reference stops
// the run before the child starts, naming the variable and the reference.
func TestRunMasksAndPassesExitCode(t *testing.T) {
	dir := t.TempDir()
	env := fileEnv(t, filepath.Join(dir, "k.keyring"), "pw")
	must(t, mp(t, env, "sk-ORG-key", "vault", "set", "org/acme/openai_api_key"), 0)
	must(t, mp(t, env, "db-pass-9", "vault", "set", "global/db_password"), 0)
	envFile := filepath.Join(dir, "app.env")
	if err := os.WriteFile(envFile, []byte("# app\nexport DB_PASSWORD=\"vault://global/db_password\"\nPLAIN='not a ref'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withRef := append(env, "OPENAI_API_KEY=vault://org/acme/openai_api_key")
	script := `echo "key=$OPENAI_API_KEY db=$DB_PASSWORD plain=$PLAIN"; echo "err:$OPENAI_API_KEY" >&2; exit 7`
	r := must(t, mp(t, withRef, "", "run", "--env-file", envFile, "--", "sh", "-c", script), 7)
	if r.stdout != "key=<concealed by moneypenny> db=<concealed by moneypenny> plain=not a ref\n" || r.stderr != "err:<concealed by moneypenny>\n" {
		t.Fatalf("masked run: %+v", r)
	}
	r = must(t, mp(t, withRef, "", "run", "--no-masking", "--env-file", envFile, "--", "sh", "-c", script), 7)
	if r.stdout != "key=sk-ORG-key db=db-pass-9 plain=not a ref\n" {
		t.Fatalf("unmasked run: %+v", r)
	}
	// A secret split across writes is still masked.
	r = must(t, mp(t, withRef, "", "run", "--", "sh", "-c", `printf 'x sk-ORG'; sleep 0.2; printf -- '-key y\n'`), 0)
	if r.stdout != "x <concealed by moneypenny> y\n" {
		t.Fatalf("split secret: %q", r.stdout)
	}
	ran := filepath.Join(dir, "ran")
	missing := append(env, "TOKEN=vault://org/acme/missing")
	r = must(t, mp(t, missing, "", "run", "--", "touch", ran), 1)
	if !strings.Contains(r.stderr, "TOKEN") || !strings.Contains(r.stderr, "vault://org/acme/missing") {
		t.Fatalf("missing reference: %s", r.stderr)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("the child ran although a reference did not resolve")
	}
	must(t, mp(t, env, "", "run"), 2)
}

// TestInjectWritesPrivateFileAtomically: the output is 0600 even over a
// world-readable file, and a template with a missing reference writes
// nothing and leaves the old file as it was.
func TestInjectWritesPrivateFileAtomically(t *testing.T) {
	dir := t.TempDir()
	env := fileEnv(t, filepath.Join(dir, "k.keyring"), "pw")
	must(t, mp(t, env, "s3cret", "vault", "set", "global/db_password"), 0)
	tmpl := filepath.Join(dir, "config.tmpl")
	out := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(tmpl, []byte("password = \"{{ vault://global/db_password }}\"\nurl = \"pg://u:vault://global/db_password@h\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, mp(t, env, "", "inject", "-i", tmpl, "-o", out), 0)
	b, _ := os.ReadFile(out)
	st, _ := os.Stat(out)
	if string(b) != "password = \"s3cret\"\nurl = \"pg://u:s3cret@h\"\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("inject wrote %q with mode %v", b, st.Mode())
	}
	if err := os.WriteFile(tmpl, []byte("a = vault://global/db_password\nb = vault://global/nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := must(t, mp(t, env, "", "inject", "-i", tmpl, "-o", out), 1)
	if !strings.Contains(r.stderr, "vault://global/nope") || strings.Contains(r.stderr, "s3cret") {
		t.Fatalf("inject with a missing reference: %s", r.stderr)
	}
	if b2, _ := os.ReadFile(out); string(b2) != string(b) {
		t.Fatalf("a failed inject changed the output to %q", b2)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file left behind: %s", e.Name())
		}
	}
	r = must(t, mp(t, env, "x = vault://global/db_password\n", "inject"), 0)
	if r.stdout != "x = s3cret\n" {
		t.Fatalf("inject to stdout = %q", r.stdout)
	}
}

// TestVaultOnGnomeKeyring: with nothing configured the vault verbs use the
// detected Secret Service (a real gnome-keyring), record it in the marker,
// secret-tool finds the items by the documented schema, and --collection
// pointing elsewhere is an explicit choice the marker does not refuse,
// while a moved default alias is refused.
func TestVaultOnGnomeKeyring(t *testing.T) {
	env := hostEnv(t)
	must(t, mp(t, env, "tok\n", "vault", "set", "--provider", "github", "user/u1/personal_token"), 0)
	r := must(t, secretTool(t, env, "", "search", "xdg:schema", "io.github.moneypenny.Vault", "scope", "user/u1"), 0)
	if all := r.stdout + r.stderr; !strings.Contains(all, "attribute.name = personal_token") ||
		!strings.Contains(all, "attribute.provider = github") || !strings.Contains(r.stdout, "secret = tok") {
		t.Fatalf("secret-tool search:\n%s%s", r.stdout, r.stderr)
	}
	info := must(t, mp(t, env, "", "vault", "info", "--json"), 0).stdout
	if !strings.Contains(info, `"backend": "secret-service"`) || !strings.Contains(info, "vault-backend.json") {
		t.Fatalf("info: %s", info)
	}
	if got := must(t, mp(t, env, "", "read", "vault://user/u1/personal_token"), 0).stdout; got != "tok" {
		t.Fatalf("read = %q", got)
	}
	// Naming the collection is an explicit choice: no marker check.
	must(t, mp(t, env, "", "vault", "list", "--collection", "session"), 0)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := dbusservice.Connect(ctx, dbusservice.WithAddress(envValue(env, "DBUS_SESSION_BUS_ADDRESS")))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if err := svc.SetAlias(ctx, "default", "/org/freedesktop/secrets/collection/session"); err != nil {
		t.Fatal(err)
	}
	r = must(t, mp(t, env, "", "vault", "get", "user/u1/personal_token"), 1)
	if !strings.Contains(r.stderr, "refusing to show an empty vault") || !strings.Contains(r.stderr, "/collection/login") {
		t.Fatalf("get after the default collection moved: %s", r.stderr)
	}
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// vaultMatrix is the verb matrix's part for vault, read, run and inject:
// each on the backend b, the Windows build under Wine included.
func vaultMatrix(t *testing.T, b matrixBackend, tag string) {
	t.Helper()
	p := "matrix/" + tag + "/api_key"
	r := must(t, b.run(t, "matrix-value\n", "vault", "set", "--provider", "prov", "--expires", "30d", p), 0)
	if b.volatile != strings.Contains(r.stderr, "not persistent") || r.stdout != "" {
		t.Errorf("vault set on %s: %+v", b.name, r)
	}
	if r := must(t, b.run(t, "", "vault", "get", p), 0); r.stdout != "matrix-value" {
		t.Errorf("vault get on %s: %+v", b.name, r)
	}
	var got struct{ Provider, Value string }
	r = must(t, b.run(t, "", "vault", "get", "--json", p), 0)
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Value != "matrix-value" || got.Provider != "prov" {
		t.Errorf("vault get --json on %s: %v: %s", b.name, err, r.stdout)
	}
	var list []map[string]any
	r = must(t, b.run(t, "", "vault", "list", "--json", "matrix/"+tag), 0)
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || strings.Contains(r.stdout, "matrix-value") {
		t.Errorf("vault list --json on %s: %v: %s", b.name, err, r.stdout)
	}
	if r := must(t, b.run(t, "", "vault", "info", "--json"), 0); !strings.Contains(r.stdout, `"backend": "`+b.name+`"`) {
		t.Errorf("vault info on %s: %s", b.name, r.stdout)
	}
	if r := must(t, b.run(t, "", "read", "vault://"+p), 0); r.stdout != "matrix-value" {
		t.Errorf("read on %s: %+v", b.name, r)
	}
	if r := must(t, b.run(t, "k = {{ vault://"+p+" }}\n", "inject"), 0); r.stdout != "k = matrix-value\n" {
		t.Errorf("inject on %s: %+v", b.name, r)
	}
	envFile := filepath.Join(t.TempDir(), "matrix.env")
	if err := os.WriteFile(envFile, []byte("MATRIX_KEY=vault://"+p+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	child := []string{"sh", "-c", `echo "k=$MATRIX_KEY"; exit 3`}
	if b.name == keyring.CredentialManager { // the Windows build: cmd, and the file through Wine's Z: drive
		envFile = "Z:" + envFile
		child = []string{"cmd", "/c", "echo k=%MATRIX_KEY%& exit 3"}
	}
	r = must(t, b.run(t, "", append([]string{"run", "--env-file", envFile, "--"}, child...)...), 3)
	if strings.TrimRight(r.stdout, "\r\n") != "k=<concealed by moneypenny>" {
		t.Errorf("run on %s: %+v", b.name, r)
	}
	must(t, b.run(t, "", "vault", "rm", p), 0)
	must(t, b.run(t, "", "vault", "exists", p), 1)
}

// TestVaultInFlatpak: inside a (fake) Flatpak the vault verbs use the
// sandbox's portal-keyed file keyring, where libsecret's secret-tool in the
// same sandbox finds the items by the schema; nothing reaches the host
// collection; from the host --app-id reads them.
func TestVaultInFlatpak(t *testing.T) {
	d := startDesktop(t)
	app := d.bus.Flatpak(t, "org.example.MpVault")
	must(t, d.in(t, app, "sk-sandboxed\n", moneypennyBin, "vault", "set", "--provider", "openai", "org/acme/openai_api_key"), 0)
	if got := must(t, d.in(t, app, "", moneypennyBin, "vault", "get", "org/acme/openai_api_key"), 0).stdout; got != "sk-sandboxed" {
		t.Fatalf("vault get in the sandbox = %q", got)
	}
	info := must(t, d.in(t, app, "", moneypennyBin, "vault", "info", "--json"), 0).stdout
	if !strings.Contains(info, `"backend": "file"`) || !strings.Contains(info, app.KeyringPath()) {
		t.Fatalf("vault info in the sandbox: %s", info)
	}
	r := must(t, libsecretIn(t, app, "", "search", "xdg:schema", "io.github.moneypenny.Vault", "scope", "org/acme"), 0)
	if !strings.Contains(r.stdout, "secret = sk-sandboxed") {
		t.Fatalf("libsecret in the sandbox does not find the vault item:\n%s", r.stdout)
	}
	if r := d.onHost(t, "", secretToolPath(t), "search", "--all", "xdg:schema", "io.github.moneypenny.Vault"); r.stdout != "" {
		t.Fatalf("the sandboxed vault leaked to the host collection:\n%s", r.stdout)
	}
	if got := must(t, d.onHost(t, "", moneypennyBin, "--app-id", "org.example.MpVault", "read", "vault://org/acme/openai_api_key"), 0).stdout; got != "sk-sandboxed" {
		t.Fatalf("--app-id on the host reads %q", got)
	}
}
