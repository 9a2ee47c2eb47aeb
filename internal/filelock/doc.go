// Package filelock takes and drops an exclusive advisory lock on an open
// file without blocking: flock(2) on Unix, LockFileEx on Windows. Waiting
// is the caller's business, so that each caller can honour its own context
// (a lock held by a stuck process must never freeze another's calls).
//
// The file keyring serialises its writers with it, and so does the rotation
// package's single-host store; both lock a sibling file, never the data file
// itself, which atomic writes replace.
package filelock
