// Package secret is the vocabulary shared by every Moneypenny backend: attribute
// sets, the secret value type, item metadata, change events and the sentinel
// errors callers match with errors.Is.
//
// It plays the part io/fs plays for os: backends (filekeyring, dbusservice,
// the keyctl, Keychain and Credential Manager adapters) implement the Store and
// Item interfaces defined here, and the root package keyring re-exports these
// names so that most programs import only keyring.
//
// A Value never prints its bytes: formatting it with %v, %s, %q, %x or %#v
// gives [REDACTED], so a secret cannot leak through a log line or an error by
// accident. Call Bytes to read it and Wipe to zero it when done.
package secret
