package gvariant

import (
	"bytes"
	"testing"

	"github.com/moneypenny-go/keyring/internal/membound"
)

// maxAllocFactor bounds what decoding may allocate per input byte: every
// counted element must be backed by bytes of its own before anything is
// sized by the count.
const maxAllocFactor = 16

// craftedBody wraps a serialised item array in a file body.
func craftedBody(items []byte) []byte {
	return encodeTuple([]child{
		{align: 4, data: encodeU32(4)},
		{align: 1, data: []byte{1, 2, 3, 4}, variable: true},
		{align: 4, data: encodeU32(1)},
		{align: 8, data: encodeU64(0)},
		{align: 4, data: encodeU32(0)},
		{align: 1, data: items, variable: true},
	})
}

func hashedItemBytes(attrs, blob []byte) []byte {
	return encodeTuple([]child{{align: 1, data: attrs, variable: true}, {align: 1, data: blob, variable: true}})
}

// claimedArray is an array whose offset table claims n elements that are
// not there (every offset is zero).
func claimedArray(n int) []byte { return make([]byte, 2*n) }

// hostileFiles are bodies of a few KB whose offset tables claim far more
// than the bytes hold.
func hostileFiles() map[string][]byte {
	// One item claims 2,000 attributes, 1,999 empty items follow: the old
	// decoder sized one attribute array for every remaining item at the
	// largest count seen, 4 million entries.
	shared := [][]byte{hashedItemBytes(claimedArray(2000), nil)}
	shared = append(shared, make([][]byte, 1999)...)
	// 20,000 empty items: two offset bytes each, 48 bytes of HashedItem.
	empty := make([][]byte, 20000)
	// Items whose attribute tables claim entries they do not have.
	var claims [][]byte
	for range 100 {
		claims = append(claims, hashedItemBytes(claimedArray(200), bytes.Repeat([]byte{7}, MinBlobSize)))
	}
	return map[string][]byte{
		"shared attribute array": craftedBody(encodeArray(shared, 1)),
		"empty items":            craftedBody(encodeArray(empty, 1)),
		"claimed attributes":     craftedBody(encodeArray(claims, 1)),
	}
}

// denseFile is valid and as attribute-dense as the format allows: 80
// attributes of two bytes each per item.
func denseFile(items int) []byte {
	pairs := make([]BytesPair, 80)
	elems := make([][]byte, items)
	for i := range elems {
		elems[i] = encodeHashedItem(&HashedItem{Attributes: pairs, Blob: bytes.Repeat([]byte{byte(i)}, MinBlobSize)})
	}
	return craftedBody(encodeArray(elems, 1))
}

func TestDecodeFileMemoryBound(t *testing.T) {
	for name, b := range hostileFiles() {
		t.Run(name, func(t *testing.T) {
			var err error
			membound.Check(t, len(b), maxAllocFactor, func() { _, err = DecodeFile(b) })
			if err == nil {
				t.Fatal("a file whose counts exceed its bytes decoded")
			}
		})
	}
	t.Run("dense valid file", func(t *testing.T) {
		b := denseFile(200)
		var f *File
		var err error
		membound.Check(t, len(b), maxAllocFactor, func() { f, err = DecodeFile(b) })
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Items) != 200 || len(f.Items[199].Attributes) != 80 {
			t.Fatalf("%d items", len(f.Items))
		}
	})
}

func TestDecodeItemMemoryBound(t *testing.T) {
	// An a{ss} whose offset table claims 30,000 entries that are not there.
	claimed := encodeTuple([]child{
		{align: 1, data: claimedArray(30000), variable: true},
		{align: 1, data: encodeString("x"), variable: true},
		{align: 8, data: encodeU64(0)},
		{align: 8, data: encodeU64(0)},
		{align: 1, data: nil, variable: true},
	})
	var err error
	membound.Check(t, len(claimed), maxAllocFactor, func() { _, err = DecodeItem(claimed) })
	if err == nil {
		t.Fatal("claimed entries decoded")
	}
	// The densest valid a{ss}: empty names and values.
	dense := EncodeItem(&Item{Attributes: make([]StringPair, 5000), Label: "x"})
	membound.Check(t, len(dense), maxAllocFactor, func() { _, err = DecodeItem(dense) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestDecodeFileRefusesShortBlobs(t *testing.T) {
	for _, n := range []int{0, 1, MinBlobSize - 1} {
		b := EncodeFile(&File{SaltSize: 1, Salt: []byte{1}, Iterations: 1, Items: []HashedItem{{Blob: make([]byte, n)}}})
		if _, err := DecodeFile(b); err == nil {
			t.Errorf("blob of %d bytes accepted", n)
		}
	}
	b := EncodeFile(&File{SaltSize: 1, Salt: []byte{1}, Iterations: 1, Items: []HashedItem{{Blob: make([]byte, MinBlobSize)}}})
	if _, err := DecodeFile(b); err != nil {
		t.Errorf("blob of %d bytes: %v", MinBlobSize, err)
	}
}
