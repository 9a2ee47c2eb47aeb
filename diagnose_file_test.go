package keyring

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/internal/testpeer"
)

// fileStatus is Diagnose's report on the file backend at path, with the
// password pw ("" for none).
func fileStatus(t *testing.T, path, pw string) BackendStatus {
	t.Helper()
	env := []string{"HOME", t.TempDir()}
	if pw != "" {
		env = append(env, "MONEYPENNY_PASSWORD", pw)
	}
	d, err := Diagnose(context.Background(), WithEnv(envMap(env...)), withRoot(hostRoot(t)), WithPath(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range d.Backends {
		if b.Name == File {
			return b
		}
	}
	t.Fatal("no file backend in the report")
	return BackendStatus{}
}

// diagnoseKeyring makes a file keyring with two items.
func diagnoseKeyring(t *testing.T, pw string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "default.keyring")
	ctx := context.Background()
	kr, err := Open(ctx, WithBackend(File), WithPath(path), WithPassword([]byte(pw)), WithEnv(envMap()))
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	for _, n := range []string{"a", "b"} {
		if _, err := kr.CreateItem(ctx, n, Attributes{"service": n}, NewSecret([]byte("secret "+n)), Replace); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestDiagnoseChecksTheFile: diagnose looks at the file keyring's real
// file and says what is wrong with it, instead of calling anything that
// exists "available".
func TestDiagnoseChecksTheFile(t *testing.T) {
	legacy, err := os.ReadFile("testdata/legacykeyring/login.keyring")
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 4096)
	rand.Read(random)
	write := func(t *testing.T, data []byte) string {
		p := filepath.Join(t.TempDir(), "default.keyring")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name      string
		path      func(t *testing.T) string
		pw        string
		state     string
		available bool
		reason    string
		corrupt   int
	}{
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.keyring") }, "pw", "missing", true, "will be created", 0},
		{"directory", func(t *testing.T) string { return t.TempDir() }, "pw", "directory", false, "directory", 0},
		{"ends in /", func(t *testing.T) string { return filepath.Join(t.TempDir(), "new") + "/" }, "pw", "directory", false, "directory", 0},
		{"random bytes", func(t *testing.T) string { return write(t, random) }, "pw", "not-keyring", false, "not a keyring", 0},
		{"gnome-keyring v0", func(t *testing.T) string { return write(t, legacy) }, "pw", "legacy-v0", false, "migrate --from-file", 0},
		{"locked", func(t *testing.T) string { return diagnoseKeyring(t, "right") }, "", "locked", false, "needs a password", 0},
		{"wrong password", func(t *testing.T) string { return diagnoseKeyring(t, "right") }, "wrong", "wrong-password", false, "wrong password", 0},
		{"good", func(t *testing.T) string { return diagnoseKeyring(t, "right") }, "right", "ok", true, "2 item(s)", 0},
		{"corrupt items", func(t *testing.T) string {
			p := diagnoseKeyring(t, "right")
			if err := storetest.SwapFileBlobs(p, 0, 1); err != nil {
				t.Fatal(err)
			}
			return p
		}, "right", "ok", true, "2 item(s) cannot be read", 2},
		{"read-only", func(t *testing.T) string {
			p := diagnoseKeyring(t, "right")
			if err := os.Chmod(p, 0o444); err != nil {
				t.Fatal(err)
			}
			return p
		}, "right", "ok", true, "read-only", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.path(t)
			st := fileStatus(t, path, c.pw)
			if st.State != c.state || st.Available != c.available || !strings.Contains(st.Reason, c.reason) || st.CorruptItems != c.corrupt {
				t.Fatalf("status %+v; want state %q, available %v, corrupt %d, a reason with %q", st, c.state, c.available, c.corrupt, c.reason)
			}
			if st.Location != path {
				t.Errorf("location %q, want %q", st.Location, path)
			}
		})
	}
}

// unreadableEnv makes TestDiagnoseUnreadableFile's child print the file
// backend's status for the file it names.
const unreadableEnv = "KEYRING_TEST_DIAGNOSE_FILE"

// TestDiagnoseUnreadableFile: a file the process may not read is reported
// as unreadable. Root reads any file, so the check runs in a child without
// the capabilities that let it (setpriv).
func TestDiagnoseUnreadableFile(t *testing.T) {
	if p := os.Getenv(unreadableEnv); p != "" {
		st := fileStatus(t, p, "right")
		json.NewEncoder(os.Stdout).Encode(st)
		return
	}
	path := diagnoseKeyring(t, "right")
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	argv := []string{os.Args[0], "-test.run=^TestDiagnoseUnreadableFile$"}
	if os.Geteuid() == 0 {
		setpriv := testpeer.Need(t, "setpriv")[0]
		argv = append([]string{setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), unreadableEnv+"="+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var st BackendStatus
	line := out[:strings.IndexByte(string(out), '\n')+1]
	if err := json.Unmarshal(line, &st); err != nil {
		t.Fatalf("child printed %q: %v", out, err)
	}
	if st.State != "unreadable" || st.Available || !strings.Contains(st.Reason, "permission denied") {
		t.Fatalf("status %+v, want unreadable: permission denied", st)
	}
}
