package filekeyring

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// install puts the finished temporary file at path and returns what it
// displaced, so that the caller can tell whether that was the version its
// change was based on.
//
// On Linux the two are swapped atomically (renameat2 RENAME_EXCHANGE): the
// previous file survives under tmp's name until the caller has looked at it.
// If a writer that ignores our lock (libsecret) replaced the file after our
// last check, its acknowledged contents are not lost: the caller re-applies
// its change on top of them and installs again. A missing file is created
// with RENAME_NOREPLACE, so a file created meanwhile by someone else is
// never overwritten either.
//
// displaced is nil when nothing was there. It is the caller's to remove.
func install(tmp, path string) (displaced *string, err error) {
	err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return &tmp, nil
	case errors.Is(err, unix.ENOENT):
		err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_NOREPLACE)
		if errors.Is(err, unix.EEXIST) {
			return nil, errRaced
		}
		return nil, err
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		// Filesystems without renameat2 flags: a plain rename, after the
		// caller's stamp check.
		return nil, os.Rename(tmp, path)
	default:
		return nil, err
	}
}
