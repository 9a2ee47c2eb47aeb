//go:build unix

package filekeyring

import "os"

// syncDir makes a rename durable: without it a crash can bring back the old
// directory entry even though the new file's data reached the disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
