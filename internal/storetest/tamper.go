package storetest

import (
	"fmt"
	"os"

	"github.com/moneypenny-go/keyring/internal/gvariant"
)

// fileHeader is the magic and version 1.0 that start a libsecret v1 file.
const fileHeader = "GnomeKeyring\n\r\x00\n\x01\x00"

// SwapFileBlobs exchanges the encrypted blobs of items i and j of the
// libsecret v1 keyring file at path, leaving their hashed attributes in
// place: what someone who can write the file, but does not know its
// password, can do to make a lookup for one item return the other's secret.
// Tests of the file keyring's integrity check use it.
func SwapFileBlobs(path string, i, j int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) < len(fileHeader) || string(data[:len(fileHeader)]) != fileHeader {
		return fmt.Errorf("%s is not a libsecret v1 keyring", path)
	}
	f, err := gvariant.DecodeFile(data[len(fileHeader):])
	if err != nil {
		return err
	}
	if i >= len(f.Items) || j >= len(f.Items) {
		return fmt.Errorf("%s has %d items", path, len(f.Items))
	}
	f.Items[i].Blob, f.Items[j].Blob = f.Items[j].Blob, f.Items[i].Blob
	return os.WriteFile(path, append([]byte(fileHeader), gvariant.EncodeFile(f)...), 0o600)
}
