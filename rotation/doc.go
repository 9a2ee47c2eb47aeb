// Package rotation keeps the keys a cluster signs and encrypts with (JWT
// signing keys, HMAC keys for API tokens, session keys) in versioned rings
// that rotate on a schedule without a restart, and without a moment where
// one node signs with a key another node does not know yet.
//
// # Concepts
//
// A group ("payments-signing") owns a sequence of keys of one size (32
// bytes by default). Each key has a version, a uint32 that only grows and
// is never reused (1, 2, 3, ...), a creation time, and an activation time
// = creation + the group's propagation delay. Versions are never reused, so
// a token that names version 7 can only ever verify against version 7's
// key: there is no wrap-around slot that a newer key could fill.
//
// A Ring is one process's in-memory view of a group. Current returns the
// active key (the newest whose activation time has passed) to sign or
// encrypt with, and Resolve returns the key of the version a token names, to
// verify or decrypt. Both are one atomic load, allocate nothing and are
// safe for any number of goroutines. The ring holds the newest N versions
// (Syncer.Keep, 16 by default); Resolve of an evicted version, or of one
// below the minimum decryption version (raised with Storage.Retire to
// retire keys on purpose), fails with an error wrapping ErrRetired and
// never returns another key. Keys leaving the ring are zeroed.
//
// A Rotator makes the next version when it is due, in Storage. Any number
// of rotators per group (one per node is typical) converge on exactly one
// new version per interval: each sleeps until the due time by the store's
// clock, and the store serialises them (in PostgreSQL, an advisory lock
// and a conditional insert), so the cluster's versions have no gap and no
// duplicate.
//
// A Syncer loads the group at start (Start fails if it cannot), then
// follows changes pushed by the store (PostgreSQL LISTEN/NOTIFY; the file
// keyring's watch), polls every 5 s in case a push was lost, and looks
// early when a rotation is due; the ring itself makes a pending version
// current at its activation time. While the store is unreachable the ring
// keeps serving; the syncer reconnects with back-off and catches up. A row
// that does not decrypt is left out and reported (RowError), never fatal;
// if none decrypts, Start fails with an error wrapping
// secret.ErrWrongPassword, the sign of a wrong key-encryption key.
//
// A Manager runs both for a node that rotates and uses the keys.
//
// # Storage and encryption
//
// Storage is an interface: package rotation/pgstore implements it on
// PostgreSQL (schema created and migrated by the package) and package
// rotation/filestore on a file keyring for services on one machine.
//
// Keys are stored sealed by an Encryptor. LocalEncryptor uses
// AES-256-GCM-SIV (RFC 8452) under a 32-byte key-encryption key (KEK)
// that every node holds, with the group and version as associated data,
// so a row copied to another group or version does not decrypt. The KEK is
// passed in, or kept in the user's keyring (KeyringEncryptor, EnsureKEK;
// the item's schema is documented at LoadKEK). NoopEncryptor stores keys
// in the clear, for tests.
//
// Why GCM-SIV, and why this implementation: GCM-SIV tolerates a repeated
// nonce (the only leak is that the same key was sealed twice), which
// matters for a cluster where many nodes seal with one KEK and random
// 96-bit nonces. The Go standard library and golang.org/x/crypto do not
// offer it. The maintained implementation, Google's Tink
// (github.com/tink-crypto/tink-go/v2/aead/subtle), would bring 46 packages
// into every importer, the protobuf runtime and Tink's global registries
// among them, for some 200 lines of code; other modules are unmaintained
// or unavailable from the module proxy. So the mode is written here over
// crypto/aes (gcmsiv.go): POLYVAL with constant-time carry-less
// multiplication, and checked against every AES-256 vector of RFC 8452
// Appendix C.2 and Wycheproof's modified-tag vectors.
//
// # Time
//
// Due times come from the store's clock, so rotators on skewed nodes agree.
// Activation is judged by each node's own clock against the stored
// activation time: make the propagation delay larger than the worst
// propagation time plus the clock skew between nodes.
package rotation
