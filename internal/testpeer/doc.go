// Package testpeer starts the real components Moneypenny's tests talk to,
// each private to one test, so that tests check behaviour against the real
// thing rather than against our idea of it:
//
//   - NewBus: a dbus-daemon with its own config (nothing is auto-activated)
//     and a throwaway HOME and XDG directories (Bus.Env);
//   - Bus.StartGnomeKeyring: gnome-keyring-daemon's Secret Service with a
//     login keyring created and unlocked with a known password
//     (Bus.StartGnomeKeyringWithoutLogin: none, so every collection needs a
//     prompt);
//   - Bus.StartKeePassXC and Bus.StartKWallet: KeePassXC 2.7's and
//     kwalletd5's Secret Services, offscreen, each with an unlocked
//     collection behind "default"; Bus.StartProvider starts any of the
//     three providers by name (Providers lists them), for tests that must
//     hold on every provider users run;
//   - Bus.StartPrompter: a headless, scripted stand-in for gcr-prompter that
//     answers gnome-keyring's unlock and create prompts and records them;
//   - Bus.StartPortal: the real xdg-desktop-portal with gnome-keyring's
//     Secret portal backend;
//   - Bus.Flatpak: a bubblewrap "fake Flatpak", whose processes libsecret and
//     xdg-desktop-portal take for a sandboxed Flatpak app.
//
// A typical real-peer test:
//
//	b := testpeer.NewBus(t)
//	b.StartGnomeKeyring(t, "login-pw")
//	b.StartPortal(t)
//	app := b.Flatpak(t, "org.example.App")
//	out, err := app.Command(ctx, "secret-tool", "lookup", "service", "x").Output()
//
// Every peer is killed when the test ends (and, on Linux, when the test
// process dies), and its output is kept in Bus.Dir/<name>.log for failure
// messages (Bus.Log). A developer's real keyring is never touched.
//
// A test that needs a program which is not installed is skipped on a
// developer's machine and fails under CI=true: in CI a missing peer is a
// broken setup, never a reason to pass. On Debian the peers come from the
// packages dbus, gnome-keyring, libsecret-tools, xdg-desktop-portal,
// bubblewrap, keepassxc, libkf5wallet-bin and libqca-qt5-2-plugins.
package testpeer
