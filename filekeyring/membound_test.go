package filekeyring

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/moneypenny-go/keyring/internal/gvariant"
	"github.com/moneypenny-go/keyring/internal/membound"
	"github.com/moneypenny-go/keyring/secret"
)

// maxAllocFactor bounds what reading a keyring may allocate per byte of
// file, whatever the file claims.
const maxAllocFactor = 16

// The crafted files below are written byte by byte: the encoder only
// writes well-formed files, and these are not.

// gvFrame appends GVariant framing offsets in the smallest width that
// addresses body plus the offsets (normal form).
func gvFrame(body []byte, ends []int) []byte {
	k := 1
	for k < 8 && len(body)+len(ends)*k > 1<<(8*k)-1 {
		k *= 2
	}
	for _, e := range ends {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(e))
		body = append(body, b[:k]...)
	}
	return body
}

func gvArray(elems [][]byte) []byte {
	var body []byte
	var ends []int
	for _, e := range elems {
		body = append(body, e...)
		ends = append(ends, len(body))
	}
	return gvFrame(body, ends)
}

// gvItem is an (a{say}ay) from raw attribute-array and blob bytes.
func gvItem(attrs, blob []byte) []byte {
	return gvFrame(append(append([]byte(nil), attrs...), blob...), []int{len(attrs)})
}

// craftedFile is a v1 keyring file (header, salt, 1 iteration) around a
// raw item array.
func craftedFile(items []byte) []byte {
	body := binary.LittleEndian.AppendUint32(nil, 32)
	body = append(body, bytes.Repeat([]byte{0x5a}, 32)...)
	body = binary.LittleEndian.AppendUint32(body, 1)
	body = binary.LittleEndian.AppendUint64(body, 0)
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = append(body, items...)
	// The salt is the one variable member before the last: one offset.
	var k int
	for k = 1; len(body)+k > 1<<(8*k)-1; k *= 2 {
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], 36)
	body = append(body, b[:k]...)
	return append([]byte(magic+"\x01\x00"), body...)
}

// hostileKeyrings are files of a few dozen KB whose offset tables claim
// far more than their bytes hold.
func hostileKeyrings() map[string][]byte {
	// The 36 KB file that made `moneypenny lookup` peak at 3 GB: one item
	// claims 10,000 attributes (all offsets zero), 7,999 empty items follow.
	bomb := [][]byte{gvItem(make([]byte, 20000), nil)}
	bomb = append(bomb, make([][]byte, 7999)...)
	// 20,000 empty items: two bytes of file each.
	return map[string][]byte{
		"claimed attributes": craftedFile(gvArray(bomb)),
		"empty items":        craftedFile(gvArray(make([][]byte, 20000))),
	}
}

// denseKeyring is a well-formed file with as many attributes per byte as
// the format allows, and blobs that verify under no key.
func denseKeyring(items int) []byte {
	c := &contents{salt: bytes.Repeat([]byte{1}, saltSize), iterations: 1}
	pairs := make([]gvariant.BytesPair, 80)
	for i := range items {
		c.items = append(c.items, &stored{hashed: pairs, blob: bytes.Repeat([]byte{byte(i)}, gvariant.MinBlobSize)})
	}
	return c.encode()
}

func craftedPath(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "crafted.keyring")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReadMemoryBound reads crafted files the way lookup (Open) and
// migrate --from-file (ReadFile) do, and asserts that neither allocates
// more than maxAllocFactor bytes per byte of file before failing.
func TestReadMemoryBound(t *testing.T) {
	files := hostileKeyrings()
	files["dense, no item decrypts"] = denseKeyring(300)
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			var err error
			membound.Check(t, len(data), maxAllocFactor, func() { _, err = parse(data) })
			if name == "dense, no item decrypts" && err != nil {
				t.Fatalf("parse: %v", err)
			}
			path := craftedPath(t, data)
			membound.Check(t, len(data), maxAllocFactor, func() { _, err = ReadFile(path, []byte("pw")) })
			if err == nil {
				t.Fatal("ReadFile succeeded")
			}
			membound.Check(t, len(data), maxAllocFactor, func() {
				var k *Keyring
				if k, err = Open(context.Background(), path, []byte("pw")); err == nil {
					k.Close()
				}
			})
			if err == nil {
				t.Fatal("Open succeeded")
			}
		})
	}
}

// A file's size is a claim too: a sparse file costs no disk, so the size
// it reports must not decide a buffer beyond what a keyring can be.
func TestReadRefusesHugeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparse.keyring")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(magic + "\x01\x00"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	membound.Check(t, 0, 0, func() { _, err = Open(context.Background(), path, []byte("pw")) })
	if !errors.Is(err, secret.ErrTooLarge) {
		t.Fatalf("Open of a %d-byte file: %v, want ErrTooLarge", MaxFileSize+1, err)
	}
	membound.Check(t, 0, 0, func() { _, err = ReadFile(path, []byte("pw")) })
	if !errors.Is(err, secret.ErrTooLarge) {
		t.Fatalf("ReadFile of a %d-byte file: %v, want ErrTooLarge", MaxFileSize+1, err)
	}
}
