package testpeer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFixtureFound(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "oo7", "client"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oo7", "client", "x.keyring"), []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(FixturesEnv, dir)
	if got := string(ReadFixture(t, "oo7/client/x.keyring")); got != "data" {
		t.Fatalf("ReadFixture = %q", got)
	}
}

// TestFixtureTestsFailUnderCI runs the packages whose tests read the
// third-party fixtures with the fixtures absent: under CI=true they must
// fail (they used to skip, so CI could never notice a missing fixture), and
// elsewhere skip with a line naming the fixture.
func TestFixtureTestsFailUnderCI(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		Missing(t, "the go command")
	}
	pkgs := []string{"./filekeyring", "./internal/legacykeyring", "./internal/gvariant"}
	empty := t.TempDir()
	run := func(ci string) (string, error) {
		cmd := exec.Command(gobin, append([]string{"test", "-count=1", "-v", "-run", "Fixture"}, pkgs...)...)
		cmd.Dir = filepath.Join("..", "..")
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "CI=") && !strings.HasPrefix(kv, FixturesEnv+"=") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "CI="+ci, FixturesEnv+"="+empty)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("true")
	if err == nil {
		t.Fatalf("fixture tests passed under CI=true without the fixtures:\n%s", out)
	}
	for _, want := range []string{
		"required peer missing under CI=true: third-party fixture libsecret/default.keyring",
		"required peer missing under CI=true: third-party fixture oo7/client/default.keyring",
		"required peer missing under CI=true: third-party fixture oo7/client/legacy.keyring",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("under CI=true the output lacks %q:\n%s", want, out)
		}
	}
	out, err = run("")
	if err != nil {
		t.Fatalf("fixture tests failed outside CI without the fixtures: %v\n%s", err, out)
	}
	if !strings.Contains(out, "--- SKIP: TestLibsecretFixture") || !strings.Contains(out, "peer missing: third-party fixture libsecret/default.keyring") {
		t.Errorf("outside CI the skip does not say why:\n%s", out)
	}
}
