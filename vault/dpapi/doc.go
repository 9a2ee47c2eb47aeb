// Package dpapi is a vault.Engine that keeps each secret in a file of its
// own, sealed with the Windows Data Protection API (CryptProtectData) for
// the current user: the engine for secrets larger than the Credential
// Manager holds (2560 bytes per credential, about 200 KiB with the windows
// package's chunking), such as certificates, key files and service-account
// JSON.
//
//	e, err := dpapi.Open(dpapi.DefaultDir(nil)) // %LOCALAPPDATA%\moneypenny\vault-dpapi
//	if err != nil { ... }
//	v := vault.New(e, vault.WithMaxValueSize(4<<20))
//
// vault.Open chooses it by name with
// dpapi.Register() (the moneypenny
// command registers it: --engine dpapi-file, MONEYPENNY_VAULT_ENGINE, or
// "engine" in the config file with {"dpapi-file": {"dir": "..."}}). On
// other systems Open fails with secret.ErrNotSupported.
//
// # Files
//
// The secret at a path lives in <dir>\<sha256 of the path, hex>.dpapi, so
// that vault paths, which are case-sensitive, never meet the file
// system's case folding or reserved names. A file is three lines:
//
//	moneypenny-vault-dpapi 1
//	{"path":"org/acme/tls_key","provider":"...","expires_at":"...","created_at":"...","updated_at":"...","version":"..."}
//	<base64 of the CryptProtectData blob>
//
// The metadata line is plain text, like the attributes of the keyring
// engine, so that List and Stat never unseal a value (they show that line
// as it is; Read is what verifies it). The blob is sealed
// with CRYPTPROTECT_UI_FORBIDDEN for the current user, with optional
// entropy made of the path and a hash of the metadata line, and a
// description naming the path. So a file copied or renamed to another
// path's place, a metadata line edited, a blob with a flipped byte and a
// blob sealed by another user (or on another machine without a roaming
// profile) all fail to unseal and are refused with an error wrapping
// secret.ErrCorrupt; nothing is returned from them.
//
// Every file is created with a protected DACL granting the current user
// alone full access (no inherited entries), written to a temporary file
// in the same directory and moved over the old one (MoveFileEx with
// MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH), so a reader sees
// the old record or the new one. The directory, when the engine creates
// it, gets the same owner-only DACL, inherited by what is created in it.
//
// Writes and deletes take an exclusive lock on <dir>\.lock (LockFileEx)
// for the read-check-write of a conditional write, so two processes never
// lose an update: Record.Version is a random token each write changes. A
// file the engine cannot parse, or one that holds another path's record,
// is never overwritten: writes to its path fail with secret.ErrCorrupt.
//
// # Tests
//
// The tests run under Wine (scripts/wine). There they check the round
// trip, values far over the Credential Manager's limit, and the refusal of
// moved, copied, edited, truncated and foreign files. Two things Wine
// cannot show: a blob sealed for a different Windows user (Wine has one
// user and its CryptUnprotectData ignores the master-key identifier, so
// that refusal is untested; it is the same CryptUnprotectData failure the
// tampered files produce), and the exact DACL (Wine keeps none: it turns
// the owner-only DACL into Unix mode 0600 and shows a DACL made from that;
// the tests check that it grants nobody but the user and SYSTEM, where a
// file made without the engine's DACL also grants Everyone). On Windows
// itself the tests expect the exact one-entry DACL.
package dpapi
