// Package windows stores secrets in the Windows Credential Manager as generic
// credentials, through advapi32's CredWriteW, CredReadW, CredEnumerateW,
// CredDeleteW and CredFree (pure Go, no cgo).
//
// # One item, one target name
//
// An item's target name is derived from its attributes, so the same attribute
// set always lands on the same credential and replacing an item is one
// overwrite:
//
//	moneypenny:<name>=<value>&<name>=<value>...
//
// The pairs are sorted by name (byte order) and every byte outside
// [a-z0-9] and "-._~@:/" is percent-escaped with upper-case hex digits
// (UTF-8 first, so "Ünï" becomes "%C3%9Cn%C3%AF"). Credential Manager compares
// target names case-insensitively; because the escaped form holds no literal
// upper-case letter, two attribute sets that differ only in case still get two
// different targets. {service=github.com, username=alice} is stored at
//
//	moneypenny:service=github.com&username=alice
//
// Names are kept to 200 characters, although Windows allows 32767: Wine keeps
// each credential as a registry key (255 characters at most), and the Wine
// run must show what Windows users get. A longer list is cut, never inside an
// escape, and ends in "$" and 32 hex digits of the SHA-256 of the whole
// escaped list. A second item with exactly the same attributes, created
// without replace, gets a suffix: "<target>!<8 hex digits>". The prefix
// "moneypenny:" can be changed with WithTargetPrefix. Attributes are read
// back from the blob, never parsed out of the name.
//
// # What a credential holds
//
// Wine drops CREDENTIAL_ATTRIBUTEs and real Windows limits their size, so
// every piece of metadata lives in the credential blob itself, which both
// round-trip faithfully. The blob is one header line followed by the payload:
//
//	moneypenny/1 <generation> <parts>\n
//	{"label":...,"attributes":{...},"contentType":...,"created":...,"modified":...,"size":N}\n
//	<secret bytes>
//
// The Comment holds the label (cut to 256 characters, for the Credential
// Manager window) and UserName holds the "username" attribute when there is
// one; neither is read back. Type is CRED_TYPE_GENERIC and Persist
// CRED_PERSIST_LOCAL_MACHINE.
//
// # Secrets larger than 2560 bytes
//
// Credential Manager refuses a blob over CRED_MAX_CREDENTIAL_BLOB_SIZE (2560
// bytes; Wine accepts more, so this package checks the limit itself). A
// larger payload is split: the head credential keeps the first bytes and parts
// "<target>#<generation>.<i>" (i = 1, 2, ...) hold the rest, 2560 bytes each.
// Up to MaxSecretSize bytes are accepted.
//
// Windows has no transaction across credentials, so a write is ordered to make
// the head the commit point: the new parts are written under a fresh random
// generation, then the head that names that generation, and only then are the
// previous generation's parts deleted. A reader therefore sees either the old
// item or the new one, never a mix; a process killed half-way leaves unused
// parts behind (invisible to searches, removed when the item is deleted), not
// a broken item. Deletion removes the head first, so an item never appears
// with parts missing. A reader that races a writer and finds a part gone
// re-reads the head and tries again.
//
// # go-keyring interoperability
//
// zalando/go-keyring (and everything built on danieljoos/wincred the same way)
// stores service and user at target "service:user" with UserName set to the
// user and the secret as raw UTF-8 bytes. Searches for {service} or
// {service, username} alone also return such credentials, with exactly those
// two attributes, the Comment (or the target) as label and LastWritten as both
// creation and modification time. Replacing one of them keeps its format, so
// the program that wrote it keeps reading it; only a secret too large for one
// blob, or new attributes, turn it into a moneypenny credential. Items and
// searches that do not name a service never see other programs' credentials.
//
// Credential Manager cannot be locked and sends no change notifications: Lock,
// Unlock and Watch fail with secret.ErrNotSupported. On other systems Open
// fails with secret.ErrUnavailable; the package still compiles everywhere.
package windows
