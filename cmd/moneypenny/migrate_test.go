package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestMigrateFromFile imports gnome-keyring's legacy v0 file and a
// libsecret v1 file (the committed fixtures, written by the real tools)
// into a file keyring; a re-run finds everything already present.
func TestMigrateFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dst.keyring")
	env := fileEnv(t, path, "destination password")
	v0 := append(append([]string(nil), env...), "MONEYPENNY_SOURCE_PASSWORD=moneypenny-v0")
	r := must(t, mp(t, v0, "", "migrate", "--from-file", "../../testdata/legacykeyring/login.keyring"), 0)
	if !strings.Contains(r.stdout, "moved 3,") {
		t.Fatalf("v0 import summary: %q", r.stdout)
	}
	if got := must(t, secretTool(t, env, "", "lookup", "service", "github.com", "username", "alice"), 0).stdout; got != "ghp_v0EXAMPLE0123456789" {
		t.Fatalf("libsecret reads %q from the imported v0 item", got)
	}
	// Wrong source password: an error, nothing written.
	bad := append(append([]string(nil), env...), "MONEYPENNY_SOURCE_PASSWORD=wrong")
	if r := mp(t, bad, "", "migrate", "--from-file", "../../testdata/filekeyring/libsecret-v1.keyring"); r.code != 1 {
		t.Fatalf("import with a wrong source password: %+v", r)
	}
	v1 := append(append([]string(nil), env...), "MONEYPENNY_SOURCE_PASSWORD=moneypenny-v1")
	r = must(t, mp(t, v1, "", "migrate", "--json", "--from-file", "../../testdata/filekeyring/libsecret-v1.keyring"), 0)
	var rep struct {
		Moved          []json.RawMessage `json:"moved"`
		AlreadyPresent []json.RawMessage `json:"already_present"`
		Skipped        []json.RawMessage `json:"skipped"`
		Failed         []json.RawMessage `json:"failed"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json report %q: %v", r.stdout, err)
	}
	// The v1 fixture holds the v0 fixture's Postgres and note items again
	// (already present), and its GitHub item has the same attributes with
	// another secret: skipped, not overwritten, without --replace.
	if len(rep.Moved) != 0 || len(rep.AlreadyPresent) != 2 || len(rep.Skipped) != 1 || len(rep.Failed) != 0 {
		t.Fatalf("v1 import report: %s", r.stdout)
	}
	r = must(t, mp(t, v1, "", "migrate", "--replace", "--from-file", "../../testdata/filekeyring/libsecret-v1.keyring"), 0)
	if !strings.Contains(r.stdout, "moved 1, already present 2, skipped 0") {
		t.Fatalf("--replace summary: %q", r.stdout)
	}
	if got := must(t, secretTool(t, env, "", "lookup", "username", "alice"), 0).stdout; got != "ghp_v1REPLACED0123456789" {
		t.Fatalf("after --replace libsecret reads %q", got)
	}
}

// TestMigrateJSONShape: migrate --json names its fields in snake_case like
// the other JSON output, and prints empty lists as [], not null.
func TestMigrateJSONShape(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "dst.keyring"), "destination password")
	env = append(env, "MONEYPENNY_SOURCE_PASSWORD=moneypenny-v1")
	r := must(t, mp(t, env, "", "migrate", "--dry-run", "--json", "--from-file", "../../testdata/filekeyring/libsecret-v1.keyring"), 0)
	var rep map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	want := []string{"already_present", "dry_run", "failed", "host_delete_failed", "moved", "skipped"}
	var got []string
	for k := range rep {
		got = append(got, k)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("keys %q, want %q:\n%s", got, want, r.stdout)
	}
	if string(rep["dry_run"]) != "true" {
		t.Errorf("dry_run = %s", rep["dry_run"])
	}
	for _, k := range []string{"already_present", "failed", "host_delete_failed", "skipped"} {
		if string(rep[k]) != "[]" {
			t.Errorf("%s = %s, want []", k, rep[k])
		}
	}
	var moved []map[string]json.RawMessage
	if err := json.Unmarshal(rep["moved"], &moved); err != nil || len(moved) != 3 {
		t.Fatalf("moved: %v: %s", err, rep["moved"])
	}
	for _, e := range moved {
		if _, ok := e["label"]; !ok || len(e["attributes"]) < 2 || e["attributes"][0] != '{' {
			t.Errorf("moved entry %s", mustJSON(e))
		}
		for k := range e {
			if k != strings.ToLower(k) {
				t.Errorf("entry key %q is not snake_case", k)
			}
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestJSONOutputIsConsistent: every verb's --json output uses snake_case
// names and no null (attribute names, chosen by the user, aside).
func TestJSONOutputIsConsistent(t *testing.T) {
	env := fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw")
	must(t, mp(t, env, "s", "store", "--label=L", "CamelCase", "v"), 0)
	src := append(append([]string(nil), env...), "MONEYPENNY_SOURCE_PASSWORD=moneypenny-v1")
	outputs := map[string]string{
		"list":              must(t, mp(t, env, "", "list", "--json"), 0).stdout,
		"search":            must(t, mp(t, env, "", "search", "--json", "--all", "CamelCase", "v"), 0).stdout,
		"diagnose":          must(t, mp(t, env, "", "diagnose", "--json"), 0).stdout,
		"migrate":           must(t, mp(t, src, "", "migrate", "--json", "--from-file", "../../testdata/filekeyring/libsecret-v1.keyring"), 0).stdout,
		"search of nothing": must(t, mp(t, env, "", "search", "--json", "no", "match"), 0).stdout,
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	var walk func(verb, at string, v any)
	walk = func(verb, at string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("%s --json: null at %s", verb, at)
		case map[string]any:
			for k, x := range v {
				if !snake.MatchString(k) {
					t.Errorf("%s --json: key %q at %s is not snake_case", verb, k, at)
				}
				if k == "attributes" {
					continue
				}
				walk(verb, at+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(verb, fmt.Sprintf("%s[%d]", at, i), x)
			}
		}
	}
	for verb, out := range outputs {
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("%s --json: %v: %s", verb, err, out)
			continue
		}
		walk(verb, "", v)
	}
	if strings.TrimSpace(outputs["search of nothing"]) != "[]" {
		t.Errorf("search --json of nothing = %q, want []", outputs["search of nothing"])
	}
}
