//go:build !unix && !windows

package filestore

import "os"

// Without file locks, only the process's own mutex serialises rotations.
func tryLock(*os.File) (bool, error) { return true, nil }
func unlockFile(*os.File) error      { return nil }
