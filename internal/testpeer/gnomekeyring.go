package testpeer

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"
)

// Names gnome-keyring-daemon owns or reads on the bus.
const (
	// SecretsName is the Secret Service's well-known bus name.
	SecretsName = "org.freedesktop.secrets"
	// SecretsPath is the Secret Service's root object.
	SecretsPath dbus.ObjectPath = "/org/freedesktop/secrets"
	// GnomeKeyringLog is the Log name of gnome-keyring-daemon's output.
	GnomeKeyringLog = "gnome-keyring"
)

// GnomeKeyring is a gnome-keyring-daemon (secrets component only) running on
// a Bus, with its keyrings under the bus's DataHome.
type GnomeKeyring struct {
	// Password is the login keyring's password; "" when the daemon was
	// started without a login keyring.
	Password string
	// Dir is the directory holding the keyring files: login.keyring,
	// user.keystore, and the "default" file naming the default keyring.
	Dir string

	bus *Bus
	cmd *exec.Cmd
}

// StartGnomeKeyring starts gnome-keyring-daemon on b the way a desktop
// session does at login: the password goes to `--unlock` on stdin, which
// creates the login keyring if it does not exist (or unlocks it if it does,
// so a keyring survives a Kill and a second Start) and makes it the default.
// It returns once org.freedesktop.secrets is owned and the "default" alias
// resolves to a collection, so callers can store items at once.
//
// Only one daemon runs per bus at a time; start another after Kill or Stop.
func (b *Bus) StartGnomeKeyring(t testing.TB, password string) *GnomeKeyring {
	t.Helper()
	if password == "" {
		t.Fatal("testpeer: StartGnomeKeyring needs a password; use StartGnomeKeyringWithoutLogin for none")
	}
	k := b.startGnomeKeyring(t, password)
	conn := b.Conn(t)
	// --unlock creates the login collection asynchronously, after the
	// daemon already owns its name.
	b.waitUntil(t, "gnome-keyring-daemon did not resolve the default alias", GnomeKeyringLog, func(ctx context.Context) bool {
		p, err := readDefaultAlias(ctx, conn)
		return err == nil && p != "/"
	})
	return k
}

// StartGnomeKeyringWithoutLogin starts gnome-keyring-daemon with no login
// keyring (like a session whose PAM module never passed a password): the
// "default" alias is "/", and creating or unlocking a collection needs a
// prompt, which only a prompter on the bus (StartPrompter) can answer. With
// none, gnome-keyring dismisses every prompt.
func (b *Bus) StartGnomeKeyringWithoutLogin(t testing.TB) *GnomeKeyring {
	t.Helper()
	return b.startGnomeKeyring(t, "")
}

func (b *Bus) startGnomeKeyring(t testing.TB, password string) *GnomeKeyring {
	t.Helper()
	daemon := Need(t, "gnome-keyring-daemon")[0]
	b.mu.Lock()
	running := b.keyring
	b.mu.Unlock()
	if running != nil {
		t.Fatal("testpeer: gnome-keyring-daemon is already running on this bus; Stop or Kill it first")
	}
	args := []string{"--foreground", "--components=secrets",
		// The control directory holds the daemon's socket; left to itself
		// the daemon would put it under the real XDG_RUNTIME_DIR/keyring.
		"--control-directory=" + filepath.Join(b.Dir, "run", "keyring")}
	cmd := exec.Command(daemon, args...)
	if password != "" {
		cmd.Args = append(cmd.Args, "--unlock")
		cmd.Stdin = strings.NewReader(password)
	} else {
		cmd.Args = append(cmd.Args, "--start")
	}
	b.start(t, GnomeKeyringLog, cmd)
	k := &GnomeKeyring{Password: password, Dir: filepath.Join(b.DataHome(), "keyrings"), bus: b, cmd: cmd}
	b.mu.Lock()
	b.keyring = k
	b.mu.Unlock()

	conn := b.Conn(t)
	b.waitUntil(t, "gnome-keyring-daemon did not own "+SecretsName, GnomeKeyringLog, func(ctx context.Context) bool {
		return HasOwner(ctx, conn, SecretsName)
	})
	return k
}

// DefaultCollection asks the daemon for the "default" alias (ReadAlias),
// which is "/" when there is no default collection.
func (k *GnomeKeyring) DefaultCollection(ctx context.Context) (dbus.ObjectPath, error) {
	conn, err := dbus.Connect(k.bus.Address, dbus.WithContext(ctx))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return readDefaultAlias(ctx, conn)
}

func readDefaultAlias(ctx context.Context, conn *dbus.Conn) (dbus.ObjectPath, error) {
	var p dbus.ObjectPath
	err := conn.Object(SecretsName, SecretsPath).
		CallWithContext(ctx, "org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&p)
	return p, err
}

// Pid is the daemon's process id.
func (k *GnomeKeyring) Pid() int { return k.cmd.Process.Pid }

// Log returns what the daemon has printed so far, for failure messages.
func (k *GnomeKeyring) Log() string { return k.bus.Log(GnomeKeyringLog) }

// Kill ends the daemon with SIGKILL: the service vanishes from the bus
// mid-session, as when it crashes. Clients see their calls fail and
// NameOwnerChanged; the keyring files stay for a later Start. Kill returns
// once the bus has dropped org.freedesktop.secrets.
func (k *GnomeKeyring) Kill(t testing.TB) {
	t.Helper()
	k.end(t, syscall.SIGKILL)
}

// Stop ends the daemon with SIGTERM, as at logout, and returns once the bus
// has dropped org.freedesktop.secrets.
func (k *GnomeKeyring) Stop(t testing.TB) {
	t.Helper()
	k.end(t, syscall.SIGTERM)
}

func (k *GnomeKeyring) end(t testing.TB, sig syscall.Signal) {
	t.Helper()
	k.bus.stop(k.cmd, sig)
	k.bus.mu.Lock()
	if k.bus.keyring == k {
		k.bus.keyring = nil
	}
	k.bus.mu.Unlock()
	// The process is gone, but the bus notices the closed socket on its
	// own time; callers want "no service" to be true when this returns.
	conn := k.bus.Conn(t)
	k.bus.waitUntil(t, "the bus still lists "+SecretsName+" after the daemon ended", GnomeKeyringLog, func(ctx context.Context) bool {
		return !HasOwner(ctx, conn, SecretsName)
	})
}
