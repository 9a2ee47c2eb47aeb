package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkRun20RefsVsLookup times `moneypenny run` resolving 20 vault://
// references on the file keyring (unlock cache warm) against one
// `moneypenny lookup` on the same keyring, alternating the two so both see
// the same machine load. The target is a ratio of at most 2.
func BenchmarkRun20RefsVsLookup(b *testing.B) {
	dir := b.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DBUS_SESSION_BUS_ADDRESS=disabled:",
		"MONEYPENNY_BACKEND=file", "MONEYPENNY_KEYRING=" + filepath.Join(dir, "k.keyring"), "MONEYPENNY_PASSWORD=bench pw",
	}
	runEnv := append([]string(nil), env...)
	for i := 0; i < 20; i++ {
		p := fmt.Sprintf("org/acme/key_%02d", i)
		setup := exec.Command(moneypennyBin, "vault", "set", p)
		setup.Env = env
		setup.Stdin = strings.NewReader(fmt.Sprintf("value-%02d", i))
		if out, err := setup.CombinedOutput(); err != nil {
			b.Fatalf("vault set: %v\n%s", err, out)
		}
		runEnv = append(runEnv, fmt.Sprintf("KEY_%02d=vault://%s", i, p))
	}
	store := exec.Command(moneypennyBin, "store", "--label=bench", "service", "bench", "user", "u")
	store.Env = env
	store.Stdin = strings.NewReader("lookup-value")
	if out, err := store.CombinedOutput(); err != nil {
		b.Fatalf("store: %v\n%s", err, out)
	}
	lookup := func() {
		cmd := exec.Command(moneypennyBin, "lookup", "service", "bench", "user", "u")
		cmd.Env = env
		if out, err := cmd.Output(); err != nil || string(out) != "lookup-value" {
			b.Fatalf("lookup: %q, %v", out, err)
		}
	}
	runRefs := func() {
		cmd := exec.Command(moneypennyBin, "run", "--", "sh", "-c", `test "$KEY_19" = value-19`)
		cmd.Env = runEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("run: %v\n%s", err, out)
		}
	}
	// The child alone, to say what part of run's time is sh's.
	child := func() {
		if err := exec.Command("sh", "-c", "true").Run(); err != nil {
			b.Fatal(err)
		}
	}
	lookup() // warms the unlock cache
	runRefs()
	var tLookup, tRun, tChild time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		lookup()
		t1 := time.Now()
		runRefs()
		t2 := time.Now()
		child()
		tLookup += t1.Sub(t0)
		tRun += t2.Sub(t1)
		tChild += time.Since(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tLookup.Microseconds())/n, "lookup-µs/op")
	b.ReportMetric(float64(tRun.Microseconds())/n, "run20-µs/op")
	b.ReportMetric(float64(tChild.Microseconds())/n, "child-µs/op")
	b.ReportMetric(float64(tRun)/float64(tLookup), "run/lookup")
}
