package portal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func writeInfo(t *testing.T, root, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, ".flatpak-info"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDetectSandboxFlatpak(t *testing.T) {
	root := t.TempDir()
	// The layout flatpak writes, plus the GKeyFile details the parser must
	// respect: comments, a name= in another group first, spaces around '=',
	// a localized key.
	writeInfo(t, root, `# written by flatpak
[Runtime]
name=org.gnome.Platform

[Application]
name[de] = org.example.Wrong
name = org.example.App
runtime=runtime/org.gnome.Platform/x86_64/46

[Instance]
instance-id=1234
`)
	sb := DetectSandboxIn(root, env(nil))
	if !sb.Sandboxed() || sb.Kind != KindFlatpak || sb.AppID != "org.example.App" {
		t.Fatalf("got %+v", sb)
	}
	want := filepath.Join(root, ".flatpak-info") + " exists (app org.example.App)"
	if sb.Reason != want {
		t.Fatalf("reason %q, want %q", sb.Reason, want)
	}
}

func TestDetectSandboxFlatpakWinsOverSnap(t *testing.T) {
	root := t.TempDir()
	writeInfo(t, root, "[Application]\nname=org.example.App\n")
	sb := DetectSandboxIn(root, env(map[string]string{"SNAP_NAME": "thing"}))
	if sb.Kind != KindFlatpak {
		t.Fatalf("got %+v", sb)
	}
}

func TestDetectSandboxFlatpakWithoutName(t *testing.T) {
	for name, text := range map[string]string{
		"empty":          "",
		"no-application": "[Runtime]\nname=org.gnome.Platform\n",
		"garbage":        "\x00\x01 not an ini file",
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			writeInfo(t, root, text)
			sb := DetectSandboxIn(root, env(nil))
			// Existence alone decides, as in libsecret; the id is a bonus.
			if sb.Kind != KindFlatpak || sb.AppID != "" || !strings.Contains(sb.Reason, "no [Application] name") {
				t.Fatalf("got %+v", sb)
			}
		})
	}
}

func TestDetectSandboxFlatpakInfoUnreadable(t *testing.T) {
	root := t.TempDir()
	// A directory exists but cannot be read as a file: still sandboxed.
	if err := os.Mkdir(filepath.Join(root, ".flatpak-info"), 0o755); err != nil {
		t.Fatal(err)
	}
	sb := DetectSandboxIn(root, env(nil))
	if sb.Kind != KindFlatpak || sb.AppID != "" || !strings.Contains(sb.Reason, "unreadable") {
		t.Fatalf("got %+v", sb)
	}
}

func TestDetectSandboxSnap(t *testing.T) {
	sb := DetectSandboxIn(t.TempDir(), env(map[string]string{"SNAP_NAME": "mysnap", "FLATPAK_ID": "org.x.Y"}))
	if sb.Kind != KindSnap || sb.AppID != "mysnap" || sb.Reason != "SNAP_NAME=mysnap is set" {
		t.Fatalf("got %+v", sb)
	}
}

func TestDetectSandboxNone(t *testing.T) {
	root := t.TempDir()
	// FLATPAK_ID alone does not count: libsecret ignores it.
	sb := DetectSandboxIn(root, env(map[string]string{"FLATPAK_ID": "org.example.App"}))
	if sb.Sandboxed() || sb.Kind != "" || sb.AppID != "" {
		t.Fatalf("got %+v", sb)
	}
	want := "not sandboxed: no " + filepath.Join(root, ".flatpak-info") + " and SNAP_NAME unset"
	if sb.Reason != want {
		t.Fatalf("reason %q, want %q", sb.Reason, want)
	}
}

func TestDetectSandboxDefaults(t *testing.T) {
	// DetectSandbox looks at the real root; whatever it says must be
	// self-consistent, and an empty root means "/".
	a, b := DetectSandbox(), DetectSandboxIn("", nil)
	if a != b {
		t.Fatalf("DetectSandbox %+v != DetectSandboxIn(\"\", nil) %+v", a, b)
	}
	if _, err := os.Stat("/.flatpak-info"); err != nil && os.Getenv("SNAP_NAME") == "" {
		if a.Sandboxed() || a.Reason != "not sandboxed: no /.flatpak-info and SNAP_NAME unset" {
			t.Fatalf("got %+v", a)
		}
	}
}

func TestParseFlatpakInfoFirstGroupWins(t *testing.T) {
	got := parseFlatpakInfo([]byte("[Application]\n[Application]\nname=b\n"))
	if got != "" {
		t.Fatalf("got %q", got)
	}
	got = parseFlatpakInfo([]byte("[Application]\r\nname=org.a.B\r\n"))
	if got != "org.a.B" {
		t.Fatalf("CRLF: got %q", got)
	}
}
