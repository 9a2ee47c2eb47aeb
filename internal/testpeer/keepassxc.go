package testpeer

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// KeePassXCLog is the Log name of KeePassXC's output.
const KeePassXCLog = "keepassxc"

// keepassxcMainWindow is KeePassXC's own D-Bus interface, what its GUI and
// its tray menu drive: the harness locks and unlocks the database through
// it, as a user would, not through the Secret Service.
const (
	keepassxcName  = "org.keepassxc.KeePassXC.MainWindow"
	keepassxcPath  = dbus.ObjectPath("/keepassxc")
	keepassxcIface = "org.keepassxc.KeePassXC.MainWindow"
)

// KeePassXCOptions says how StartKeePassXC sets KeePassXC up.
type KeePassXCOptions struct {
	// Password is the database password (default "kpxc-pw").
	Password string
	// Locked leaves the database locked at start: the Secret Service then
	// offers a locked collection, which KeePassXC.Unlock opens.
	Locked bool
}

// KeePassXC is KeePassXC 2.7 with its Secret Service integration (FdoSecrets)
// on a Bus, serving one database whose "Secrets" group is exposed as the
// collection behind the "default" alias. A second entry, "outside", lives in
// the database's root group and must stay invisible to D-Bus clients.
//
// What KeePassXC 2.7.4 cannot do headlessly: CreateCollection and Unlock
// through the Secret Service open GUI dialogs that nobody answers
// offscreen. Use KeePassXC.Unlock (its own interface) instead.
type KeePassXC struct {
	// Password is the database password.
	Password string
	// DB is the database file.
	DB string
	// Collection is the exposed collection's object path.
	Collection dbus.ObjectPath

	bus *Bus
	cmd *exec.Cmd
}

// StartKeePassXC creates a KeePass database with keepassxc-cli, exposes its
// "Secrets" group to the Secret Service, writes a keepassxc.ini with the
// Secret Service on and every confirmation off, starts KeePassXC with Qt's
// offscreen platform and returns once org.freedesktop.secrets is owned and
// the collection is exposed (unlocked, filled and behind "default" unless
// opts.Locked).
func (b *Bus) StartKeePassXC(t testing.TB, opts KeePassXCOptions) *KeePassXC {
	t.Helper()
	bins := Need(t, "keepassxc", "keepassxc-cli")
	if opts.Password == "" {
		opts.Password = "kpxc-pw"
	}
	dir := filepath.Join(b.Dir, "keepassxc")
	if err := os.MkdirAll(filepath.Join(b.Dir, "config", "keepassxc"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	k := &KeePassXC{Password: opts.Password, DB: filepath.Join(dir, "test.kdbx"), bus: b}
	k.createDatabase(t, bins[1])
	ini := filepath.Join(b.Dir, "config", "keepassxc", "keepassxc.ini")
	if err := os.WriteFile(ini, []byte(keepassxcINI), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bins[0], k.DB)
	if !opts.Locked {
		cmd.Args = []string{bins[0], "--pw-stdin", k.DB}
		cmd.Stdin = strings.NewReader(opts.Password + "\n")
	}
	b.start(t, KeePassXCLog, cmd, "QT_QPA_PLATFORM=offscreen")
	k.cmd = cmd

	conn := b.Conn(t)
	// KeePassXC exposes the collection while the database is still locked,
	// unlocks it a moment later and fills in the items after that; the
	// "default" alias comes last.
	b.waitUntil(t, "KeePassXC did not expose its collection on "+SecretsName, KeePassXCLog, func(ctx context.Context) bool {
		if !HasOwner(ctx, conn, SecretsName) {
			return false
		}
		var v dbus.Variant
		if err := conn.Object(SecretsName, SecretsPath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
			"org.freedesktop.Secret.Service", "Collections").Store(&v); err != nil {
			return false
		}
		paths, _ := v.Value().([]dbus.ObjectPath)
		if len(paths) == 0 {
			return false
		}
		k.Collection = paths[0]
		if opts.Locked {
			return true
		}
		return k.ready(ctx, conn)
	})
	return k
}

// ready reports whether the collection is unlocked, lists the pre-made
// entry and is the "default" alias.
func (k *KeePassXC) ready(ctx context.Context, conn *dbus.Conn) bool {
	obj := conn.Object(SecretsName, k.Collection)
	var locked, items dbus.Variant
	if obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Collection", "Locked").Store(&locked) != nil {
		return false
	}
	if l, _ := locked.Value().(bool); l {
		return false
	}
	if obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Collection", "Items").Store(&items) != nil {
		return false
	}
	if p, _ := items.Value().([]dbus.ObjectPath); len(p) == 0 {
		return false
	}
	alias, err := readDefaultAlias(ctx, conn)
	return err == nil && alias == k.Collection
}

// keepassxcINI turns the Secret Service on and every question a headless
// KeePassXC could not have answered off. It saves on exit (Stop asks it to
// quit), not after every change: KeePassXC 2.7.4 saving after each of a
// quick series of D-Bus writes crashed (SIGSEGV) in 1 of 8 runs of 100
// CreateItem calls here, and in none of 26 without it.
const keepassxcINI = `[General]
ConfigVersion=2
SingleInstance=false
RememberLastDatabases=false
RememberLastKeyFiles=false
OpenPreviousDatabasesOnStartup=false
AutoSaveAfterEveryChange=false
AutoSaveOnExit=true
BackupBeforeSave=false
UpdateCheckMessageShown=true

[GUI]
CheckForUpdates=false
ShowTrayIcon=false
MinimizeOnClose=false

[Security]
LockDatabaseIdle=false
LockDatabaseScreenLock=false
LockDatabaseMinimize=false
ClearClipboard=false

[Browser]
Enabled=false

[SSHAgent]
Enabled=false

[FdoSecrets]
Enabled=true
ShowNotification=false
ConfirmDeleteItem=false
ConfirmAccessItem=false
UnlockBeforeSearch=false
`

// createDatabase builds the database with keepassxc-cli: a "Secrets" group
// holding "preexisting" (user bob, password hunter2), "outside" in the root
// group. keepassxc-cli cannot choose the exposed group, which KeePassXC keeps
// in the database's Meta/CustomData (FDO_SECRETS_EXPOSED_GROUP): the
// database goes out as XML, gets that entry and comes back in.
func (k *KeePassXC) createDatabase(t testing.TB, cli string) {
	t.Helper()
	dir := filepath.Dir(k.DB)
	build := filepath.Join(dir, "build.kdbx")
	pw := k.Password
	run := func(stdin string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(cli, args...)
		cmd.Env = k.bus.Env("QT_QPA_PLATFORM=offscreen")
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("testpeer: keepassxc-cli %s: %v: %s", args[0], err, stderr.String())
		}
		return stdout.Bytes()
	}
	run(pw+"\n"+pw+"\n", "db-create", "-q", "-p", "-t", "100", build)
	run(pw+"\n", "mkdir", "-q", build, "Secrets")
	run(pw+"\nhunter2\n", "add", "-q", "-u", "bob", "--url", "https://example.org", "-p", build, "Secrets/preexisting")
	run(pw+"\ninvisible\n", "add", "-q", "-u", "carol", "-p", build, "outside")
	xml := run(pw+"\n", "export", "-q", "-f", "xml", build)
	exposed, err := exposeGroup(xml, "Secrets")
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	xmlPath := filepath.Join(dir, "exposed.xml")
	if err := os.WriteFile(xmlPath, exposed, 0o600); err != nil {
		t.Fatal(err)
	}
	run(pw+"\n"+pw+"\n", "import", "-q", "-p", "-t", "100", xmlPath, k.DB)
	_ = os.Remove(xmlPath)
	_ = os.Remove(build)
}

var groupUUID = regexp.MustCompile(`<Group>\s*<UUID>([A-Za-z0-9+/=]+)</UUID>\s*<Name>([^<]*)</Name>`)

// exposeGroup adds FDO_SECRETS_EXPOSED_GROUP = {uuid of the named group} to
// the Meta/CustomData of a KeePass XML export.
func exposeGroup(xml []byte, name string) ([]byte, error) {
	var uuid []byte
	for _, m := range groupUUID.FindAllSubmatch(xml, -1) {
		if string(m[2]) == name {
			var err error
			if uuid, err = base64.StdEncoding.DecodeString(string(m[1])); err != nil || len(uuid) != 16 {
				return nil, fmt.Errorf("group %q has a malformed UUID %q", name, m[1])
			}
			break
		}
	}
	if uuid == nil {
		return nil, fmt.Errorf("the KeePass export has no group %q", name)
	}
	item := fmt.Sprintf("<Item><Key>FDO_SECRETS_EXPOSED_GROUP</Key><Value>{%x-%x-%x-%x-%x}</Value></Item>",
		uuid[0:4], uuid[4:6], uuid[6:8], uuid[8:10], uuid[10:16])
	switch {
	case bytes.Contains(xml, []byte("<CustomData/>")) && bytes.Index(xml, []byte("<CustomData/>")) < bytes.Index(xml, []byte("</Meta>")):
		return bytes.Replace(xml, []byte("<CustomData/>"), []byte("<CustomData>"+item+"</CustomData>"), 1), nil
	case bytes.Contains(xml, []byte("<CustomData>")) && bytes.Index(xml, []byte("<CustomData>")) < bytes.Index(xml, []byte("</Meta>")):
		return bytes.Replace(xml, []byte("<CustomData>"), []byte("<CustomData>"+item), 1), nil
	case bytes.Contains(xml, []byte("</Meta>")):
		return bytes.Replace(xml, []byte("</Meta>"), []byte("<CustomData>"+item+"</CustomData></Meta>"), 1), nil
	}
	return nil, fmt.Errorf("the KeePass export has no Meta element")
}

// Lock locks the database through KeePassXC's own interface (what the
// user's "Lock databases" does) and waits until the Secret Service reports
// the collection locked.
func (k *KeePassXC) Lock(t testing.TB) {
	t.Helper()
	conn := k.bus.Conn(t)
	if err := conn.Object(keepassxcName, keepassxcPath).CallWithContext(t.Context(), keepassxcIface+".lockAllDatabases", 0).Err; err != nil {
		t.Fatalf("testpeer: KeePassXC lockAllDatabases: %v", err)
	}
	k.bus.waitUntil(t, "KeePassXC did not lock its collection", KeePassXCLog, func(ctx context.Context) bool {
		return collectionLocked(ctx, conn, k.Collection) == 1
	})
}

// Unlock opens the database with its password through KeePassXC's own
// interface (the Secret Service's Unlock would open a dialog) and waits
// until the collection is unlocked and filled.
func (k *KeePassXC) Unlock(t testing.TB) {
	t.Helper()
	conn := k.bus.Conn(t)
	if err := conn.Object(keepassxcName, keepassxcPath).CallWithContext(t.Context(), keepassxcIface+".openDatabase", 0, k.DB, k.Password).Err; err != nil {
		t.Fatalf("testpeer: KeePassXC openDatabase: %v", err)
	}
	k.bus.waitUntil(t, "KeePassXC did not unlock its collection", KeePassXCLog, func(ctx context.Context) bool {
		return k.ready(ctx, conn)
	})
}

// collectionLocked reads a collection's Locked property: 1 locked, 0
// unlocked, -1 unknown.
func collectionLocked(ctx context.Context, conn *dbus.Conn, path dbus.ObjectPath) int {
	var v dbus.Variant
	if conn.Object(SecretsName, path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		"org.freedesktop.Secret.Collection", "Locked").Store(&v) != nil {
		return -1
	}
	if l, ok := v.Value().(bool); ok && l {
		return 1
	} else if ok {
		return 0
	}
	return -1
}

// Pid is KeePassXC's process id.
func (k *KeePassXC) Pid() int { return k.cmd.Process.Pid }

// Log returns what KeePassXC has printed so far.
func (k *KeePassXC) Log() string { return k.bus.Log(KeePassXCLog) }

// Stop asks KeePassXC to quit through its own interface (it saves the
// database) and returns once the bus has dropped org.freedesktop.secrets.
func (k *KeePassXC) Stop(t testing.TB) {
	t.Helper()
	conn := k.bus.Conn(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	_ = conn.Object(keepassxcName, keepassxcPath).CallWithContext(ctx, keepassxcIface+".appExit", 0).Err
	cancel()
	k.bus.stop(k.cmd, syscall.SIGTERM)
	k.bus.waitUntil(t, "the bus still lists "+SecretsName+" after KeePassXC ended", KeePassXCLog, func(ctx context.Context) bool {
		return !HasOwner(ctx, conn, SecretsName)
	})
}
