//go:build windows

package filekeyring

// syncDir is a no-op: Windows has no directory handle to flush, and
// MoveFileEx is already durable once it returns.
func syncDir(string) error { return nil }
