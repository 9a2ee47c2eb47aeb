package keyctl

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/membound"
	"github.com/moneypenny-go/keyring/secret"
)

func sampleRecord() *record {
	return &record{
		label:       "Postgres (prod) — bob ✓",
		contentType: secret.ContentTypeBinary,
		attrs:       secret.Attributes{"service": "pg", "user": "bob", "port": "5432", "empty": ""},
		created:     time.Unix(1700000000, 123456789),
		modified:    time.Unix(1700000100, 5),
		secret:      []byte{0, 1, 2, 'x', 0xff},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := sampleRecord()
	b, err := r.encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("MPK\x01")) {
		t.Fatalf("payload starts % x", b[:4])
	}
	got, err := decodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.label != r.label || got.contentType != r.contentType || !got.attrs.Equal(r.attrs) ||
		!got.created.Equal(r.created) || !got.modified.Equal(r.modified) || !bytes.Equal(got.secret, r.secret) {
		t.Fatalf("round trip changed the record: %+v", got)
	}
	// The secret is copied out: wiping the payload leaves it.
	secret.Wipe(b)
	if !bytes.Equal(got.secret, r.secret) {
		t.Fatal("decoded secret aliases the payload")
	}
	// text/plain is stored as the empty string and comes back as text/plain.
	r.contentType = secret.ContentTypeText
	b, _ = r.encode()
	if got, _ := decodeRecord(b); got.contentType != secret.ContentTypeText {
		t.Fatalf("content type %q", got.contentType)
	}
	// Encoding is deterministic: attributes are sorted by name.
	b2, _ := r.encode()
	if !bytes.Equal(b, b2) {
		t.Fatal("two encodings differ")
	}
}

func TestRecordLimits(t *testing.T) {
	r := sampleRecord()
	r.secret = make([]byte, maxUserPayload)
	if _, err := r.encode(); !errors.Is(err, secret.ErrTooLarge) {
		t.Fatalf("oversized record: %v", err)
	}
	r.secret = nil
	r.attrs = nil
	b, err := r.encode()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeRecord(b); err != nil || len(got.secret) != 0 || len(got.attrs) != 0 {
		t.Fatalf("empty record: %+v, %v", got, err)
	}
}

func TestRecordRejectsMalformed(t *testing.T) {
	good, _ := sampleRecord().encode()
	cases := map[string][]byte{
		"empty":         nil,
		"other magic":   append([]byte("XYZ\x01"), good[4:]...),
		"truncated":     good[:len(good)-1],
		"trailing byte": append(append([]byte(nil), good...), 0),
		"huge length":   append(append([]byte(nil), good[:20]...), 0xff, 0xff, 0xff, 0xff, 0x0f),
	}
	for name, b := range cases {
		if _, err := decodeRecord(b); !errors.Is(err, secret.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	v2 := append([]byte(nil), good...)
	v2[3] = 2
	if _, err := decodeRecord(v2); !errors.Is(err, secret.ErrUnsupportedFormat) {
		t.Errorf("version 2: %v, want ErrUnsupportedFormat", err)
	}
	// Attributes out of order are not something encode writes.
	r := &record{attrs: secret.Attributes{"a": "1", "b": "2"}}
	b, _ := r.encode()
	i := bytes.Index(b, []byte("\x01a\x011\x01b\x012"))
	copy(b[i:], "\x01b\x012\x01a\x011")
	if _, err := decodeRecord(b); !errors.Is(err, secret.ErrCorrupt) {
		t.Errorf("unsorted attributes: %v", err)
	}
}

func TestParseDescribeKeepsSemicolons(t *testing.T) {
	d, err := parseDescribe("user;1000;1000;003f0000;moneypenny:a;b")
	if err != nil || d.Type != "user" || d.UID != 1000 || d.Perm != ownerOnly || d.Description != "moneypenny:a;b" {
		t.Fatalf("%+v, %v", d, err)
	}
	if _, err := parseDescribe("user;x"); err == nil {
		t.Fatal("short answer parsed")
	}
}

func FuzzDecodeRecord(f *testing.F) {
	good, _ := sampleRecord().encode()
	f.Add(good)
	f.Add([]byte("MPK\x01"))
	f.Add([]byte(strings.Repeat("\xff", 40)))
	for _, b := range craftedPayloads() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r *record
		var err error
		membound.CheckQuick(t, len(b), maxAllocFactor, func() { r, err = decodeRecord(b) })
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a payload that decodes the same.
		again, err := r.encode()
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, err := decodeRecord(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if r2.label != r.label || r2.contentType != r.contentType || !r2.attrs.Equal(r.attrs) ||
			!r2.created.Equal(r.created) || !r2.modified.Equal(r.modified) || !bytes.Equal(r2.secret, r.secret) {
			t.Fatalf("round trip changed %+v into %+v", r, r2)
		}
	})
}
