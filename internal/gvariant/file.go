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

// MinBlobSize is the shortest blob an encrypted item can have: one AES
// block of ciphertext, the 16-byte IV and the 32-byte HMAC-SHA256. No
// writer produces less, and DecodeFile refuses less: an item must bring
// bytes of its own before it is given memory, or a file of two-byte empty
// items would cost 24 bytes of memory per byte of file.
const MinBlobSize = 16 + 16 + 32

// maxInterned bounds the attribute names DecodeFile interns. Keyrings use
// a handful; a hostile file naming every attribute differently would
// otherwise grow the intern table at the cost of a map entry per name.
const maxInterned = 64

// DecodeFile parses a keyring body. Byte slices in the result alias b.
//
// A file holds thousands of items, each with a few attributes, so the
// decoder allocates per file rather than per item: the attributes of all
// items share one backing array and attribute names are interned.
//
// The counts in offset tables are claims, not facts: nothing is sized by
// them. A first pass checks every item and attribute and counts them,
// allocating nothing; the second fills arrays of exactly those sizes. Each
// item takes at least MinBlobSize bytes of b and each attribute at least
// three, so decoding allocates at most about 14 bytes per input byte,
// whatever b holds.
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
	fill := items // a fresh walk for the second pass
	nItems, nPairs := 0, 0
	for e, err := range items.elems() {
		if err != nil {
			return nil, err
		}
		attrs, blob, err := splitHashedItem(e)
		if err != nil {
			return nil, err
		}
		if len(blob) < MinBlobSize {
			return nil, malformed("item %d: blob of %d bytes, shorter than the %d of an encrypted item", nItems, len(blob), MinBlobSize)
		}
		n, err := countBytesDict(attrs)
		if err != nil {
			return nil, err
		}
		nItems++
		nPairs += n
	}
	if nItems == 0 {
		return f, nil
	}
	f.Items = make([]HashedItem, nItems)
	prefault.Slice(f.Items)
	pairs := make([]BytesPair, 0, nPairs) // shared backing for the items' attributes
	prefault.Slice(pairs[:nPairs])
	names := make(map[string]string)
	i := 0
	for e := range fill.elems() {
		attrs, blob, _ := splitHashedItem(e)
		start := len(pairs)
		pairs = appendBytesDict(pairs, attrs, names)
		// Full slice expression: an append to one item's attributes must
		// never write into the next item's.
		f.Items[i] = HashedItem{Attributes: pairs[start:len(pairs):len(pairs)], Blob: blob}
		i++
	}
	return f, nil
}

func splitHashedItem(e []byte) (attrs, blob []byte, err error) {
	var ibuf [2][]byte
	p, err := splitTuple(ibuf[:0], e, itemMembers)
	if err != nil {
		return nil, nil, err
	}
	return p[0], p[1], nil
}
