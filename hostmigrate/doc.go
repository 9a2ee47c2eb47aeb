// Package hostmigrate moves secrets into Moneypenny's file keyring: from the
// host's Secret Service (what a newly sandboxed application needs, since
// inside Flatpak it stores its secrets in a file of its own) and from keyring
// files on disk (gnome-keyring's legacy v0 .keyring files and libsecret's v1
// files).
//
// The one promise is that no secret is ever lost:
//
//   - Everything is read first; then every item goes into the file keyring in
//     one durable write (filekeyring's Import: temp file, fsync, rename).
//   - Host items are deleted only after that write has succeeded, and never
//     when Options.Keep is set. A write that fails leaves the host untouched;
//     a deletion that fails leaves both copies and is listed in
//     Report.HostDeleteFailed.
//   - Running a migration again is harmless: an item whose exact attribute
//     set and secret are already in the file is reported as AlreadyPresent
//     and not duplicated (and its host copy is then deleted, which finishes
//     an interrupted earlier run).
//   - An item whose attributes are already in the file with another secret
//     is skipped (the host copy stays) unless Options.Replace is set. Two
//     host items with one attribute set and different secrets cannot both
//     live in the file: the first is migrated, the second skipped.
//
// Attributes are copied exactly as the host reports them, nothing added or
// removed. Note that gnome-keyring reports
// xdg:schema=org.freedesktop.Secret.Generic for items stored without a schema;
// that attribute is part of what the host reports, so it is copied too.
//
// A Report lists every item by label, attributes and host object path (or
// source file), never by secret, so it can be printed or logged.
package hostmigrate
