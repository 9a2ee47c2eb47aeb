// Package provider serves the freedesktop.org Secret Service API
// (org.freedesktop.secrets) on a D-Bus connection, backed by any
// secret.Store per collection, so that a Go program can be the keyring that
// libsecret, python SecretStorage, keyring, go-keyring and secret-tool talk
// to.
//
//	srv, _ := provider.Connect(ctx, "", provider.Options{}) // the session bus
//	srv.AddCollection("login", "Login", store)   // any secret.Store
//	srv.SetAlias("default", "login")
//	srv.Claim(false)                             // own org.freedesktop.secrets
//
// Connect makes a connection of the server's own, on which the calls that
// carry many secrets or paths (GetSecrets, GetSecret, SearchItems) skip
// godbus's reflection; New serves on a godbus connection the caller has.
//
// What it serves, as gnome-keyring does: the Service object at
// /org/freedesktop/secrets (OpenSession with "plain" and
// "dh-ietf1024-sha256-aes128-cbc-pkcs7", CreateCollection, SearchItems with
// unlocked and locked lists, Unlock and Lock, GetSecrets, ReadAlias,
// SetAlias, the Collections property and the Collection signals);
// collections at …/collection/<id>, also reachable as …/aliases/<alias>;
// items at …/collection/<id>/<n>; sessions at …/session/s<n>; prompts at
// …/prompt/u<n>. Collection ids are labels escaped as gnome-keyring escapes
// them (EscapeID). Errors carry the spec's names (IsLocked, NoSession,
// NoSuchObject).
//
// Sessions and prompts belong to the connection that opened them: a secret
// encoded for another connection's session is refused with NoSession, and
// when a client leaves the bus its session keys are wiped and its pending
// prompts cancelled.
//
// DH sessions derive the AES key from the shared secret left-padded to 128
// bytes, as the spec, gnome-keyring and libsecret do. A client that forgot
// the padding derives another key in about one session in 256; the server
// keeps that key too and switches to it when a secret the client sends
// decrypts only under it. Such a client can still misread a secret it reads
// before it has sent one, which no server can prevent. The clients tested
// here all pad: libsecret (its gcrypt build, Debian's), python
// SecretStorage 3.3 and this project's dbusservice.
//
// A store's Watch feeds the ItemCreated, ItemChanged and ItemDeleted
// signals, so changes made by other processes (another writer of a keyring
// file) reach clients too. A locked collection is searched in the labels and
// attributes noted when it was locked; one that was never unlocked lists no
// items until it is, not even in SearchItems' locked list, when its store
// cannot search while locked (the libsecret file format keys its attribute
// hashes with the password, so nothing can be matched without it).
//
// A collection's Created and Modified are its store's where the store
// knows them (secret.TimesStore, which the file keyring implements), so
// they outlive the server; otherwise they are the time the collection was
// first served and last changed.
//
// An Options.Unlock function runs while the client's Prompt runs; WindowID
// gives it the window_id the client passed, for parenting a dialog.
//
// RetrieveSecret (portal.go) serves org.freedesktop.impl.portal.Secret, the
// backend xdg-desktop-portal calls to hand each sandboxed app its master
// secret, on a connection that passes fds (ExportPortal).
package provider
