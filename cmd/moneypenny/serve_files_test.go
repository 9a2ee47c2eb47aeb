//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// TestServeSIGKILLDuringWrites kills the daemon with SIGKILL while a client
// stores items as fast as it can, three times over: after each kill the
// file still opens, and every item whose CreateItem was acknowledged is in
// it (a write is acknowledged only after the file was renamed into place).
func TestServeSIGKILLDuringWrites(t *testing.T) {
	b := testpeer.NewBus(t)
	path := filepath.Join(b.DataHome(), "keyrings", "login.keyring")
	acked := map[string]bool{}
	for round := range 3 {
		d := startServe(t, b, "kill-pw", []string{"--replace"})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		coll, err := dbusservice.OpenCollection(ctx, "default", dbusservice.WithAddress(b.Address))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("r%d-%d", round, i)
				if _, err := coll.CreateItem(ctx, key, secret.Attributes{"key": key}, secret.NewString(key), true); err != nil {
					return // the daemon is gone
				}
				acked[key] = true
			}
		}()
		time.Sleep(time.Duration(150+100*round) * time.Millisecond)
		_ = d.cmd.Process.Kill()
		<-d.done
		close(stop)
		<-done
		coll.Close()
		cancel()
		recs, err := filekeyring.ReadFile(path, []byte("kill-pw"))
		if err != nil {
			t.Fatalf("round %d: the file does not open after SIGKILL: %v", round, err)
		}
		have := map[string]bool{}
		for _, r := range recs {
			have[r.Attributes["key"]] = true
		}
		for key := range acked {
			if !have[key] {
				t.Fatalf("round %d: acknowledged item %s lost", round, key)
			}
		}
		t.Logf("round %d: %d acknowledged items, %d in the file", round, len(acked), len(recs))
	}
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kills")
	}
}

// sharedFixture reads a fixture from the team's shared folder, from the
// main checkout or from a worktree.
func sharedFixture(t *testing.T, rel string) []byte {
	t.Helper()
	for _, base := range []string{"../../../shared/fixtures", "../../../../shared/fixtures"} {
		if b, err := os.ReadFile(filepath.Join(base, rel)); err == nil {
			return b
		}
	}
	testpeer.Missing(t, "shared fixture "+rel)
	return nil
}

// TestServeConvertsGnomeKeyringV0: a login.keyring that gnome-keyring 42
// wrote (format 0) is converted to the libsecret format when the daemon
// first unlocks it, the original is kept beside it, and its three items are
// served.
func TestServeConvertsGnomeKeyringV0(t *testing.T) {
	v0 := sharedFixture(t, "generated/gnome-keyring-v0-login.keyring")
	b := testpeer.NewBus(t)
	dir := filepath.Join(b.DataHome(), "keyrings")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(dir, 0o700))
	must(os.WriteFile(filepath.Join(dir, "login.keyring"), v0, 0o600))
	// A wrong password converts nothing.
	r := runCmd(t, b.Env("MONEYPENNY_PASSWORD=wrong"), "", moneypennyBin, "serve", "--prompter=none")
	if r.code == 0 {
		t.Fatalf("serve with a wrong password: %+v", r)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "login.keyring")); string(data) != string(v0) {
		t.Fatal("a wrong password changed the v0 file")
	}
	startServe(t, b, "fixture-pw-1", nil)
	if r := stool(t, b.Env(), "", "lookup", "service", "github.com", "username", "alice"); r.stdout != "ghp_EXAMPLEexample0123456789" {
		t.Fatalf("lookup of a converted item: %+v", r)
	}
	if r := stool(t, b.Env(), "", "lookup", "user", "bob"); r.stdout != "p@ss w0rd!" {
		t.Fatalf("lookup of a converted item: %+v", r)
	}
	if kept, err := os.ReadFile(filepath.Join(dir, "login.keyring"+legacySuffix)); err != nil || string(kept) != string(v0) {
		t.Fatalf("the original is not kept: %v", err)
	}
	recs, err := filekeyring.ReadFile(filepath.Join(dir, "login.keyring"), []byte("fixture-pw-1"))
	if err != nil || len(recs) != 3 {
		t.Fatalf("converted file: %d records, %v", len(recs), err)
	}
}
