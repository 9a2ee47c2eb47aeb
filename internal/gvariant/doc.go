// Package gvariant reads and writes the subset of GLib's GVariant binary
// serialisation that libsecret's file keyring uses.
//
// GVariant is not self-describing: a container learns the sizes of its
// variable-size children only from "framing offsets" stored at its own end,
// little-endian, in the smallest width (1, 2, 4 or 8 bytes) that can address
// the container. Everything is aligned relative to the start of the outermost
// buffer, so a value built on its own can be embedded at any offset that is a
// multiple of its alignment.
//
// Only the types of the keyring format are supported, each with a typed
// encoder and decoder (no reflection):
//
//	(uayutua(a{say}ay))   the file body after the 18-byte header  File
//	(a{ss}sttay)          one decrypted item                      Item
//
// Decoders treat their input as hostile: every offset is bounds-checked and
// a malformed buffer is an error wrapping ErrMalformed, never a panic.
// Encoders always produce GVariant normal form, which is what GLib writes, so
// a decoded libsecret file re-encodes to the same bytes.
//
// The byte-level rules are in the project's format notes
// (filekeyring/FORMAT.md) and GLib's gvariant-serialiser.c.
package gvariant
