package dbuswire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// secretStruct is the Secret Service's Secret, (oayays).
type secretStruct struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

func itemPath(i int) string {
	return fmt.Sprintf("/org/freedesktop/secrets/collection/login/%d", i)
}

// appendSecret writes a (oayays).
func appendSecret(e *Encoder, s secretStruct) {
	e.BeginStruct()
	e.ObjectPath(string(s.Session))
	e.Bytes(s.Parameters)
	e.Bytes(s.Value)
	e.String(s.ContentType)
}

func testSecrets(n int) map[dbus.ObjectPath]secretStruct {
	m := make(map[dbus.ObjectPath]secretStruct, n)
	for i := range n {
		// Odd lengths everywhere, so that every alignment is exercised.
		m[dbus.ObjectPath(itemPath(i))] = secretStruct{
			Session:     "/org/freedesktop/secrets/session/s1",
			Parameters:  bytes.Repeat([]byte{byte(i)}, i%17),
			Value:       bytes.Repeat([]byte{0xA5, byte(i)}, i%5),
			ContentType: strings.Repeat("t", i%3),
		}
	}
	return m
}

// encodeGetSecretsReply writes a{o(oayays)} in the order of paths.
func encodeGetSecretsReply(buf []byte, paths []string, m map[dbus.ObjectPath]secretStruct) ([]byte, error) {
	e := NewMethodReturn(buf, 7, 42, ":1.17", "a{o(oayays)}")
	mark := e.BeginArray(8)
	for _, p := range paths {
		e.BeginStruct()
		e.ObjectPath(p)
		appendSecret(e, m[dbus.ObjectPath(p)])
	}
	e.EndArray(mark)
	return e.Finish()
}

func decodeGodbus(t *testing.T, frame []byte) *dbus.Message {
	t.Helper()
	msg, err := dbus.DecodeMessage(bytes.NewReader(frame))
	if err != nil {
		t.Fatalf("godbus cannot decode our message: %v\n% x", err, frame)
	}
	return msg
}

func checkReplyHeader(t *testing.T, msg *dbus.Message, typ dbus.Type, replySerial uint32, dest, sig string) {
	t.Helper()
	if msg.Type != typ {
		t.Errorf("type %v, want %v", msg.Type, typ)
	}
	if msg.Serial() != 7 {
		t.Errorf("serial %d, want 7", msg.Serial())
	}
	if v := msg.Headers[dbus.FieldReplySerial].Value(); v != replySerial {
		t.Errorf("reply serial %v, want %d", v, replySerial)
	}
	if dest == "" {
		if _, ok := msg.Headers[dbus.FieldDestination]; ok {
			t.Errorf("a destination header although none was given")
		}
	} else if v := msg.Headers[dbus.FieldDestination].Value(); v != dest {
		t.Errorf("destination %v, want %q", v, dest)
	}
	if sig == "" {
		if _, ok := msg.Headers[dbus.FieldSignature]; ok {
			t.Errorf("a signature header although none was given")
		}
	} else if v, _ := msg.Headers[dbus.FieldSignature].Value().(dbus.Signature); v.String() != sig {
		t.Errorf("signature %v, want %q", v, sig)
	}
}

// TestEncoderGodbusDecodes checks messages our Encoder builds against
// godbus's decoder, for every body shape the provider answers with.
func TestEncoderGodbusDecodes(t *testing.T) {
	t.Run("a{o(oayays)}", func(t *testing.T) {
		for _, n := range []int{0, 1, 2, 3, 100} {
			want := testSecrets(n)
			var paths []string
			for i := range n {
				paths = append(paths, itemPath(i))
			}
			frame, err := encodeGetSecretsReply(nil, paths, want)
			if err != nil {
				t.Fatal(err)
			}
			msg := decodeGodbus(t, frame)
			checkReplyHeader(t, msg, dbus.TypeMethodReply, 42, ":1.17", "a{o(oayays)}")
			got := map[dbus.ObjectPath]secretStruct{}
			if err := dbus.Store(msg.Body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("%d items, want %d", len(got), n)
			}
			for p, w := range want {
				g := got[p]
				// godbus gives nil for an empty ay.
				if g.Session != w.Session || !bytes.Equal(g.Parameters, w.Parameters) ||
					!bytes.Equal(g.Value, w.Value) || g.ContentType != w.ContentType {
					t.Errorf("%s: got %+v, want %+v", p, g, w)
				}
			}
		}
	})
	t.Run("(oayays)", func(t *testing.T) {
		for _, s := range []secretStruct{
			{Session: "/", ContentType: ""},
			{Session: "/s/a", Parameters: []byte{1}, Value: []byte("xyz"), ContentType: "text/plain"},
			{Session: "/org/x", Parameters: make([]byte, 16), Value: make([]byte, 33), ContentType: "é"},
		} {
			e := NewMethodReturn(make([]byte, 3, 10), 7, 9, "", "(oayays)")
			appendSecret(e, s)
			frame, err := e.Finish()
			if err != nil {
				t.Fatal(err)
			}
			msg := decodeGodbus(t, frame)
			checkReplyHeader(t, msg, dbus.TypeMethodReply, 9, "", "(oayays)")
			var got secretStruct
			if err := dbus.Store(msg.Body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Session != s.Session || !bytes.Equal(got.Parameters, s.Parameters) ||
				!bytes.Equal(got.Value, s.Value) || got.ContentType != s.ContentType {
				t.Errorf("got %+v, want %+v", got, s)
			}
		}
	})
	t.Run("aoao", func(t *testing.T) {
		for _, tc := range [][2][]string{
			{nil, nil},
			{{"/a"}, nil},
			{nil, {"/a/b", "/c"}},
			{{"/org/freedesktop/secrets/collection/login/1", "/x"}, {"/"}},
		} {
			e := NewMethodReturn(nil, 7, 1, ":1.2", "aoao")
			for _, list := range tc {
				mark := e.BeginArray(4)
				for _, p := range list {
					e.ObjectPath(p)
				}
				e.EndArray(mark)
			}
			frame, err := e.Finish()
			if err != nil {
				t.Fatal(err)
			}
			msg := decodeGodbus(t, frame)
			checkReplyHeader(t, msg, dbus.TypeMethodReply, 1, ":1.2", "aoao")
			var unlocked, locked []dbus.ObjectPath
			if err := dbus.Store(msg.Body, &unlocked, &locked); err != nil {
				t.Fatal(err)
			}
			for i, got := range [][]dbus.ObjectPath{unlocked, locked} {
				if len(got) != len(tc[i]) {
					t.Fatalf("list %d: %v, want %v", i, got, tc[i])
				}
				for j := range got {
					if string(got[j]) != tc[i][j] {
						t.Errorf("list %d: %v, want %v", i, got, tc[i])
					}
				}
			}
		}
	})
	t.Run("o", func(t *testing.T) {
		e := NewMethodReturn(nil, 7, 3, "org.example.App", "o")
		e.ObjectPath("/org/freedesktop/secrets/prompt/p0")
		frame, err := e.Finish()
		if err != nil {
			t.Fatal(err)
		}
		msg := decodeGodbus(t, frame)
		checkReplyHeader(t, msg, dbus.TypeMethodReply, 3, "org.example.App", "o")
		if !reflect.DeepEqual(msg.Body, []any{dbus.ObjectPath("/org/freedesktop/secrets/prompt/p0")}) {
			t.Errorf("body %#v", msg.Body)
		}
	})
	t.Run("empty body", func(t *testing.T) {
		frame, err := NewMethodReturn(nil, 7, 5, "", "").Finish()
		if err != nil {
			t.Fatal(err)
		}
		msg := decodeGodbus(t, frame)
		checkReplyHeader(t, msg, dbus.TypeMethodReply, 5, "", "")
		if len(msg.Body) != 0 {
			t.Errorf("body %#v", msg.Body)
		}
	})
	t.Run("error", func(t *testing.T) {
		for _, text := range []string{"", "No such item", "odd length message."} {
			frame, err := AppendError(nil, 7, 11, ":1.99", "org.freedesktop.Secret.Error.NoSuchObject", text)
			if err != nil {
				t.Fatal(err)
			}
			msg := decodeGodbus(t, frame)
			checkReplyHeader(t, msg, dbus.TypeError, 11, ":1.99", "s")
			if v := msg.Headers[dbus.FieldErrorName].Value(); v != "org.freedesktop.Secret.Error.NoSuchObject" {
				t.Errorf("error name %v", v)
			}
			if !reflect.DeepEqual(msg.Body, []any{text}) {
				t.Errorf("body %#v, want %q", msg.Body, text)
			}
		}
	})
}

// godbusFrame encodes msg with godbus in order, with the given serial
// (godbus sets serials only when it sends).
func godbusFrame(t testing.TB, msg *dbus.Message, order binary.ByteOrder, serial uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := msg.EncodeTo(&b, order); err != nil {
		t.Fatal(err)
	}
	frame := b.Bytes()
	order.PutUint32(frame[8:], serial)
	return frame
}

func methodCall(member, sig string, body ...any) *dbus.Message {
	h := map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:        dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/secrets")),
		dbus.FieldInterface:   dbus.MakeVariant("org.freedesktop.Secret.Service"),
		dbus.FieldMember:      dbus.MakeVariant(member),
		dbus.FieldDestination: dbus.MakeVariant("org.freedesktop.secrets"),
		dbus.FieldSender:      dbus.MakeVariant(":1.5"),
	}
	if sig != "" {
		h[dbus.FieldSignature] = dbus.MakeVariant(dbus.ParseSignatureMust(sig))
	}
	return &dbus.Message{Type: dbus.TypeMethodCall, Flags: dbus.FlagNoAutoStart, Headers: h, Body: body}
}

// readGodbus runs a godbus-encoded frame through ReadFrame and ParseHeader
// and checks the header fields methodCall sets.
func readGodbus(t *testing.T, frame []byte, order binary.ByteOrder, member, sig string) (Header, []byte) {
	t.Helper()
	// Two messages back to back, then a clean EOF.
	stream := bytes.NewReader(append(append([]byte(nil), frame...), frame...))
	var buf []byte
	for i := range 2 {
		got, err := ReadFrame(stream, buf)
		if err != nil {
			t.Fatalf("ReadFrame %d: %v", i, err)
		}
		if !bytes.Equal(got, frame) {
			t.Fatalf("ReadFrame %d returned %d bytes, not the %d of the message", i, len(got), len(frame))
		}
		buf = got
	}
	if _, err := ReadFrame(stream, buf); err.Error() != "EOF" {
		t.Fatalf("ReadFrame at the end: %v, want io.EOF", err)
	}
	h, err := ParseHeader(frame)
	if err != nil {
		t.Fatalf("ParseHeader: %v", err)
	}
	want := Header{
		Order: order, Type: TypeMethodCall, Flags: 0x2, Serial: 0x01020304,
		Path: "/org/freedesktop/secrets", Interface: "org.freedesktop.Secret.Service",
		Member: member, Destination: "org.freedesktop.secrets", Sender: ":1.5",
		Signature: sig, BodyOffset: h.BodyOffset,
	}
	if h != want {
		t.Errorf("header\n%+v, want\n%+v", h, want)
	}
	if h.BodyOffset%8 != 0 || h.BodyOffset < 16 {
		t.Errorf("body offset %d", h.BodyOffset)
	}
	return h, frame
}

// TestDecoderReadsGodbus reads method calls godbus encodes, in both byte
// orders, for every body shape the provider intercepts.
func TestDecoderReadsGodbus(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			t.Run("aoo", func(t *testing.T) {
				for _, n := range []int{0, 1, 100} {
					var paths []dbus.ObjectPath
					var want []string
					for i := range n {
						p := itemPath(i) + strings.Repeat("x", i%4)
						paths = append(paths, dbus.ObjectPath(p))
						want = append(want, p)
					}
					frame := godbusFrame(t, methodCall("GetSecrets", "aoo", paths, dbus.ObjectPath("/org/freedesktop/secrets/session/s7")), order, 0x01020304)
					h, frame := readGodbus(t, frame, order, "GetSecrets", "aoo")
					d := NewDecoder(h, frame)
					got, err := d.ObjectPaths()
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("paths %v, want %v", got, want)
					}
					if s, err := d.ObjectPath(); err != nil || s != "/org/freedesktop/secrets/session/s7" {
						t.Errorf("session %q, %v", s, err)
					}
					if err := d.Done(); err != nil {
						t.Error(err)
					}
				}
			})
			t.Run("o", func(t *testing.T) {
				frame := godbusFrame(t, methodCall("GetSecret", "o", dbus.ObjectPath("/s")), order, 0x01020304)
				h, frame := readGodbus(t, frame, order, "GetSecret", "o")
				d := NewDecoder(h, frame)
				if s, err := d.ObjectPath(); err != nil || s != "/s" {
					t.Errorf("path %q, %v", s, err)
				}
				if err := d.Done(); err != nil {
					t.Error(err)
				}
			})
			t.Run("a{ss}", func(t *testing.T) {
				for _, want := range []map[string]string{
					{},
					{"": ""},
					{"service": "mail", "user": "bond", "xdg:schema": "org.example.Password", "é": "ümlaut"},
				} {
					frame := godbusFrame(t, methodCall("SearchItems", "a{ss}", want), order, 0x01020304)
					h, frame := readGodbus(t, frame, order, "SearchItems", "a{ss}")
					d := NewDecoder(h, frame)
					got, err := d.StringMap()
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("map %v, want %v", got, want)
					}
					if err := d.Done(); err != nil {
						t.Error(err)
					}
				}
			})
			t.Run("s", func(t *testing.T) {
				for _, want := range []string{"", "a", "plain", "with spaces and ü"} {
					frame := godbusFrame(t, methodCall("Lock", "s", want), order, 0x01020304)
					h, frame := readGodbus(t, frame, order, "Lock", "s")
					d := NewDecoder(h, frame)
					if s, err := d.String(); err != nil || s != want {
						t.Errorf("string %q, %v; want %q", s, err, want)
					}
					if err := d.Done(); err != nil {
						t.Error(err)
					}
				}
			})
			t.Run("ayugu", func(t *testing.T) {
				// Alignment after odd lengths: a u after a 3-byte ay, a g, a u.
				frame := godbusFrame(t, methodCall("M", "ayugu", []byte{1, 2, 3}, uint32(7), dbus.ParseSignatureMust("a{sv}"), uint32(8)), order, 0x01020304)
				h, frame := readGodbus(t, frame, order, "M", "ayugu")
				d := NewDecoder(h, frame)
				b, _ := d.Bytes()
				u1, _ := d.Uint32()
				g, _ := d.Signature()
				u2, err := d.Uint32()
				if err != nil || !bytes.Equal(b, []byte{1, 2, 3}) || u1 != 7 || g != "a{sv}" || u2 != 8 {
					t.Errorf("got %v %d %q %d, %v", b, u1, g, u2, err)
				}
				if err := d.Done(); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestRoundTrip reads with the Decoder what the Encoder wrote.
func TestRoundTrip(t *testing.T) {
	e := NewMethodReturn(nil, 7, 1, "", "ayuaoa{ss}sg")
	e.Bytes([]byte{9})
	e.Uint32(0xdeadbeef)
	mark := e.BeginArray(4)
	e.ObjectPath("/a")
	e.ObjectPath("/b/c")
	e.EndArray(mark)
	mark = e.BeginArray(8)
	for _, kv := range [][2]string{{"k", "v"}, {"", "x"}} {
		e.BeginStruct()
		e.String(kv[0])
		e.String(kv[1])
	}
	e.EndArray(mark)
	e.String("end")
	e.Signature("a{o(oayays)}")
	frame, err := e.Finish()
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(frame)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != TypeMethodReturn || h.ReplySerial != 1 || h.Serial != 7 || h.Signature != "ayuaoa{ss}sg" {
		t.Errorf("header %+v", h)
	}
	d := NewDecoder(h, frame)
	b, _ := d.Bytes()
	u, _ := d.Uint32()
	paths, _ := d.ObjectPaths()
	m, _ := d.StringMap()
	s, _ := d.String()
	g, _ := d.Signature()
	if err := d.Done(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, []byte{9}) || u != 0xdeadbeef || !reflect.DeepEqual(paths, []string{"/a", "/b/c"}) ||
		!reflect.DeepEqual(m, map[string]string{"k": "v", "": "x"}) || s != "end" || g != "a{o(oayays)}" {
		t.Errorf("got %v %x %v %v %q %q", b, u, paths, m, s, g)
	}
	if cap(b) != len(b) {
		t.Errorf("Bytes has capacity %d beyond its length %d: appending would overwrite the frame", cap(b), len(b))
	}
}
