package dpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/moneypenny-go/keyring/internal/vaulttest"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/dpapi"
)

// tempDir is a fresh directory removed file by file afterwards: under
// Wine, os.RemoveAll (and so t.TempDir's cleanup) fails.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dpapi-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeTree(t, dir) })
	return dir
}

func removeTree(t *testing.T, dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			removeTree(t, p)
			continue
		}
		if err := os.Remove(p); err != nil {
			t.Logf("cleanup: %v", err)
		}
	}
	if err := os.Remove(dir); err != nil {
		t.Logf("cleanup: %v", err)
	}
}

func open(t *testing.T, dir string) *dpapi.Engine {
	t.Helper()
	e, err := dpapi.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fileOf(dir string, p vault.Path) string {
	h := sha256.Sum256([]byte(p.String()))
	return filepath.Join(dir, hex.EncodeToString(h[:])+".dpapi")
}

// TestDPAPIContract runs the engine contract on the real
// CryptProtectData: two engines on one directory act as two processes.
func TestDPAPIContract(t *testing.T) {
	dir := filepath.Join(tempDir(t), "vault")
	vaulttest.Run(t, func(t *testing.T) vault.Engine { return open(t, dir) })
}

// TestLargeValue: a 1 MiB value, far over the Credential Manager's limit,
// round-trips, and the file does not contain it in the clear.
func TestLargeValue(t *testing.T) {
	dir := tempDir(t)
	ctx := vaulttest.Ctx(t)
	v := vault.New(open(t, dir), vault.WithMaxValueSize(2<<20))
	p := vault.MustParsePath("global/service_account_json")
	val := bytes.Repeat([]byte("BIG-SECRET-"), (1<<20)/11)
	if err := v.Set(ctx, p, secret.New(append([]byte(nil), val...)), vault.WithProvider("gcp")); err != nil {
		t.Fatal(err)
	}
	got, err := v.Get(ctx, p)
	if err != nil || !bytes.Equal(got.Value.Bytes(), val) || got.Provider != "gcp" {
		t.Fatalf("large value: %d bytes, %+v, %v", got.Value.Len(), got, err)
	}
	b, err := os.ReadFile(fileOf(dir, p))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("BIG-SECRET")) {
		t.Fatal("the file holds the value in the clear")
	}
	if !bytes.HasPrefix(b, []byte("moneypenny-vault-dpapi 1\n{\"path\":\"global/service_account_json\"")) {
		t.Fatalf("file starts %q", b[:60])
	}
}

// TestOwnerOnlyFiles: a secret's file and the directory the engine made
// grant access to the current user alone: on Windows their DACL is exactly
// the protected one-entry DACL the engine sets. Wine keeps no DACLs: it
// turns the one given at creation into Unix permissions and shows a DACL
// made from them, which for a file it made owner-only lists the user and
// SYSTEM, and for a file made without one (the control) also Everyone.
// No temporary file is left.
func TestOwnerOnlyFiles(t *testing.T) {
	base := tempDir(t)
	dir := filepath.Join(base, "made-by-engine")
	ctx := vaulttest.Ctx(t)
	v := vault.New(open(t, dir))
	p := vault.MustParsePath("org/acme/tls_key")
	if err := v.Set(ctx, p, secret.NewString("k")); err != nil {
		t.Fatal(err)
	}
	if err := v.Set(ctx, p, secret.NewString("k2")); err != nil {
		t.Fatal(err)
	}
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	sid := u.User.Sid.String()
	wine := underWine()
	dacl := func(path string) string {
		t.Helper()
		sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return sd.String()
	}
	trustees := func(sddl string) []string {
		var out []string
		for _, m := range aceRE.FindAllStringSubmatch(sddl, -1) {
			out = append(out, m[1])
		}
		return out
	}
	for path, want := range map[string]string{
		fileOf(dir, p): "D:P(A;;FA;;;" + sid + ")",
		dir:            "D:P(A;OICI;FA;;;" + sid + ")",
	} {
		got := dacl(path)
		if !wine {
			if got != want {
				t.Errorf("DACL of %s = %s, want %s", filepath.Base(path), got, want)
			}
			continue
		}
		for _, who := range trustees(got) {
			if who != sid && who != "SY" {
				t.Errorf("DACL of %s = %s: grants %s", filepath.Base(path), got, who)
			}
		}
	}
	if wine {
		control := filepath.Join(base, "control")
		if err := os.WriteFile(control, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := dacl(control); !strings.Contains(got, ";;;WD)") {
			t.Fatalf("control file's DACL = %s: the check above would not see a world-readable file", got)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

var aceRE = regexp.MustCompile(`\(A;[^;]*;[^;]*;[^;]*;[^;]*;([^)]+)\)`)

// underWine: ntdll exports wine_get_version under Wine only.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// TestMovedFileRefused: a file copied over another path's file is refused
// (its metadata names another path), and so is one whose metadata line
// was also edited to name the new path (the entropy binds the old path).
// Neither is overwritten by a later Set.
func TestMovedFileRefused(t *testing.T) {
	dir := tempDir(t)
	ctx := vaulttest.Ctx(t)
	v := vault.New(open(t, dir))
	a, b := vault.MustParsePath("org/acme/a"), vault.MustParsePath("org/acme/b")
	if err := v.Set(ctx, a, secret.NewString("value-of-a")); err != nil {
		t.Fatal(err)
	}
	if err := v.Set(ctx, b, secret.NewString("value-of-b")); err != nil {
		t.Fatal(err)
	}
	fa, err := os.ReadFile(fileOf(dir, a))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fileOf(dir, b), fa, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = v.Get(ctx, b)
	if !errors.Is(err, secret.ErrCorrupt) || !strings.Contains(err.Error(), "org/acme/a") || strings.Contains(err.Error(), "value-of") {
		t.Fatalf("Get of a file moved from another path = %v, want ErrCorrupt naming org/acme/a", err)
	}
	if err := v.Set(ctx, b, secret.NewString("new")); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("Set over a moved file = %v, want ErrCorrupt (kept)", err)
	}
	if after, _ := os.ReadFile(fileOf(dir, b)); !bytes.Equal(after, fa) {
		t.Fatal("the refused file was changed")
	}
	edited := bytes.Replace(fa, []byte(`"path":"org/acme/a"`), []byte(`"path":"org/acme/b"`), 1)
	if err := os.WriteFile(fileOf(dir, b), edited, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get(ctx, b); !errors.Is(err, secret.ErrCorrupt) || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("Get of a moved file with its path edited = %v, want ErrCorrupt from unsealing", err)
	}
	if got, err := v.GetValue(ctx, a); err != nil || string(got.Bytes()) != "value-of-a" {
		t.Fatalf("the original is still readable: %v", err)
	}
}

// TestTamperedRefused: a flipped byte in the sealed blob, an edited
// metadata line (a later expiry), a truncated file and a foreign file are
// each refused with ErrCorrupt, never returned as a value.
func TestTamperedRefused(t *testing.T) {
	dir := tempDir(t)
	ctx := vaulttest.Ctx(t)
	v := vault.New(open(t, dir))
	p := vault.MustParsePath("global/k")
	if err := v.Set(ctx, p, secret.NewString("original"), vault.WithProvider("x")); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(fileOf(dir, p))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(orig), "\n"), "\n")
	blob, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := append([]byte(nil), blob...)
		b[i] ^= 0x01
		return lines[0] + "\n" + lines[1] + "\n" + base64.StdEncoding.EncodeToString(b) + "\n"
	}
	cases := map[string]string{
		"flipped byte in the ciphertext": flip(len(blob) - 30),
		"flipped byte in the MAC":        flip(len(blob) - 1),
		"edited metadata":                lines[0] + "\n" + strings.Replace(lines[1], `"provider":"x"`, `"provider":"y"`, 1) + "\n" + lines[2] + "\n",
		"truncated":                      string(orig[:len(orig)/2]),
		"foreign file":                   "hello, not ours\n",
	}
	for name, content := range cases {
		if err := os.WriteFile(fileOf(dir, p), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := v.Get(ctx, p)
		if !errors.Is(err, secret.ErrCorrupt) || got != nil {
			t.Errorf("%s: Get = %v, %v; want ErrCorrupt", name, got, err)
		}
	}
	// A foreign file: List names it instead of skipping it silently, and
	// a write to its path leaves it alone.
	if err := os.WriteFile(fileOf(dir, p), []byte(cases["foreign file"]), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.List(ctx, ""); !errors.Is(err, secret.ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(fileOf(dir, p))) {
		t.Errorf("List with a foreign file = %v, want ErrCorrupt naming the file", err)
	}
	if err := v.Set(ctx, p, secret.NewString("over it")); !errors.Is(err, secret.ErrCorrupt) {
		t.Errorf("Set over a foreign file = %v, want ErrCorrupt", err)
	}
	if b, _ := os.ReadFile(fileOf(dir, p)); string(b) != "hello, not ours\n" {
		t.Errorf("the foreign file was changed: %q", b)
	}
	if err := os.WriteFile(fileOf(dir, p), orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := v.GetValue(ctx, p); err != nil || string(got.Bytes()) != "original" {
		t.Fatalf("restored file: %v", err)
	}
}

// TestOpenByName: vault.Open reaches the engine by name, with its
// directory from the config file.
func TestOpenByName(t *testing.T) {
	dir := tempDir(t)
	ctx := vaulttest.Ctx(t)
	cfg := filepath.Join(dir, "config.json")
	vdir := filepath.Join(dir, "secrets")
	js := `{"vault": {"dpapi-file": {"dir": ` + strings.ReplaceAll(`"`+vdir+`"`, `\`, `\\`) + `}}}`
	if err := os.WriteFile(cfg, []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(ctx, vault.WithConfigFile(cfg), dpapi.Register(),
		vault.WithEnv(func(k string) string {
			if k == "MONEYPENNY_VAULT_ENGINE" {
				return dpapi.Name
			}
			return ""
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if info := v.Info(); info.Engine != dpapi.Name || info.Location != vdir {
		t.Fatalf("Info = %+v", info)
	}
	p := vault.MustParsePath("global/x")
	if err := v.Set(ctx, p, secret.NewString("y")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fileOf(vdir, p)); err != nil {
		t.Fatal(err)
	}
}
