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
	if len(b) == 0 || b[len(b)-1] != 0 {
		return "", malformed("string is not NUL-terminated")
	}
	if bytes.IndexByte(b[:len(b)-1], 0) >= 0 {
		return "", malformed("string contains a NUL byte")
	}
	return string(b[:len(b)-1]), nil
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

func decodeEntry(b []byte) (string, []byte, error) {
	parts, err := splitTuple(b, []member{{align: 1}, {align: 1}})
	if err != nil {
		return "", nil, err
	}
	key, err := decodeString(parts[0])
	if err != nil {
		return "", nil, err
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

// DecodeStringDict parses an a{ss}, keeping the serialised order.
func DecodeStringDict(b []byte) ([]StringPair, error) {
	elems, err := splitArray(b, 1)
	if err != nil {
		return nil, err
	}
	out := make([]StringPair, len(elems))
	for i, e := range elems {
		k, v, err := decodeEntry(e)
		if err != nil {
			return nil, err
		}
		s, err := decodeString(v)
		if err != nil {
			return nil, err
		}
		out[i] = StringPair{Name: k, Value: s}
	}
	return out, nil
}

// EncodeBytesDict serialises an a{say} in the given order.
func EncodeBytesDict(pairs []BytesPair) []byte {
	elems := make([][]byte, len(pairs))
	for i, p := range pairs {
		elems[i] = encodeEntry(p.Name, p.Value)
	}
	return encodeArray(elems, 1)
}

// DecodeBytesDict parses an a{say}, keeping the serialised order. The values
// alias b.
func DecodeBytesDict(b []byte) ([]BytesPair, error) {
	elems, err := splitArray(b, 1)
	if err != nil {
		return nil, err
	}
	out := make([]BytesPair, len(elems))
	for i, e := range elems {
		k, v, err := decodeEntry(e)
		if err != nil {
			return nil, err
		}
		out[i] = BytesPair{Name: k, Value: v}
	}
	return out, nil
}
