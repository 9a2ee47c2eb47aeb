//go:build !unix && !windows

package filekeyring

import "os"

func tryLock(*os.File) (bool, error) { return true, nil }
func unlockFile(*os.File) error      { return nil }
func syncDir(string) error           { return nil }
