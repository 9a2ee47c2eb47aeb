package filekeyring

import "os"

// keepOpen closes f: on Windows an open file cannot be replaced by a rename,
// so the version we know is not pinned. (Windows file IDs do not come back the
// way ext4 reuses inode numbers: NTFS adds a sequence number that changes
// when a file record is reused.)
func keepOpen(f *os.File) *os.File {
	if f != nil {
		f.Close()
	}
	return nil
}

// openBlocksRename: Go opens files without FILE_SHARE_DELETE, so on Windows
// a file cannot be renamed while it is open; the temporary file is closed
// before it is installed.
const openBlocksRename = true
