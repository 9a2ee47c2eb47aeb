// Package dbusservice is a client for the freedesktop.org Secret Service API
// (org.freedesktop.secrets), the D-Bus interface gnome-keyring, KeePassXC,
// KWallet and oo7 offer on Linux desktops.
//
// # Objects
//
// The service at /org/freedesktop/secrets holds collections (keyrings), each
// holding items: a label, a set of string attributes that identify the item,
// and a secret. Everything is addressed by D-Bus object path:
//
//	/org/freedesktop/secrets/collection/login        a collection
//	/org/freedesktop/secrets/collection/login/12     an item in it
//	/org/freedesktop/secrets/aliases/default         an alias of a collection
//
// Service is one private connection to the session bus, Collection is one
// collection (and implements secret.Store), Item is one item (and implements
// secret.Item). Which collection applications share is named by the alias
// "default", so DefaultCollection asks ReadAlias("default") rather than
// assuming gnome-keyring's "login"; "session" is gnome-keyring's in-memory
// collection.
//
// # Secrets on the wire
//
// Secrets cross the bus inside a session. By default Connect opens one with
// "dh-ietf1024-sha256-aes128-cbc-pkcs7" (see internal/dhsession): a
// Diffie-Hellman exchange gives an AES key, and every secret travels
// AES-CBC encrypted under its own random IV. A service that answers
// NotSupported gets the "plain" algorithm instead; WithPlainSession forces
// it. The session belongs to this connection, is reused for every secret and
// is closed by Close. Its key is wiped then, and when the service has
// forgotten the session and a new one replaces it.
//
// # Prompts
//
// Operations that need the user (unlocking a collection, creating one) may
// return a prompt object instead of a result. The client subscribes to the
// prompt's Completed signal first, then calls Prompt(window-id), and waits.
// The wait ends with the result, with secret.ErrDismissed when the user
// cancelled, with secret.ErrUnavailable when the service left the bus or
// was replaced by another process, or
// with the context's error when ctx ends first, in which case the prompt is
// dismissed so no dialog lingers. With WithAutoUnlock (the default), an
// operation refused with IsLocked unlocks the collection through such a
// prompt and is retried once.
//
// # Signals
//
// Any peer on the bus can send our connection a signal, and match rules do
// not stop one addressed to us directly. So Completed, and the item and
// collection signals behind Watch, count only when the unique name that owns
// org.freedesktop.secrets at that moment sent them (see internal/nameowner):
// a forged Completed cannot end a prompt, a forged ItemDeleted never becomes
// an event, and after a restart the new process is believed, the old one no
// longer.
//
// # Providers
//
// The API leaves room for interpretation, and gnome-keyring, KeePassXC 2.7
// and KWallet (kwalletd 5) fill it differently. The client irons the
// differences out so that one call means one thing on each:
//
//   - CreateItem with replace updates the item whose attributes are exactly
//     the caller's (attributes a provider adds by itself, such as
//     KeePassXC's Title or Uuid, aside); providers would replace the first
//     item whose attributes merely contain them.
//   - An empty query returns every item (the collection's Items property),
//     which SearchItems({}) does not on KeePassXC and KWallet.
//   - A locked collection or item is unlocked (auto-unlock) or reported as
//     secret.ErrLocked before a read, write or delete: KeePassXC hides a
//     locked database's items, and kwalletd answers a locked item with an
//     empty secret and ignores writes to it while reporting success.
//   - Lock is idempotent; SetAttributes fails when the provider did not store
//     what was asked (KeePassXC merges and never removes a key); Watch
//     delivers one event per change although KeePassXC repeats its signals.
//   - The DH session avoids the exchanges kwalletd gets wrong (a shared
//     secret with a leading zero byte, a client key starting with 0xff) and
//     accepts its 129-byte public keys.
//
// # Errors
//
// D-Bus errors are mapped to the sentinels of package secret and wrapped with
// the operation: IsLocked is secret.ErrLocked; NoSuchObject and unknown
// objects are secret.ErrNotFound; a missing bus, a service that is not
// running or dies mid-call is secret.ErrUnavailable; a reply of the wrong
// shape is secret.ErrCorrupt (never a panic). The original D-Bus error name
// is kept in an *Error. No error or log line ever contains a secret.
//
// Every method that talks to the service takes a context and returns when it
// ends; nothing in this package waits without a bound the caller controls.
package dbusservice
