package filekeyring

import (
	"os"
	"syscall"
	"time"
)

// birthTime is the file's creation time, which NTFS records.
func birthTime(_ string, fi os.FileInfo) time.Time {
	d, ok := fi.Sys().(*syscall.Win32FileAttributeData)
	if !ok || d.CreationTime.Nanoseconds() <= 0 {
		return time.Time{}
	}
	return time.Unix(0, d.CreationTime.Nanoseconds())
}
