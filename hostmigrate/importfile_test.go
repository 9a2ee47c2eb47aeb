package hostmigrate

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/membound"
	"github.com/moneypenny-go/keyring/secret"
)

// A file's size is a claim: a sparse gnome-keyring file of 256 MiB costs
// no disk, and ImportFile must refuse it before reading it into memory.
func TestImportFileRefusesHugeFile(t *testing.T) {
	for _, version := range []string{"\x00\x00", "\x01\x00"} {
		src := filepath.Join(t.TempDir(), "sparse.keyring")
		f, err := os.Create(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("GnomeKeyring\n\r\x00\n" + version); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(filekeyring.MaxFileSize + 1); err != nil {
			t.Fatal(err)
		}
		f.Close()
		dst := openDst(t, filepath.Join(t.TempDir(), "k.keyring"))
		membound.Check(t, 0, 0, func() { _, err = ImportFile(ctxT(t), dst, src, []byte("pw"), Options{}) })
		if !errors.Is(err, secret.ErrTooLarge) {
			t.Fatalf("version % x: ImportFile of a %d-byte file: %v, want ErrTooLarge", version, filekeyring.MaxFileSize+1, err)
		}
	}
}
