package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestReleaseFilePages: a private read-only mapping of a file whose pages
// are all the file's is dropped from the page tables and reads the same
// afterwards; one whose page was written before it was made read-only (as
// the dynamic loader does with relocated data) keeps the written bytes.
func TestReleaseFilePages(t *testing.T) {
	const size = 16 * 4096
	want := bytes.Repeat([]byte("moneypenny file page "), size/21+1)[:size]
	path := filepath.Join(t.TempDir(), "pages")
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	clean, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(clean)
	written, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(written)
	written[5] = 'X' // a private copy of the first page
	if err := unix.Mprotect(written, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(clean, want) || !bytes.Equal(written[6:], want[6:]) { // and so resident
		t.Fatal("the mappings do not read as the file")
	}
	if rss := mappingRSS(t, clean); rss == 0 {
		t.Fatal("the clean mapping is not resident after reading it")
	}

	releaseFilePages()

	if rss := mappingRSS(t, clean); rss != 0 {
		t.Errorf("clean mapping still has %d KiB resident", rss)
	}
	if !bytes.Equal(clean, want) {
		t.Error("the clean mapping reads differently after the release")
	}
	if written[5] != 'X' || !bytes.Equal(written[6:], want[6:]) {
		t.Error("the written page lost its private bytes")
	}
	if rss := mappingRSS(t, written); rss == 0 {
		t.Error("the mapping with a written page was released")
	}
}

// mappingRSS is the resident KiB of the mapping that starts at b.
func mappingRSS(t *testing.T, b []byte) int {
	t.Helper()
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	for _, m := range fileMappings() {
		if m.lo == lo {
			return m.rss
		}
	}
	// fileMappings lists only read-only mappings; both are by now.
	t.Fatalf("no mapping at %#x", lo)
	return 0
}
