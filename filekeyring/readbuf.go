package filekeyring

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/moneypenny-go/keyring/internal/prefault"
	"github.com/moneypenny-go/keyring/secret"
)

// readFile is os.ReadFile with the buffer's pages mapped in one system call
// before the read fills them (see internal/prefault): for a one-shot
// command, reading a large keyring is otherwise mostly page faults.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return readAll(f, size)
}

// MaxFileSize is the largest keyring file this package (and hostmigrate's
// import) reads: 256 MiB, about a million items, far beyond what libsecret
// copes with. A file's size is a claim like any other (a sparse file costs
// no disk), so a larger one is refused with secret.ErrTooLarge before any
// buffer is sized for it.
const MaxFileSize = 256 << 20

func tooLarge(size int64) error {
	return fmt.Errorf("file of %d bytes exceeds the %d MiB a keyring may have: %w", size, MaxFileSize>>20, secret.ErrTooLarge)
}

// readAll reads f to the end into a prefaulted buffer sized for size bytes,
// failing with secret.ErrTooLarge beyond MaxFileSize.
func readAll(f *os.File, size int64) ([]byte, error) {
	if size > MaxFileSize {
		return nil, tooLarge(size)
	}
	n := 512
	if size > 0 {
		n = int(size) + 1 // one more byte, so EOF shows on the first pass
	}
	data := make([]byte, 0, n)
	prefault.Buffer(data[:n])
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(data) > MaxFileSize {
			return nil, tooLarge(int64(len(data)))
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // the file grew while we read it
		}
	}
}
