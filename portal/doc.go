// Package portal finds out whether the program runs inside a sandbox (Flatpak
// or Snap) and, if so, asks the Secrets portal for the application's master
// secret: the 64 bytes that libsecret, oo7 and Moneypenny use as the password
// of the app's own file keyring.
//
// # Why a portal
//
// A sandboxed app should not talk to the host's Secret Service: it would see,
// and could change, every other program's secrets. Instead, the desktop's
// xdg-desktop-portal exposes org.freedesktop.portal.Secret. Its single method,
// RetrieveSecret, writes a secret that belongs to the calling app (the portal
// learns the app id from the sandbox, never from the app) into a file
// descriptor the app passes in. The app then keeps its secrets in an encrypted
// file under its own data directory, $XDG_DATA_HOME/keyrings/default.keyring,
// keyed by that portal secret. The backend behind the portal (gnome-keyring,
// oo7-portal) creates 64 random bytes on first use and stores them in the
// user's login keyring under app_id=<id>, so the secret is stable for an app
// and different between apps.
//
// # The protocol, as libsecret speaks it
//
//  1. Create a pipe. Send its write end as the "h" argument of
//     RetrieveSecret(h fd, a{sv} options), then close our copy, or the read
//     end would never see end-of-file.
//  2. Portal calls are asynchronous: the method returns a Request object path
//     at once, and the result arrives later as the Request's Response(u, a{sv})
//     signal: 0 success, 1 cancelled by the user, 2 failed. The path is
//     predictable from our unique bus name and the handle_token option, so we
//     listen on it before calling, and move if the portal answers with another
//     path.
//  3. On success, read the pipe: the first 64 bytes are the secret; fewer is an
//     error.
//  4. Giving up (a cancelled context) calls Request.Close, so the portal stops
//     too.
//
// # Detection
//
// DetectSandbox applies libsecret's own rule: /.flatpak-info exists, or
// SNAP_NAME is set. libsecret additionally requires the portal's version
// property to be 1 before it switches to the file backend; Version reads it.
// Everything here uses its own private D-Bus connection, never the process-wide
// shared one, and never autolaunches a bus: with no DBUS_SESSION_BUS_ADDRESS
// there is no portal (ErrNoPortal).
//
// The secret travels as a *secret.Value: it formats as [REDACTED], never
// appears in an error, and is wiped by Client.Close.
package portal
