package gvariant

import (
	"encoding/binary"

	"github.com/moneypenny-go/keyring/internal/prefault"
)

// File is the body of a libsecret keyring file after its 18-byte header:
// (uayutua(a{say}ay)).
type File struct {
	// SaltSize is stored separately from the salt; libsecret writes 32.
	SaltSize   uint32
	Salt       []byte
	Iterations uint32
	// Modified is the file's modification time, Unix seconds.
	Modified uint64
	// Usage counts replacements; libsecret truncates it to 32 bits.
	Usage uint32
	Items []HashedItem
}

// HashedItem is one stored item: its attribute names with keyed hashes of
// their values, and the encrypted blob (ciphertext ‖ IV ‖ MAC).
type HashedItem struct {
	Attributes []BytesPair
	Blob       []byte
}

func encodeHashedItem(it *HashedItem) []byte {
	return encodeTuple([]child{
		{align: 1, data: EncodeBytesDict(it.Attributes), variable: true},
		{align: 1, data: it.Blob, variable: true},
	})
}

// EncodeFile serialises f.
func EncodeFile(f *File) []byte {
	items := make([][]byte, len(f.Items))
	for i := range f.Items {
		items[i] = encodeHashedItem(&f.Items[i])
	}
	return encodeTuple([]child{
		{align: 4, data: encodeU32(f.SaltSize)},
		{align: 1, data: f.Salt, variable: true},
		{align: 4, data: encodeU32(f.Iterations)},
		{align: 8, data: encodeU64(f.Modified)},
		{align: 4, data: encodeU32(f.Usage)},
		{align: 1, data: encodeArray(items, 1), variable: true},
	})
}

var (
	fileMembers = []member{
		{align: 4, size: 4}, {align: 1}, {align: 4, size: 4}, {align: 8, size: 8}, {align: 4, size: 4}, {align: 1},
	}
	itemMembers = []member{{align: 1}, {align: 1}}
)

// DecodeFile parses a keyring body. Byte slices in the result alias b.
//
// A file holds thousands of items, each with a few attributes, so the
// decoder allocates per file rather than per item: the attributes of all
// items share a few large backing arrays and attribute names are interned.
func DecodeFile(b []byte) (*File, error) {
	var buf [6][]byte
	parts, err := splitTuple(buf[:0], b, fileMembers)
	if err != nil {
		return nil, err
	}
	f := &File{
		SaltSize:   binary.LittleEndian.Uint32(parts[0]),
		Salt:       parts[1],
		Iterations: binary.LittleEndian.Uint32(parts[2]),
		Modified:   binary.LittleEndian.Uint64(parts[3]),
		Usage:      binary.LittleEndian.Uint32(parts[4]),
	}
	items, err := newArrayIter(parts[5], 1)
	if err != nil {
		return nil, err
	}
	if items.len() == 0 {
		return f, nil
	}
	f.Items = make([]HashedItem, 0, items.len())
	prefault.Slice(f.Items[:items.len()])
	names := make(map[string]string)
	var pairs []BytesPair // shared backing for the items' attributes
	most := 0             // the most attributes an item has had
	for e, err := range items.elems() {
		if err != nil {
			return nil, err
		}
		var ibuf [2][]byte
		p, err := splitTuple(ibuf[:0], e, itemMembers)
		if err != nil {
			return nil, err
		}
		attrs, err := newArrayIter(p[0], 1)
		if err != nil {
			return nil, err
		}
		if n := attrs.len(); cap(pairs)-len(pairs) < n {
			// Room for this and the remaining items at the largest
			// attribute count seen so far, in one new backing array.
			most = max(most, n)
			pairs = make([]BytesPair, 0, most*(items.len()-len(f.Items)))
			prefault.Slice(pairs[:cap(pairs)])
		}
		start := len(pairs)
		pairs, err = appendBytesDict(pairs, p[0], names)
		if err != nil {
			return nil, err
		}
		// Full slice expression: an append to one item's attributes must
		// never write into the next item's.
		f.Items = append(f.Items, HashedItem{Attributes: pairs[start:len(pairs):len(pairs)], Blob: p[1]})
	}
	return f, nil
}
