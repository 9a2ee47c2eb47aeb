//go:build unix

package filekeyring

import (
	"errors"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileOwner returns the uid that owns fi.
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

func isReadOnlyFS(err error) bool { return errors.Is(err, unix.EROFS) }

// noFollow makes opening the lock file fail on a symbolic link instead of
// following it (and creating its target).
const noFollow = unix.O_NOFOLLOW
