package testpeer

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
)

// KWalletLog is the Log name of kwalletd5's output.
const KWalletLog = "kwalletd5"

// KWalletCollection is the collection kwalletd5 serves for the harness's
// wallet "kdewallet", the "Default Wallet" and so the "default" alias.
const KWalletCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/kdewallet")

// KWalletOptions says how StartKWallet sets kwalletd5 up.
type KWalletOptions struct {
	// Locked leaves the collection locked at start (kwalletd5 starts every
	// collection locked; by default the harness unlocks it).
	Locked bool
}

// KWallet is kwalletd5 (KDE Frameworks 5.97 or later) serving
// org.freedesktop.secrets on a Bus with one wallet, "kdewallet", whose
// password is empty: kwalletd5 tries the empty password first, so its
// Unlock prompts complete without a dialog and Lock/Unlock cycles work
// headlessly.
//
// What kwalletd5 cannot do headlessly: CreateCollection opens its new-wallet
// wizard, which nobody answers offscreen (and kwalletd5 then queues every
// later open behind it).
type KWallet struct {
	// Dir holds the wallet files (kdewallet.kwl, kdewallet.salt).
	Dir string
	// Collection is the wallet's collection.
	Collection dbus.ObjectPath

	bus *Bus
	cmd *exec.Cmd
}

// StartKWallet writes a kwalletrc with the Secret Service API on, creates
// the wallet the only dialog-free way kwalletd5 has (pam_kwallet's
// hand-off, played here), and starts kwalletd5 again: its Secret Service
// side lists only wallets that existed at start-up. It returns once the
// collection is served and, unless opts.Locked, unlocked.
func (b *Bus) StartKWallet(t testing.TB, opts KWalletOptions) *KWallet {
	t.Helper()
	daemon := Need(t, "kwalletd5")[0]
	k := &KWallet{Dir: filepath.Join(b.DataHome(), "kwalletd"), Collection: KWalletCollection, bus: b}
	if err := os.MkdirAll(k.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(b.Dir, "config", "kwalletrc")
	if err := os.WriteFile(rc, []byte(kwalletrc), 0o600); err != nil {
		t.Fatal(err)
	}
	if !k.walletExists() {
		k.startPAM(t, daemon)
		if !WaitFor(StartTimeout, k.walletExists) {
			t.Fatalf("testpeer: kwalletd5 did not create %s; log:\n%s", k.walletFile(), tail(b.Log(KWalletLog), 4000))
		}
		k.Stop(t)
	}
	k.cmd = exec.Command(daemon)
	b.start(t, KWalletLog, k.cmd, kwalletEnv...)
	k.waitForName(t)
	k.checkDH(t)
	if !opts.Locked {
		k.Unlock(t)
	}
	return k
}

// kwalletEnv runs kwalletd5 without a display and outside a KDE session.
var kwalletEnv = []string{"QT_QPA_PLATFORM=offscreen", "KDE_FULL_SESSION="}

// kwalletrc enables the Secret Service API with one wallet that stays open
// and no prompts or helper programs.
const kwalletrc = `[Wallet]
Enabled=true
First Use=false
Use One Wallet=true
Default Wallet=kdewallet
Prompt on Open=false
Close When Idle=false
Close on Screensaver=false
Launch Manager=false
Leave Open=true

[org.freedesktop.secrets]
apiEnabled=true
`

func (k *KWallet) walletFile() string { return filepath.Join(k.Dir, "kdewallet.kwl") }

// walletExists reports whether kwalletd5 has written a wallet file (an
// empty Blowfish wallet is a few dozen bytes).
func (k *KWallet) walletExists() bool {
	fi, err := os.Stat(k.walletFile())
	return err == nil && fi.Size() >= 60
}

// startPAM starts kwalletd5 the way pam_kwallet5 does at login: with
// PAM_KWALLET5_LOGIN set and "--pam-login PIPEFD SOCKFD", it reads
// PBKDF2-HMAC-SHA512(password, kdewallet.salt, 50000 rounds, 56 bytes) from
// the pipe and the session's environment (KEY=VALUE lines, to EOF) from a
// connection to the listening socket, then opens the default wallet with
// that hash, creating it if it does not exist.
func (k *KWallet) startPAM(t testing.TB, daemon string) {
	t.Helper()
	salt := make([]byte, 56)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(k.Dir, "kdewallet.salt"), salt, 0o600); err != nil {
		t.Fatal(err)
	}
	hash, err := pbkdf2.Key(sha512.New, "", salt, 50000, 56)
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Write(hash)
	_ = w.Close()
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(k.bus.Dir, "run", "kwallet5.socket")
	_ = os.Remove(sock)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	// kwalletd5 accepts on its copy of the socket: closing ours must not
	// remove the file.
	l.SetUnlinkOnClose(false)
	lf, err := l.File()
	_ = l.Close()
	if err != nil {
		_ = r.Close()
		t.Fatal(err)
	}
	// The child inherits the two descriptors as 3 and 4.
	cmd := exec.Command(daemon, "--pam-login", "3", "4")
	cmd.ExtraFiles = []*os.File{r, lf}
	k.cmd = cmd
	k.bus.start(t, KWalletLog, cmd, append([]string{"PAM_KWALLET5_LOGIN=" + sock}, kwalletEnv...)...)
	_ = r.Close()
	_ = lf.Close()
	// pam_kwallet sends the environment block from its own process; an
	// empty one is enough.
	go func() {
		c, err := net.DialTimeout("unix", sock, StartTimeout)
		if err == nil {
			_ = c.Close()
		}
	}()
	k.waitForName(t)
}

func (k *KWallet) waitForName(t testing.TB) {
	t.Helper()
	conn := k.bus.Conn(t)
	k.bus.waitUntil(t, "kwalletd5 did not own "+SecretsName, KWalletLog, func(ctx context.Context) bool {
		return HasOwner(ctx, conn, SecretsName)
	})
}

// checkDH opens (and closes) a DH session: kwalletd5 does the exchange
// with QCA's OpenSSL plugin, a package of its own that apt does not install
// with it unless recommends are on.
func (k *KWallet) checkDH(t testing.TB) {
	t.Helper()
	key, err := dhsession.GenerateKey(dhsession.Oakley1024(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer key.Wipe()
	conn := k.bus.Conn(t)
	var out dbus.Variant
	var session dbus.ObjectPath
	err = conn.Object(SecretsName, SecretsPath).CallWithContext(t.Context(), "org.freedesktop.Secret.Service.OpenSession", 0,
		dhsession.Algorithm, dbus.MakeVariant(key.PublicKey())).Store(&out, &session)
	if err != nil && strings.Contains(err.Error(), "libqca-ossl") {
		Missing(t, "QCA's OpenSSL plugin for kwalletd5's DH sessions (Debian: libqca-qt5-2-plugins)")
	}
	if err != nil {
		t.Fatalf("testpeer: kwalletd5 OpenSession(%s): %v", dhsession.Algorithm, err)
	}
	_ = conn.Object(SecretsName, session).CallWithContext(t.Context(), "org.freedesktop.Secret.Session.Close", 0).Err
}

// Unlock unlocks the collection through the Secret Service (Unlock, then
// the prompt, which kwalletd5 completes without a dialog for an empty
// password) and waits until it reports itself unlocked.
func (k *KWallet) Unlock(t testing.TB) {
	t.Helper()
	conn := k.bus.Conn(t)
	ctx, cancel := context.WithTimeout(t.Context(), StartTimeout)
	defer cancel()
	if err := UnlockCollection(ctx, conn, k.Collection); err != nil {
		t.Fatalf("testpeer: unlock %s: %v; kwalletd5 log:\n%s", k.Collection, err, tail(k.bus.Log(KWalletLog), 4000))
	}
	k.bus.waitUntil(t, "kwalletd5 did not unlock "+string(k.Collection), KWalletLog, func(ctx context.Context) bool {
		return collectionLocked(ctx, conn, k.Collection) == 0
	})
}

// UnlockCollection unlocks a collection through the Secret Service with a
// plain connection (not the code under test): Unlock, and if the service
// answers with a prompt, Prompt and wait for Completed.
func UnlockCollection(ctx context.Context, conn *dbus.Conn, path dbus.ObjectPath) error {
	sigs := make(chan *dbus.Signal, 8)
	conn.Signal(sigs)
	defer conn.RemoveSignal(sigs)
	rule := []dbus.MatchOption{dbus.WithMatchInterface("org.freedesktop.Secret.Prompt"), dbus.WithMatchMember("Completed")}
	if err := conn.AddMatchSignalContext(ctx, rule...); err != nil {
		return err
	}
	defer func() { _ = conn.RemoveMatchSignal(rule...) }()
	var done []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := conn.Object(SecretsName, SecretsPath).CallWithContext(ctx, "org.freedesktop.Secret.Service.Unlock", 0,
		[]dbus.ObjectPath{path}).Store(&done, &prompt); err != nil {
		return err
	}
	if prompt == "/" {
		return nil
	}
	if err := conn.Object(SecretsName, prompt).CallWithContext(ctx, "org.freedesktop.Secret.Prompt.Prompt", 0, "").Err; err != nil {
		return err
	}
	for {
		select {
		case s := <-sigs:
			if s.Path != prompt || len(s.Body) != 2 {
				continue
			}
			if dismissed, _ := s.Body[0].(bool); dismissed {
				return fmt.Errorf("the unlock prompt was dismissed")
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Pid is kwalletd5's process id.
func (k *KWallet) Pid() int { return k.cmd.Process.Pid }

// Log returns what kwalletd5 has printed so far.
func (k *KWallet) Log() string { return k.bus.Log(KWalletLog) }

// Stop ends kwalletd5 the way that keeps its data: kwalletd5 writes changes
// to disk five seconds after they happen, so it is asked to quit over D-Bus
// (its destructor saves every open wallet) before anything is signalled.
// Stop returns once the bus has dropped org.freedesktop.secrets.
func (k *KWallet) Stop(t testing.TB) {
	t.Helper()
	conn := k.bus.Conn(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	// A call with a reply: kwalletd5 ignores a quit sent as no-reply-expected.
	_ = conn.Object("org.kde.kwalletd5", "/MainApplication").CallWithContext(ctx, "org.qtproject.Qt.QCoreApplication.quit", 0).Err
	cancel()
	k.bus.waitExit(k.cmd, 5*time.Second)
	k.bus.stop(k.cmd, syscall.SIGTERM)
	k.bus.waitUntil(t, "the bus still lists "+SecretsName+" after kwalletd5 ended", KWalletLog, func(ctx context.Context) bool {
		return !HasOwner(ctx, conn, SecretsName)
	})
}
