package dbuswire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/godbus/dbus/v5"
)

// benchItems are a GetSecrets reply's 100 items: 45-byte object paths, a
// 16-byte IV, a 32-byte value, "text/plain".
func benchItems() ([]string, map[dbus.ObjectPath]secretStruct) {
	paths := make([]string, 100)
	m := make(map[dbus.ObjectPath]secretStruct, 100)
	for i := range paths {
		paths[i] = fmt.Sprintf("/org/freedesktop/secrets/collection/login/%03d", i)
		m[dbus.ObjectPath(paths[i])] = secretStruct{
			Session:     "/org/freedesktop/secrets/session/s1",
			Parameters:  bytes.Repeat([]byte{byte(i)}, 16),
			Value:       bytes.Repeat([]byte{0x5a}, 32),
			ContentType: "text/plain",
		}
	}
	return paths, m
}

// BenchmarkEncodeGetSecrets builds a GetSecrets reply of 100 items with the
// Encoder, reusing its buffer as the provider does.
func BenchmarkEncodeGetSecrets(b *testing.B) {
	paths, m := benchItems()
	buf := make([]byte, 0, 32<<10)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		frame, err := encodeGetSecretsReply(buf, paths, m)
		if err != nil {
			b.Fatal(err)
		}
		n = len(frame)
	}
	b.SetBytes(int64(n))
}

// BenchmarkGodbusEncodeGetSecrets builds the same message with godbus:
// EncodeTo alone, and CountFds then EncodeTo, which is what godbus's Conn
// does for every message it sends.
func BenchmarkGodbusEncodeGetSecrets(b *testing.B) {
	_, m := benchItems()
	msg := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldReplySerial: dbus.MakeVariant(uint32(42)),
		dbus.FieldDestination: dbus.MakeVariant(":1.17"),
		dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(m)),
	}, Body: []any{m}}
	var w bytes.Buffer
	for _, countFds := range []bool{false, true} {
		b.Run(fmt.Sprintf("CountFds=%v", countFds), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				if countFds {
					if _, err := msg.CountFds(); err != nil {
						b.Fatal(err)
					}
				}
				if err := msg.EncodeTo(&w, binary.LittleEndian); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(w.Len()))
		})
	}
}

// getSecretsCall is a godbus-encoded GetSecrets call for the 100 items.
func getSecretsCall(b *testing.B) []byte {
	paths, _ := benchItems()
	dp := make([]dbus.ObjectPath, len(paths))
	for i, p := range paths {
		dp[i] = dbus.ObjectPath(p)
	}
	return godbusFrame(b, methodCall("GetSecrets", "aoo", dp, dbus.ObjectPath("/org/freedesktop/secrets/session/s1")), binary.LittleEndian, 5)
}

// BenchmarkDecodeGetSecretsCall reads a GetSecrets call of 100 items from a
// stream: ReadFrame, ParseHeader and the Decoder.
func BenchmarkDecodeGetSecretsCall(b *testing.B) {
	frame := getSecretsCall(b)
	r := bytes.NewReader(frame)
	buf := make([]byte, 0, 32<<10)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(frame)
		f, err := ReadFrame(r, buf)
		if err != nil {
			b.Fatal(err)
		}
		h, err := ParseHeader(f)
		if err != nil {
			b.Fatal(err)
		}
		d := NewDecoder(h, f)
		paths, _ := d.ObjectPaths()
		_, _ = d.ObjectPath()
		if err := d.Done(); err != nil || len(paths) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkGodbusDecodeGetSecretsCall reads the same call with godbus.
func BenchmarkGodbusDecodeGetSecretsCall(b *testing.B) {
	frame := getSecretsCall(b)
	r := bytes.NewReader(frame)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(frame)
		msg, err := dbus.DecodeMessage(r)
		if err != nil {
			b.Fatal(err)
		}
		var paths []dbus.ObjectPath
		var session dbus.ObjectPath
		if err := dbus.Store(msg.Body, &paths, &session); err != nil || len(paths) != 100 {
			b.Fatal(err)
		}
	}
}
