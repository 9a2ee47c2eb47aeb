package testpeer

import (
	"os"
	"path/filepath"
	"testing"
)

// FixturesEnv names the directory of the third-party keyring fixtures
// (libsecret's and oo7's test files), which the project reads but must not
// commit. Unset, the tests look for shared/fixtures in the working
// directory's ancestors: ../shared/fixtures of a checkout, and of a git
// worktree nested deeper below the same parent.
const FixturesEnv = "MONEYPENNY_FIXTURES"

// Fixture returns the path of the shared fixture rel ("libsecret/default.keyring").
// When it cannot be found the test fails under CI=true, where the fixtures
// are always present, and is skipped elsewhere with one line that says
// where it looked: a fixture test that silently skips in CI cannot fail.
func Fixture(t testing.TB, rel string) string {
	t.Helper()
	dir, where := fixturesDir()
	if dir == "" {
		Missing(t, "third-party fixture "+rel+" not found: "+where)
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		Missing(t, "third-party fixture "+rel+": "+err.Error())
	}
	return p
}

// ReadFixture returns the contents of the shared fixture rel, as Fixture
// finds it.
func ReadFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(Fixture(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixturesDir finds the fixtures directory, or says where it looked.
func fixturesDir() (dir, where string) {
	if d := os.Getenv(FixturesEnv); d != "" {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d, ""
		}
		return "", FixturesEnv + "=" + d + " is not a directory"
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err.Error()
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "shared", "fixtures")
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			return cand, ""
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", "no shared/fixtures above " + wd + " (set " + FixturesEnv + ")"
}
