package gvariant

import (
	"bytes"
	"encoding/binary"
)

// encodeString is a GVariant "s": the bytes and one NUL.
func encodeString(s string) []byte {
	return append([]byte(s), 0)
}

func decodeString(b []byte) (string, error) {
	s, err := stringBytes(b)
	return string(s), err
}

// stringBytes checks a serialised string and returns it without its nul.
func stringBytes(b []byte) ([]byte, error) {
	if len(b) == 0 || b[len(b)-1] != 0 {
		return nil, malformed("string is not NUL-terminated")
	}
	if bytes.IndexByte(b[:len(b)-1], 0) >= 0 {
		return nil, malformed("string contains a NUL byte")
	}
	return b[:len(b)-1], nil
}

func encodeU32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func encodeU64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// StringPair is one entry of an a{ss} dictionary.
type StringPair struct {
	Name, Value string
}

// BytesPair is one entry of an a{say} dictionary.
type BytesPair struct {
	Name  string
	Value []byte
}

// encodeEntry is a dict entry {sX}: like a 2-tuple whose string key needs
// one framing offset.
func encodeEntry(key string, value []byte) []byte {
	return encodeTuple([]child{
		{align: 1, data: encodeString(key), variable: true},
		{align: 1, data: value, variable: true},
	})
}

var entryMembers = []member{{align: 1}, {align: 1}}

// decodeEntryRaw splits a dict entry {sX}, checking the key is a valid
// string; the key is returned without its nul and aliases b.
func decodeEntryRaw(b []byte) (key, value []byte, err error) {
	var buf [2][]byte
	parts, err := splitTuple(buf[:0], b, entryMembers)
	if err != nil {
		return nil, nil, err
	}
	key, err = stringBytes(parts[0])
	if err != nil {
		return nil, nil, err
	}
	return key, parts[1], nil
}

// EncodeStringDict serialises an a{ss} in the given order.
func EncodeStringDict(pairs []StringPair) []byte {
	elems := make([][]byte, len(pairs))
	for i, p := range pairs {
		elems[i] = encodeEntry(p.Name, encodeString(p.Value))
	}
	return encodeArray(elems, 1)
}

// DecodeStringDict parses an a{ss}, keeping the serialised order. The
// entries are checked before the result is sized, so a count claimed by the
// offset table never decides the allocation.
func DecodeStringDict(b []byte) ([]StringPair, error) {
	it, err := newArrayIter(b, 1)
	if err != nil {
		return nil, err
	}
	fill := it // a fresh walk for the second pass
	n := 0
	for e, err := range it.elems() {
		if err != nil {
			return nil, err
		}
		if _, _, err := decodeStringEntry(e); err != nil {
			return nil, err
		}
		n++
	}
	out := make([]StringPair, 0, n)
	for e := range fill.elems() {
		k, v, _ := decodeStringEntry(e)
		out = append(out, StringPair{Name: string(k), Value: string(v)})
	}
	return out, nil
}

// decodeStringEntry splits and checks a {ss}, returning key and value
// without their nuls.
func decodeStringEntry(e []byte) (key, value []byte, err error) {
	key, v, err := decodeEntryRaw(e)
	if err != nil {
		return nil, nil, err
	}
	value, err = stringBytes(v)
	return key, value, err
}

// EncodeBytesDict serialises an a{say} in the given order.
func EncodeBytesDict(pairs []BytesPair) []byte {
	elems := make([][]byte, len(pairs))
	for i, p := range pairs {
		elems[i] = encodeEntry(p.Name, p.Value)
	}
	return encodeArray(elems, 1)
}

// countBytesDict checks every entry of an a{say} and returns how many
// there are.
func countBytesDict(b []byte) (int, error) {
	it, err := newArrayIter(b, 1)
	if err != nil {
		return 0, err
	}
	n := 0
	for e, err := range it.elems() {
		if err != nil {
			return 0, err
		}
		if _, _, err := decodeEntryRaw(e); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// appendBytesDict appends the entries of an a{say} that countBytesDict has
// checked to dst, keeping the serialised order; the values alias b. Keys
// are interned in names, up to maxInterned of them: a keyring's thousands
// of items share a handful of attribute names, and one string per name is
// enough.
func appendBytesDict(dst []BytesPair, b []byte, names map[string]string) []BytesPair {
	it, _ := newArrayIter(b, 1)
	for e := range it.elems() {
		k, v, _ := decodeEntryRaw(e)
		name, seen := names[string(k)]
		if !seen {
			name = string(k)
			if len(names) < maxInterned {
				names[name] = name
			}
		}
		dst = append(dst, BytesPair{Name: name, Value: v})
	}
	return dst
}
