// Package legacykeyring reads gnome-keyring's legacy binary ".keyring" files
// (format 0.0, the files gnome-keyring-daemon writes under
// $XDG_DATA_HOME/keyrings/). It exists so that secrets kept in such a file can
// be migrated into Moneypenny's file keyring; it never writes the format.
//
// A v0 file is a clear header followed by one encrypted block:
//
//	magic "GnomeKeyring\n\r\x00\n", version 00 00, crypto 0 (AES), hash 0 (MD5)
//	keyring name, ctime, mtime, flags, lock timeout
//	hash iterations, 8-byte salt, 4 reserved words
//	item count, then per item its id, type and hashed attributes
//	encrypted size, then that many bytes of AES-128-CBC (no padding)
//
// Every integer is big-endian. The AES key and IV come from the password and
// salt by gnome-keyring's egg_symkey_generate_simple: SHA-256 over
// password‖salt, re-hashed (iterations-1) times; the first 16 bytes are the
// key, the next 16 the IV. The plaintext starts with the MD5 of the rest of
// the plaintext; a mismatch is how a wrong password shows, since the format
// has no other check. After the checksum come the full items: label, secret,
// times, the attributes in the clear and access-control entries.
//
// The header's attribute values are only hashes, so Parse reads the names and
// values from the decrypted items. An attribute stored as a uint32 becomes its
// decimal string, the form libsecret uses for integer attributes.
//
// Parse checks every length against the input and never panics, so it is safe
// on files of unknown origin.
package legacykeyring
