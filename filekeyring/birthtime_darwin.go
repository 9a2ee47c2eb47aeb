package filekeyring

import (
	"os"
	"syscall"
	"time"
)

// birthTime is the file's birth time, which every macOS file system
// records.
func birthTime(_ string, fi os.FileInfo) time.Time {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Birthtimespec.Sec <= 0 {
		return time.Time{}
	}
	return time.Unix(st.Birthtimespec.Sec, st.Birthtimespec.Nsec)
}
