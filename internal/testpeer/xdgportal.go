package testpeer

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/godbus/dbus/v5"
)

// Names of the desktop portal on the bus.
const (
	// PortalName is xdg-desktop-portal's well-known bus name.
	PortalName = "org.freedesktop.portal.Desktop"
	// PortalPath is the object every portal interface lives on.
	PortalPath dbus.ObjectPath = "/org/freedesktop/portal/desktop"
	// PortalLog is the Log name of xdg-desktop-portal's (verbose) output.
	PortalLog = "xdg-desktop-portal"
)

// Portal is xdg-desktop-portal running on a Bus, serving the Secret portal
// from gnome-keyring's backend.
type Portal struct {
	bus *Bus
	cmd *exec.Cmd
}

// StartPortal starts the real xdg-desktop-portal on b and returns once it
// owns org.freedesktop.portal.Desktop. It needs StartGnomeKeyring first:
// gnome-keyring-daemon itself implements org.freedesktop.impl.portal.Secret,
// and the portal's RetrieveSecret answers only from an unlocked default
// collection (a locked or missing one gives Response 2, with no prompt).
//
// XDG_CURRENT_DESKTOP=GNOME selects gnome-keyring.portal (UseIn=gnome) for
// the Secret interface. The portal tells apps apart by reading
// /proc/<caller pid>/root/.flatpak-info, so processes started with
// Flatpak.Command get their own app id and secret; host processes all share
// app id "".
func (b *Bus) StartPortal(t testing.TB) *Portal {
	t.Helper()
	program := ""
	// xdg-desktop-portal is never on PATH: Debian and Fedora install it in
	// libexec, Arch in lib.
	for _, p := range []string{"/usr/libexec/xdg-desktop-portal", "/usr/lib/xdg-desktop-portal"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			program = p
			break
		}
	}
	if program == "" {
		Missing(t, "xdg-desktop-portal is not installed (Debian: apt-get install xdg-desktop-portal)")
	}
	b.mu.Lock()
	keyring := b.keyring
	b.mu.Unlock()
	if keyring == nil {
		t.Fatal("testpeer: StartPortal needs gnome-keyring-daemon on the bus: call StartGnomeKeyring first")
	}
	cmd := exec.Command(program, "--verbose")
	b.start(t, PortalLog, cmd, "XDG_CURRENT_DESKTOP=GNOME")
	conn := b.Conn(t)
	b.waitUntil(t, "xdg-desktop-portal did not own "+PortalName, PortalLog, func(ctx context.Context) bool {
		return HasOwner(ctx, conn, PortalName)
	})
	return &Portal{bus: b, cmd: cmd}
}

// SecretVersion reads the Secret portal's version property: 1 when the
// portal found gnome-keyring's backend, an error when the interface is
// missing. libsecret and the portal package read it the same way before
// they trust the portal.
func (p *Portal) SecretVersion(ctx context.Context) (uint32, error) {
	conn, err := dbus.Connect(p.bus.Address, dbus.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var v dbus.Variant
	err = conn.Object(PortalName, PortalPath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		"org.freedesktop.portal.Secret", "version").Store(&v)
	if err != nil {
		return 0, err
	}
	var version uint32
	err = v.Store(&version)
	return version, err
}

// Pid is the portal's process id.
func (p *Portal) Pid() int { return p.cmd.Process.Pid }

// Log returns what the portal has printed so far (it runs with --verbose and
// logs every request), for failure messages.
func (p *Portal) Log() string { return p.bus.Log(PortalLog) }
