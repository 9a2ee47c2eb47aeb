package portal

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Sandbox kinds reported in Sandbox.Kind.
const (
	KindFlatpak = "flatpak"
	KindSnap    = "snap"
)

// Sandbox says whether, and why, the process looks sandboxed.
type Sandbox struct {
	// Kind is "flatpak", "snap" or "" (not sandboxed).
	Kind string
	// AppID is the application id when it could be read: the name= of
	// .flatpak-info's [Application] group, or SNAP_NAME. It is information
	// only: the portal finds the app id itself, and for a snap it passes
	// "snap.<name>" to its backend.
	AppID string
	// Reason explains the verdict for humans, e.g. "/.flatpak-info exists
	// (app org.example.App)".
	Reason string
}

// Sandboxed reports whether a sandbox was detected.
func (s Sandbox) Sandboxed() bool { return s.Kind != "" }

// DetectSandbox is DetectSandboxIn("/", os.Getenv).
func DetectSandbox() Sandbox { return DetectSandboxIn("/", os.Getenv) }

// flatpakInfoLimit caps how much of .flatpak-info is read: the real file is a
// few hundred bytes, and detection must not be made to swallow a huge one.
const flatpakInfoLimit = 64 << 10

// DetectSandboxIn applies libsecret's rule to a filesystem root and an
// environment: the process is sandboxed if root/.flatpak-info exists (Flatpak)
// or SNAP_NAME is set (Snap). Flatpak wins when both hold, as in libsecret,
// which tests the file first. FLATPAK_ID is deliberately not consulted:
// libsecret ignores it, and deciding differently from libsecret would put this
// app's secrets somewhere libsecret does not look.
//
// An empty root means "/"; a nil getenv means os.Getenv.
func DetectSandboxIn(root string, getenv func(string) string) Sandbox {
	if root == "" {
		root = "/"
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	info := filepath.Join(root, ".flatpak-info")
	// libsecret uses g_file_test(G_FILE_TEST_EXISTS), which follows symlinks
	// and counts any kind of file, so Stat and not a regular-file check.
	if _, err := os.Stat(info); err == nil {
		sb := Sandbox{Kind: KindFlatpak}
		id, perr := flatpakAppID(info)
		switch {
		case perr != nil:
			sb.Reason = fmt.Sprintf("%s exists (app id unreadable: %v)", info, perr)
		case id == "":
			sb.Reason = fmt.Sprintf("%s exists (no [Application] name)", info)
		default:
			sb.AppID = id
			sb.Reason = fmt.Sprintf("%s exists (app %s)", info, id)
		}
		return sb
	}
	if name := getenv("SNAP_NAME"); name != "" {
		return Sandbox{Kind: KindSnap, AppID: name, Reason: fmt.Sprintf("SNAP_NAME=%s is set", name)}
	}
	return Sandbox{Reason: fmt.Sprintf("not sandboxed: no %s and SNAP_NAME unset", info)}
}

// flatpakAppID reads the name key of the [Application] group of a
// .flatpak-info file.
func flatpakAppID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, flatpakInfoLimit))
	if err != nil {
		return "", err
	}
	return parseFlatpakInfo(data), nil
}

// parseFlatpakInfo extracts [Application] name= from GLib key-file text.
// It follows GKeyFile where it matters for an app id: '#' starts a comment
// line, whitespace around the key and before the value is ignored, localized
// keys (name[de]=) are different keys, and the first group of a name wins.
// App ids contain no characters that GKeyFile escapes.
func parseFlatpakInfo(data []byte) string {
	var group string
	seenApp := false
	s := bufio.NewScanner(bytes.NewReader(data))
	s.Buffer(make([]byte, 0, 4096), flatpakInfoLimit)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			group = line[1 : len(line)-1]
			if group == "Application" {
				if seenApp {
					group = "" // a repeated group: keep the first one's answer
				}
				seenApp = true
			}
			continue
		}
		if group != "Application" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) != "name" {
			continue
		}
		return strings.TrimSpace(value)
	}
	return ""
}
