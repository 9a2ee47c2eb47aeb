package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// TestRotationVerbs drives `moneypenny rotation` against a real PostgreSQL
// with the KEK in a file keyring: init creates the group and the KEK,
// rotate makes version 2, status (text and --json) shows both with the
// current one, retire raises the minimum and refuses to lower it, a
// mismatched init, a missing group, a missing database and a foreign KEK
// are clear errors.
func TestRotationVerbs(t *testing.T) {
	pg := testpeer.StartPostgres(t)
	dir := t.TempDir()
	env := append(fileEnv(t, filepath.Join(dir, "node1.keyring"), "pw1"), "DATABASE_URL="+pg.URL)

	r := must(t, mp(t, env, "", "rotation", "init", "--interval", "1h", "--propagation-delay", "0s", "payments-signing"), 0)
	if !strings.Contains(r.stdout, "created group payments-signing") || !strings.Contains(r.stderr, `created the key-encryption key "default"`) {
		t.Fatalf("init: %+v", r)
	}
	r = must(t, mp(t, env, "", "rotation", "init", "--interval", "1h", "--propagation-delay", "0s", "payments-signing"), 0)
	if !strings.Contains(r.stdout, "already exists") {
		t.Fatalf("second init: %+v", r)
	}
	r = must(t, mp(t, env, "", "rotation", "init", "--interval", "2h", "payments-signing"), 1)
	if !strings.Contains(r.stderr, "exists with other settings") {
		t.Fatalf("mismatched init: %+v", r)
	}
	r = must(t, mp(t, env, "", "rotation", "rotate", "payments-signing"), 0)
	if !strings.Contains(r.stdout, "made version 2") {
		t.Fatalf("rotate: %+v", r)
	}

	r = must(t, mp(t, env, "", "rotation", "status", "--json", "payments-signing"), 0)
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	if st.Latest != 2 || st.Current != 2 || len(st.Versions) != 2 || st.Versions[0].State != "current" ||
		st.Versions[1].State != "previous" || st.IntervalSeconds != 3600 || st.KeySize != 32 {
		t.Fatalf("status: %+v", st)
	}
	r = must(t, mp(t, env, "", "rotation", "status", "payments-signing"), 0)
	if !strings.Contains(r.stdout, "VERSION") || !strings.Contains(r.stdout, "current") {
		t.Fatalf("status: %s", r.stdout)
	}

	must(t, mp(t, env, "", "rotation", "retire", "payments-signing", "2"), 0)
	r = must(t, mp(t, env, "", "rotation", "status", "--json", "payments-signing"), 0)
	st = statusJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.RetiredBelowVersion != 2 || len(st.Versions) != 1 {
		t.Fatalf("status after retire: %+v, %v", st, err)
	}
	r = must(t, mp(t, env, "", "rotation", "retire", "payments-signing", "1"), 1)
	if !strings.Contains(r.stderr, "cannot go down") {
		t.Fatalf("lowering: %+v", r)
	}
	must(t, mp(t, env, "", "rotation", "retire", "payments-signing", "x"), 2)

	r = must(t, mp(t, env, "", "rotation", "status", "no-such-group"), 1)
	if !strings.Contains(r.stderr, "not found") {
		t.Fatalf("missing group: %+v", r)
	}
	noDB := fileEnv(t, filepath.Join(dir, "node1.keyring"), "pw1")
	r = must(t, mp(t, noDB, "", "rotation", "status", "payments-signing"), 2)
	if !strings.Contains(r.stderr, "DATABASE_URL") {
		t.Fatalf("no database: %+v", r)
	}
	// Another node whose keyring has another KEK must not add a version.
	other := append(fileEnv(t, filepath.Join(dir, "node2.keyring"), "pw2"), "DATABASE_URL="+pg.URL)
	must(t, mp(t, other, "", "rotation", "init", "--interval", "1h", "--propagation-delay", "0s", "other-group"), 0)
	r = must(t, mp(t, other, "", "rotation", "rotate", "payments-signing"), 1)
	if !strings.Contains(r.stderr, "is not the cluster's") || strings.Contains(r.stderr, "MONEYPENNY_PASSWORD") {
		t.Fatalf("foreign KEK: %+v", r)
	}
	r = must(t, mp(t, env, "", "rotation", "status", "--json", "payments-signing"), 0)
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Latest != 2 {
		t.Fatalf("a foreign KEK wrote a version: %+v", st)
	}
}
