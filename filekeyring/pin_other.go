//go:build !windows && !linux

package filekeyring

import "os"

// keepOpen returns f: holding the version we know open pins its inode.
func keepOpen(f *os.File) *os.File { return f }

// openBlocksRename: a file that is open can be renamed here.
const openBlocksRename = false
