package gvariant

import (
	"bytes"
	"encoding/binary"
)

// Item is the decrypted payload of one keyring item, (a{ss}sttay):
// cleartext attributes, label, created and modified (Unix seconds) and the
// secret.
type Item struct {
	Attributes []StringPair
	Label      string
	Created    uint64
	Modified   uint64
	Secret     []byte
}

// EncodeItem serialises it. The result holds the secret: wipe it when done.
func EncodeItem(it *Item) []byte {
	return encodeTuple([]child{
		{align: 1, data: EncodeStringDict(it.Attributes), variable: true},
		{align: 1, data: encodeString(it.Label), variable: true},
		{align: 8, data: encodeU64(it.Created)},
		{align: 8, data: encodeU64(it.Modified)},
		{align: 1, data: it.Secret, variable: true},
	})
}

var itemBodyMembers = []member{{align: 1}, {align: 1}, {align: 8, size: 8}, {align: 8, size: 8}, {align: 1}}

// DecodeItem parses an item. The returned Secret is a copy, so the caller
// can wipe b and keep the item, or wipe both.
func DecodeItem(b []byte) (*Item, error) {
	var buf [5][]byte
	parts, err := splitTuple(buf[:0], b, itemBodyMembers)
	if err != nil {
		return nil, err
	}
	attrs, err := DecodeStringDict(parts[0])
	if err != nil {
		return nil, err
	}
	label, err := decodeString(parts[1])
	if err != nil {
		return nil, err
	}
	return &Item{
		Attributes: attrs,
		Label:      label,
		Created:    binary.LittleEndian.Uint64(parts[2]),
		Modified:   binary.LittleEndian.Uint64(parts[3]),
		Secret:     bytes.Clone(parts[4]),
	}, nil
}

// DecodeItemSecret parses only the framing of an item and returns a copy of
// its secret: for reading the secret of an item whose whole body was
// decoded and checked once already, without building its attributes again.
func DecodeItemSecret(b []byte) ([]byte, error) {
	var buf [5][]byte
	parts, err := splitTuple(buf[:0], b, itemBodyMembers)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(parts[4]), nil
}
