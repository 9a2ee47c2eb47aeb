package keyctl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// An item is one kernel key of type "user" whose payload is a record in
// this encoding (all integers big-endian, lengths as unsigned LEB128
// varints as in encoding/binary):
//
//	magic        "MPK"           3 bytes: "MoneyPenny Key"
//	version      0x01            1 byte; other versions are refused, never rewritten
//	created      int64           Unix nanoseconds
//	modified     int64           Unix nanoseconds
//	label        uvarint n, n bytes
//	content type uvarint n, n bytes (empty means text/plain)
//	attributes   uvarint count, then per attribute, in strictly increasing
//	             byte order of names: uvarint n, name; uvarint n, value
//	secret       uvarint n, n bytes, ending the payload exactly
//
// The secret is stored in the clear: the kernel keeps it in kernel memory,
// readable only by the owner (see ownerOnly), and frees it with
// kfree_sensitive when the key dies. The whole payload must fit the user
// key type's 32767 bytes, so the secret may be a little smaller than that.
const (
	recordMagic   = "MPK"
	recordVersion = 1
)

// record is an item's decoded payload.
type record struct {
	label       string
	contentType string
	attrs       secret.Attributes
	created     time.Time
	modified    time.Time
	secret      []byte
}

// encode returns the payload in a fresh buffer that holds the secret; the
// caller wipes it. A payload over the user key limit is ErrTooLarge.
func (r *record) encode() ([]byte, error) {
	size := len(recordMagic) + 1 + 16 + 6*binary.MaxVarintLen64 +
		len(r.label) + len(r.contentType) + len(r.secret)
	for k, v := range r.attrs {
		size += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	b := make([]byte, 0, size) // exact enough that append never copies the secret
	b = append(b, recordMagic...)
	b = append(b, recordVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(r.created.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(r.modified.UnixNano()))
	b = appendString(b, r.label)
	ct := r.contentType
	if ct == secret.ContentTypeText {
		ct = ""
	}
	b = appendString(b, ct)
	b = binary.AppendUvarint(b, uint64(len(r.attrs)))
	for _, k := range r.attrs.Names() {
		b = appendString(b, k)
		b = appendString(b, r.attrs[k])
	}
	b = binary.AppendUvarint(b, uint64(len(r.secret)))
	b = append(b, r.secret...)
	if len(b) > maxUserPayload {
		n := len(b)
		secret.Wipe(b)
		return nil, fmt.Errorf("item of %d bytes (secret %d bytes) exceeds the kernel's %d-byte limit for a user key: %w",
			n, len(r.secret), maxUserPayload, secret.ErrTooLarge)
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeRecord parses a payload. The secret is copied out, so the caller
// can wipe b. Anything that is not exactly a version 1 record is ErrCorrupt
// (or ErrUnsupportedFormat for another version).
func decodeRecord(b []byte) (*record, error) {
	d := decoder{b: b}
	if len(b) < len(recordMagic)+1 || !bytes.Equal(b[:len(recordMagic)], []byte(recordMagic)) {
		return nil, fmt.Errorf("payload is not a moneypenny item: %w", secret.ErrCorrupt)
	}
	if v := b[len(recordMagic)]; v != recordVersion {
		return nil, fmt.Errorf("item payload version %d: %w", v, secret.ErrUnsupportedFormat)
	}
	d.off = len(recordMagic) + 1
	r := &record{}
	r.created = time.Unix(0, int64(d.uint64()))
	r.modified = time.Unix(0, int64(d.uint64()))
	r.label = string(d.bytes())
	r.contentType = string(d.bytes())
	if r.contentType == "" {
		r.contentType = secret.ContentTypeText
	}
	n := d.uvarint()
	if n > uint64(len(b)-d.off)/2 { // every attribute takes at least two bytes
		d.fail()
		n = 0
	}
	// Check the attributes before sizing the map: a count is only a claim
	// until the bytes bear it out, and a map costs some 40 bytes an entry.
	first := d.off
	var prev []byte
	for i := uint64(0); i < n && d.err == nil; i++ {
		k := d.bytes()
		d.bytes()
		if i > 0 && bytes.Compare(k, prev) <= 0 {
			d.fail() // unsorted or duplicate names: not something encode wrote
		}
		prev = k
	}
	if d.err != nil {
		return nil, d.err
	}
	r.attrs = make(secret.Attributes, n)
	fill := decoder{b: b, off: first}
	for range n {
		k := string(fill.bytes())
		r.attrs[k] = string(fill.bytes())
	}
	s := d.bytes()
	if d.err == nil && d.off != len(b) {
		d.fail()
	}
	if d.err != nil {
		return nil, d.err
	}
	r.secret = append(make([]byte, 0, len(s)), s...)
	return r, nil
}

// decoder reads the fields in order and remembers the first error, so the
// caller checks once.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("item payload truncated or malformed at byte %d: %w", d.off, secret.ErrCorrupt)
	}
}

func (d *decoder) uint64() uint64 {
	if d.err != nil || len(d.b)-d.off < 8 {
		d.fail()
		return 0
	}
	v := binary.BigEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)-d.off) {
		d.fail()
		return nil
	}
	s := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}
