package filekeyring

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// keepOpen returns f, or the same file opened again read-only: holding the
// version we know open pins its inode, and a descriptor open for writing
// (the temporary file we wrote) would also keep the file system from being
// remounted read-only for as long as the keyring is open.
func keepOpen(f *os.File) *os.File {
	if f == nil {
		return nil
	}
	fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_ACCMODE == unix.O_RDONLY {
		return f
	}
	ro, err := os.Open("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		return f // no /proc: keep the writable descriptor
	}
	f.Close()
	return ro
}

// openBlocksRename: a file that is open can be renamed here.
const openBlocksRename = false
