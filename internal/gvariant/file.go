package gvariant

import "encoding/binary"

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

// DecodeFile parses a keyring body. Byte slices in the result alias b.
func DecodeFile(b []byte) (*File, error) {
	parts, err := splitTuple(b, []member{
		{align: 4, size: 4}, {align: 1}, {align: 4, size: 4}, {align: 8, size: 8}, {align: 4, size: 4}, {align: 1},
	})
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
	elems, err := splitArray(parts[5], 1)
	if err != nil {
		return nil, err
	}
	f.Items = make([]HashedItem, len(elems))
	for i, e := range elems {
		p, err := splitTuple(e, []member{{align: 1}, {align: 1}})
		if err != nil {
			return nil, err
		}
		attrs, err := DecodeBytesDict(p[0])
		if err != nil {
			return nil, err
		}
		f.Items[i] = HashedItem{Attributes: attrs, Blob: p[1]}
	}
	return f, nil
}
