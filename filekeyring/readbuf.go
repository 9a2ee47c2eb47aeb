package filekeyring

import (
	"errors"
	"io"
	"os"

	"github.com/moneypenny-go/keyring/internal/prefault"
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

// readAll reads f to the end into a prefaulted buffer sized for size bytes.
func readAll(f *os.File, size int64) ([]byte, error) {
	n := 512
	if size > 0 && size < 1<<40 {
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
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // the file grew while we read it
		}
	}
}
