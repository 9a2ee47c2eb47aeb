//go:build !linux

package filekeyring

import "os"

// install replaces path with tmp by rename. Without an atomic exchange the
// caller's stamp check just before is the only guard against a writer that
// ignores our lock.
func install(tmp, path string) (displaced *string, err error) {
	return nil, os.Rename(tmp, path)
}
