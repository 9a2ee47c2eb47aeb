//go:build !unix

package filekeyring

import "io/fs"

// fileOwner is not known here: Windows files have owner SIDs, not uids,
// and the untrusted-directory case (a Flatpak app's data) is Linux's.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }

// noFollow is 0: acquire's Lstat is the only guard against a lock file
// that is a symbolic link.
const noFollow = 0
