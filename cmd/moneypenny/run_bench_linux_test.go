package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
	"github.com/moneypenny-go/keyring/vault"
)

// BenchmarkRun20RefsVsLookup times `moneypenny run` resolving 20 vault://
// references on the file keyring against one `moneypenny lookup` on the same
// keyring, with the unlock cache warm: the password was given once, and the
// timed commands get none, so the key comes from the cache (a supplied
// password is always checked by key derivation). Both run in a session
// keyring of their own, joined with `keyctl session` (other tests' `lock`
// clears the shared cache), alternating so that both see the same machine
// load. The target is run/lookup ≤ 2. wrapper-µs/op is what `keyctl
// session` adds to each command, child-µs/op what run's child (sh) costs.
func BenchmarkRun20RefsVsLookup(b *testing.B) {
	keyctlPath := testpeer.Need(b, "keyctl")[0]
	dir := b.TempDir()
	path := filepath.Join(dir, "k.keyring")
	const password = "bench pw"
	// The secrets go in through the library: one key derivation, not 21.
	ctx := context.Background()
	kr, err := keyring.Open(ctx, keyring.WithEnv(func(string) string { return "" }), keyring.WithBackend(keyring.File),
		keyring.WithPath(path), keyring.WithPassword([]byte(password)))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := kr.CreateItem(ctx, "bench", keyring.Attributes{"service": "bench", "user": "u"}, keyring.NewSecret([]byte("lookup-value"))); err != nil {
		b.Fatal(err)
	}
	v := vault.New(vault.NewKeyringEngine(kr.Store()))
	env := privateSession(b, []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DBUS_SESSION_BUS_ADDRESS=disabled:",
		"MONEYPENNY_BACKEND=file", "MONEYPENNY_KEYRING=" + path,
	})
	session := ""
	for _, kv := range env {
		if name, ok := strings.CutPrefix(kv, sessionKeyringEnv+"="); ok {
			session = name
		}
	}
	runEnv := append([]string(nil), env...)
	for i := 0; i < 20; i++ {
		p := vault.MustParsePath(fmt.Sprintf("org/acme/key_%02d", i))
		if err := v.Set(ctx, p, secret.NewString(fmt.Sprintf("value-%02d", i))); err != nil {
			b.Fatal(err)
		}
		runEnv = append(runEnv, fmt.Sprintf("KEY_%02d=%s", i, p.Ref()))
	}
	v.Close()

	mpRun := func(env []string, args ...string) string {
		if session != "" {
			args = append([]string{"session", session, moneypennyBin}, args...)
		}
		prog := keyctlPath
		if session == "" {
			prog = moneypennyBin
		}
		cmd := exec.Command(prog, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			b.Fatalf("moneypenny %v: %v\n%s", args, err, stderr)
		}
		return string(out)
	}
	lookup := func(env []string) {
		if out := mpRun(env, "lookup", "service", "bench", "user", "u"); out != "lookup-value" {
			b.Fatalf("lookup: %q", out)
		}
	}
	runRefs := func() { mpRun(runEnv, "run", "--", "sh", "-c", `test "$KEY_19" = value-19`) }
	child := func() {
		if err := exec.Command("sh", "-c", "true").Run(); err != nil {
			b.Fatal(err)
		}
	}
	wrapper := func() {
		if session == "" {
			return
		}
		if err := exec.Command(keyctlPath, "session", session, "true").Run(); err != nil {
			b.Fatal(err)
		}
	}
	lookup(append(append([]string(nil), env...), "MONEYPENNY_PASSWORD="+password)) // warms the cache
	b.Cleanup(func() { mpRun(env, "lock") })
	lookup(env) // no password given, none asked: the cache is warm
	runRefs()
	var tLookup, tRun, tChild, tWrapper time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		lookup(env)
		t1 := time.Now()
		runRefs()
		t2 := time.Now()
		child()
		t3 := time.Now()
		wrapper()
		tLookup += t1.Sub(t0)
		tRun += t2.Sub(t1)
		tChild += t3.Sub(t2)
		tWrapper += time.Since(t3)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tLookup.Microseconds())/n, "lookup-µs/op")
	b.ReportMetric(float64(tRun.Microseconds())/n, "run20-µs/op")
	b.ReportMetric(float64(tChild.Microseconds())/n, "child-µs/op")
	b.ReportMetric(float64(tWrapper.Microseconds())/n, "wrapper-µs/op")
	b.ReportMetric(float64(tRun)/float64(tLookup), "run/lookup")
}
