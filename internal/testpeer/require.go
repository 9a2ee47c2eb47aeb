package testpeer

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where a missing peer
// must fail the test rather than skip it.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need looks up each program on PATH (or as an absolute path) and returns
// their resolved paths in order. If one is missing the test fails under CI and
// is skipped elsewhere, naming the program and the Debian package hint.
func Need(t testing.TB, programs ...string) []string {
	t.Helper()
	paths := make([]string, 0, len(programs))
	for _, p := range programs {
		path, err := exec.LookPath(p)
		if err != nil {
			Missing(t, p+" is not installed (the README's test command installs it)")
		}
		paths = append(paths, path)
	}
	return paths
}

// Missing ends the test because a peer is unavailable: t.Fatal under CI,
// t.Skip elsewhere.
func Missing(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("required peer missing under CI=true: %s", why)
	}
	t.Skipf("peer missing: %s", why)
}
