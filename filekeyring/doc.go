// Package filekeyring reads and writes libsecret's encrypted keyring file,
// the store libsecret and oo7 use inside Flatpak and Snap sandboxes
// ($XDG_DATA_HOME/keyrings/default.keyring there) and with
// SECRET_BACKEND=file on a host.
//
// The file is byte-compatible with libsecret both ways: an item stored here
// is found by `secret-tool lookup` and the reverse. FORMAT.md beside this
// file gives the layout; in short, a header "GnomeKeyring\n\r\0\n" 1 0, then a
// GVariant holding the salt, the PBKDF2 iteration count and the items. Each
// item keeps its attribute names in the clear with an HMAC of each value, so
// searching never decrypts anything, and an AES-128-CBC blob with label,
// attributes, times and secret, authenticated with HMAC-SHA256. One 16-byte
// key, PBKDF2-SHA256 of the password, serves for everything.
//
// Semantics follow libsecret: a search matches items having every queried
// attribute; storing with replace removes every item with exactly the same
// attribute set and keeps the oldest creation time; exactly the caller's
// attributes are written (no xdg:schema, no content type), so libsecret
// apps replace our items instead of duplicating them.
//
// Safety beyond libsecret:
//
//   - The format does not check the password. If a file has items and none
//     verifies, Open fails with secret.ErrWrongPassword and nothing is
//     written, where libsecret would silently append undecryptable items.
//   - Items encrypted under another key (written by a process with another
//     password) are kept byte for byte; only Repair removes them.
//   - Files in another format, gnome-keyring's legacy v0 files (same magic,
//     version 0.0) and corrupt files are refused with the reason and are
//     never overwritten. Parsing is bounds-checked, and no count or size a
//     file states decides an allocation until its bytes bear it out: reading
//     any file allocates at most a small multiple of its size, and a file
//     over MaxFileSize is refused with secret.ErrTooLarge unread.
//   - Writes go to a new 0600 file in the same directory, are synced and
//     renamed over the old one, and the directory is synced. Writers in
//     several processes serialise on a flock of "<file>.lock"; a writer
//     that does not lock (libsecret) is detected by the file's identity,
//     size and modification time, and the change is re-applied to the fresh
//     contents instead of overwriting theirs. On Linux the new version is
//     swapped in atomically (renameat2 RENAME_EXCHANGE), so a libsecret
//     write that lands after our last check is read back and kept; while
//     libsecret is mid-write (GLib's .goutputstream-* file exists) we wait
//     for it rather than race its rename. What remains is GLib's own
//     microsecond window between its check and creating that file. The
//     file we know stays open, so that ext4 cannot hand its inode number to
//     a newer version that would then pass for it; and every version gets
//     a modification time at least a microsecond after the one it
//     replaces, because that time is libsecret's only check (GLib's etag)
//     and the kernel's file clock is coarse.
//   - One race no writer can win: a libsecret that started before the file
//     existed writes its first version without an etag, so it replaces
//     whatever was created in the meantime (by us or by another libsecret).
//   - Secrets stay in byte slices that are wiped when no longer needed.
//
// A file changed by another process is reloaded before the next
// operation, and Watch reports items created, changed and deleted.
package filekeyring
