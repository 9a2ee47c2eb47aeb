package testpeer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Flatpak is a "fake Flatpak": a bubblewrap sandbox that looks, to libsecret,
// to the portal package and to xdg-desktop-portal, like the Flatpak app
// AppID. Nothing of Flatpak itself is needed.
//
// What makes it convincing:
//   - a /.flatpak-info naming the app, on a tmpfs root (never on the real
//     root): libsecret checks that the file exists, the portal package reads
//     the app id from it, and xdg-desktop-portal reads it through
//     /proc/<caller pid>/root/.flatpak-info to decide which app is asking;
//   - Flatpak's environment: HOME stays the (bus's) real home, while
//     XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and XDG_STATE_HOME point
//     under ~/.var/app/<AppID>, the host's values are kept in HOST_XDG_*, and
//     FLATPAK_ID is set;
//   - only what a Flatpak app may see: /usr and /etc read-only, the bus's
//     run directory (bus socket), the app's own ~/.var/app/<AppID>, and the
//     paths in ReadOnly and Writable. The host's keyring files under the
//     bus's DataHome are not visible, so code inside must reach host items
//     over D-Bus, as in a real sandbox.
//
// Not emulated: xdg-dbus-proxy filtering (the app sees the whole bus), the
// permission and document stores, seccomp.
type Flatpak struct {
	// AppID is the application id, e.g. "org.example.App".
	AppID string
	// AppDir is ~/.var/app/<AppID> on the host, where the app's XDG
	// directories live; the same path inside the sandbox.
	AppDir string
	// DataHome, ConfigHome, CacheHome and StateHome are the app's
	// XDG_*_HOME, identical inside and outside the sandbox.
	DataHome, ConfigHome, CacheHome, StateHome string
	// ReadOnly are extra host paths bound read-only at the same place
	// inside: programs or test data outside /usr (a test binary, a freshly
	// built CLI). An absolute argv[0] of Command outside /usr is bound on
	// its own (the file, not its directory).
	ReadOnly []string
	// Writable are extra host paths bound read-write at the same place,
	// like a Flatpak's --filesystem=PATH permission.
	Writable []string

	bus   *Bus
	bwrap string
	info  string // the file bound as /.flatpak-info
}

// Flatpak prepares a fake Flatpak of appID on b: it writes the app's
// .flatpak-info and creates ~/.var/app/<appID> with its XDG directories.
// roBinds are initial ReadOnly paths. Run programs inside with Command.
//
// Needs bwrap (Debian: bubblewrap), with permission to create namespaces:
// root, or unprivileged user namespaces.
func (b *Bus) Flatpak(t testing.TB, appID string, roBinds ...string) *Flatpak {
	t.Helper()
	bwrap := Need(t, "bwrap")[0]
	if appID == "" || appID == "." || appID == ".." || strings.ContainsAny(appID, "/\n[]=") {
		t.Fatalf("testpeer: %q cannot be a Flatpak app id", appID)
	}
	appDir := filepath.Join(b.Home(), ".var", "app", appID)
	f := &Flatpak{
		AppID:      appID,
		AppDir:     appDir,
		DataHome:   filepath.Join(appDir, "data"),
		ConfigHome: filepath.Join(appDir, "config"),
		CacheHome:  filepath.Join(appDir, "cache"),
		StateHome:  filepath.Join(appDir, ".local", "state"),
		ReadOnly:   append([]string(nil), roBinds...),
		bus:        b,
		bwrap:      bwrap,
		info:       filepath.Join(b.Dir, "flatpak", appID, "flatpak-info"),
	}
	for _, d := range []string{f.DataHome, f.ConfigHome, f.CacheHome, f.StateHome, filepath.Dir(f.info)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeFileAtomic(f.info, []byte(flatpakInfo(appID))); err != nil {
		t.Fatal(err)
	}
	return f
}

// flatpakInfo is a minimal .flatpak-info as Flatpak writes it. Readers use
// [Application] name; the rest is there so that a reader checking for a
// plausible file finds one.
func flatpakInfo(appID string) string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i386"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return fmt.Sprintf("[Application]\nname=%s\nruntime=runtime/org.freedesktop.Platform/%s/23.08\n\n"+
		"[Instance]\ninstance-id=%d\narch=%s\nflatpak-version=1.14.4\n", appID, arch, os.Getpid(), arch)
}

// writeFileAtomic replaces path by rename, so a sandbox that already has the
// old file bound keeps a complete copy instead of seeing it truncated.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// KeyringPath is where libsecret's file backend, and Moneypenny's, keep the
// app's keyring: $XDG_DATA_HOME/keyrings/default.keyring as the app sees it.
func (f *Flatpak) KeyringPath() string {
	return filepath.Join(f.DataHome, "keyrings", "default.keyring")
}

// Env is the environment a process inside gets: the bus's Env with Flatpak's
// XDG layout, then extra.
func (f *Flatpak) Env(extra ...string) []string {
	env := f.bus.Env(
		"XDG_DATA_HOME="+f.DataHome,
		"XDG_CONFIG_HOME="+f.ConfigHome,
		"XDG_CACHE_HOME="+f.CacheHome,
		"XDG_STATE_HOME="+f.StateHome,
		"HOST_XDG_DATA_HOME="+f.bus.DataHome(),
		"HOST_XDG_CONFIG_HOME="+filepath.Join(f.bus.Dir, "config"),
		"HOST_XDG_CACHE_HOME="+filepath.Join(f.bus.Dir, "cache"),
		"HOST_XDG_STATE_HOME="+filepath.Join(f.bus.Dir, "state"),
		"FLATPAK_ID="+f.AppID,
	)
	// os/exec keeps the last of duplicate keys, so these override Env's.
	return append(env, extra...)
}

// Command returns a command that runs argv inside the sandbox, with Env() as
// its environment (append to cmd.Env to add more) and HOME as its working
// directory. The sandbox dies with the test process and is killed when ctx
// is done. argv[0] is looked up on PATH inside the sandbox unless absolute;
// an absolute argv[0] outside /usr is bound read-only on its own (a
// dynamically linked program needs its libraries under /usr or in ReadOnly).
func (f *Flatpak) Command(ctx context.Context, argv ...string) *exec.Cmd {
	if len(argv) == 0 {
		panic("testpeer: Flatpak.Command needs a program")
	}
	args := []string{
		"--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
		"--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
		"--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
	}
	// Binds mount in order, a later one over an earlier: the caller's
	// first, so that a broad one (say, all of /tmp) cannot hide the bus
	// socket or make the app's own directory read-only.
	ro := f.ReadOnly
	if prog := argv[0]; filepath.IsAbs(prog) && !strings.HasPrefix(prog, "/usr/") {
		ro = append(ro[:len(ro):len(ro)], prog) // the program alone, not its directory
	}
	for _, p := range ro {
		args = append(args, "--ro-bind", p, p)
	}
	for _, p := range f.Writable {
		args = append(args, "--bind", p, p)
	}
	run := filepath.Join(f.bus.Dir, "run")
	args = append(args,
		"--bind", run, run, // the bus socket and the runtime dir
		"--bind", f.AppDir, f.AppDir,
		"--ro-bind", f.info, "/.flatpak-info",
		"--chdir", f.bus.Home(),
		"--die-with-parent", "--")
	cmd := exec.CommandContext(ctx, f.bwrap, append(args, argv...)...)
	cmd.Env = f.Env()
	cmd.SysProcAttr = childAttr()
	return cmd
}
