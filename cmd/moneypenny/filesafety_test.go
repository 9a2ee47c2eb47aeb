package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// tamperedKeyring stores three items with moneypenny and swaps the blobs
// of the first two, so that two items cannot be read and one can.
func tamperedKeyring(t *testing.T) (path string, env []string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "k.keyring")
	env = fileEnv(t, path, "pw")
	for _, n := range []string{"a", "b", "good"} {
		must(t, mp(t, env, "secret "+n, "store", "--label="+n, "service", n), 0)
	}
	if err := storetest.SwapFileBlobs(path, 0, 1); err != nil {
		t.Fatal(err)
	}
	return path, env
}

// TestSwappedBlobsThroughTheCLI: after two items' blobs were swapped,
// lookup of either finds nothing (never the other's secret), clear does not
// delete the wrong one, and list and search say on stderr how many items
// could not be read.
func TestSwappedBlobsThroughTheCLI(t *testing.T) {
	path, env := tamperedKeyring(t)
	before := mustRead(t, path)
	for _, n := range []string{"a", "b"} {
		if r := mp(t, env, "", "lookup", "service", n); r.code != 1 || r.stdout != "" {
			t.Fatalf("lookup service %s: %+v (a moved blob was handed out)", n, r)
		}
		must(t, mp(t, env, "", "clear", "service", n), 1)
	}
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Fatal("clear of a corrupt item rewrote the file")
	}
	const warn = "2 item(s) in "
	r := must(t, mp(t, env, "", "list"), 0)
	if !strings.Contains(r.stderr, warn) || strings.Count(r.stdout, "label = ") != 1 {
		t.Fatalf("list: stdout %q, stderr %q; want one item and a warning about 2", r.stdout, r.stderr)
	}
	r = must(t, mp(t, env, "", "search", "--all", "service", "good"), 0)
	if !strings.Contains(r.stderr, warn) || !strings.Contains(r.stdout, "secret good") {
		t.Fatalf("search: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	// A keyring without such items prints no warning.
	clean := fileEnv(t, filepath.Join(t.TempDir(), "clean.keyring"), "pw")
	must(t, mp(t, clean, "x", "store", "--label=x", "service", "x"), 0)
	if r := must(t, mp(t, clean, "", "list"), 0); r.stderr != "" {
		t.Fatalf("list of a clean keyring warns: %q", r.stderr)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRepairDryRunAndConsent: repair --dry-run lists what would go and
// changes nothing; without a terminal, repair refuses unless --yes; with
// --yes it removes exactly the unreadable items.
func TestRepairDryRunAndConsent(t *testing.T) {
	path, env := tamperedKeyring(t)
	before := mustRead(t, path)
	r := must(t, mp(t, env, "", "repair", "--dry-run"), 0)
	if !strings.Contains(r.stdout, "would remove 2 item(s)") || strings.Count(r.stdout, "(attributes: service)") != 2 {
		t.Fatalf("dry run printed %q", r.stdout)
	}
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Fatal("repair --dry-run changed the file")
	}
	r = must(t, mp(t, env, "", "repair"), 1)
	if !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("repair without a terminal: %q, want a refusal naming --yes", r.stderr)
	}
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Fatal("repair without consent changed the file")
	}
	r = must(t, mp(t, env, "", "repair", "--yes"), 0)
	if !strings.Contains(r.stdout, "removed 2 item(s)") {
		t.Fatalf("repair --yes printed %q", r.stdout)
	}
	if got := must(t, mp(t, env, "", "lookup", "service", "good"), 0).stdout; got != "secret good" {
		t.Fatalf("the readable item after repair: %q", got)
	}
	if r := must(t, mp(t, env, "", "list"), 0); r.stderr != "" {
		t.Fatalf("list after repair still warns: %q", r.stderr)
	}
	if r := must(t, mp(t, env, "", "repair", "--dry-run"), 0); !strings.Contains(r.stdout, "nothing to repair") {
		t.Fatalf("dry run after repair: %q", r.stdout)
	}
}

// diagnoseFile runs `moneypenny diagnose --json` and returns the file
// backend's entry.
func diagnoseFile(t *testing.T, env []string, wrap ...string) map[string]any {
	t.Helper()
	prog, args := moneypennyBin, []string{"diagnose", "--json"}
	if len(wrap) > 0 {
		prog, args = wrap[0], append(append(wrap[1:], moneypennyBin), args...)
	}
	r := must(t, runCmd(t, env, "", prog, args...), 0)
	var d struct {
		Backends []map[string]any `json:"backends"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("diagnose --json: %v\n%s", err, r.stdout)
	}
	for _, b := range d.Backends {
		if b["name"] == "file" {
			return b
		}
	}
	t.Fatalf("no file backend in %s", r.stdout)
	return nil
}

// TestDiagnoseTheFile: `moneypenny diagnose` looks at the keyring file
// itself, in the text and the JSON report.
func TestDiagnoseTheFile(t *testing.T) {
	legacy, err := os.ReadFile("../../testdata/legacykeyring/login.keyring")
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 4096)
	rand.Read(random)
	file := func(data []byte) string {
		p := filepath.Join(t.TempDir(), "k.keyring")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := filepath.Join(t.TempDir(), "good.keyring")
	must(t, mp(t, fileEnv(t, good, "right"), "v", "store", "--label=l", "service", "s"), 0)
	tampered, _ := tamperedKeyring(t)
	unreadable := filepath.Join(t.TempDir(), "unreadable.keyring")
	must(t, mp(t, fileEnv(t, unreadable, "right"), "v", "store", "--label=l", "service", "s"), 0)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, pw, state, text string
		wrap                        []string
		corrupt                     float64
	}{
		{"missing", filepath.Join(t.TempDir(), "none.keyring"), "pw", "missing", "will be created", nil, 0},
		{"directory", t.TempDir(), "pw", "directory", "is a directory", nil, 0},
		{"random bytes", file(random), "pw", "not-keyring", "not a keyring", nil, 0},
		{"gnome-keyring v0", file(legacy), "pw", "legacy-v0", "migrate --from-file", nil, 0},
		{"locked", good, "", "locked", "needs a password", nil, 0},
		{"wrong password", good, "wrong", "wrong-password", "wrong password", nil, 0},
		{"good", good, "right", "ok", "1 item(s)", nil, 0},
		{"corrupt items", tampered, "pw", "ok", "2 item(s) cannot be read", nil, 2},
		{"unreadable", unreadable, "right", "unreadable", "permission denied",
			// Root reads any file: run without the capabilities that allow it.
			[]string{testpeer.Need(t, "setpriv")[0], "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pw := c.pw
			if pw == "" {
				pw = unset
			}
			env := setEnv(fileEnv(t, c.path, c.pw), "MONEYPENNY_PASSWORD", pw)
			b := diagnoseFile(t, env, c.wrap...)
			corrupt, _ := b["corrupt_items"].(float64)
			if b["state"] != c.state || corrupt != c.corrupt || !strings.Contains(b["reason"].(string), c.text) {
				t.Fatalf("file backend %v; want state %q, %v corrupt items, a reason with %q", b, c.state, c.corrupt, c.text)
			}
			if want := c.state == "ok" || c.state == "missing"; b["available"] != want {
				t.Errorf("available = %v, want %v", b["available"], want)
			}
			// The text report says the same.
			prog, args := moneypennyBin, []string{"diagnose"}
			if len(c.wrap) > 0 {
				prog, args = c.wrap[0], append(append(c.wrap[1:], moneypennyBin), args...)
			}
			if r := must(t, runCmd(t, env, "", prog, args...), 0); !strings.Contains(r.stdout, c.text) {
				t.Errorf("diagnose text lacks %q:\n%s", c.text, r.stdout)
			}
		})
	}
}
