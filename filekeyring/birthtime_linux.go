package filekeyring

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// birthTime is the file's birth time from statx, zero where the file
// system does not record one (ext4 and btrfs do; tmpfs before Linux 5.x,
// NFS and overlayfs on some lower layers do not).
func birthTime(path string, _ os.FileInfo) time.Time {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BTIME, &st); err != nil || st.Mask&unix.STATX_BTIME == 0 {
		return time.Time{}
	}
	return time.Unix(st.Btime.Sec, int64(st.Btime.Nsec))
}
