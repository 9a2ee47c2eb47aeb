package dbuswire

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/godbus/dbus/v5"
)

// seedFrames are godbus- and Encoder-built messages for the fuzz corpora.
func seedFrames(t testing.TB) [][]byte {
	var frames [][]byte
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		frames = append(frames,
			godbusFrame(t, methodCall("GetSecrets", "aoo", []dbus.ObjectPath{"/a", "/b/c"}, dbus.ObjectPath("/s")), order, 1),
			godbusFrame(t, methodCall("GetSecret", "o", dbus.ObjectPath("/s")), order, 2),
			godbusFrame(t, methodCall("SearchItems", "a{ss}", map[string]string{"k": "v"}), order, 3),
			godbusFrame(t, methodCall("Lock", "s", "x"), order, 4),
			godbusFrame(t, methodCall("Ping", ""), order, 5),
		)
		sig := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:      dbus.MakeVariant(dbus.ObjectPath("/o")),
			dbus.FieldInterface: dbus.MakeVariant("org.example.I"),
			dbus.FieldMember:    dbus.MakeVariant("Changed"),
			dbus.FieldSignature: dbus.MakeVariant(dbus.ParseSignatureMust("a{sv}")),
			dbus.FieldSender:    dbus.MakeVariant(":1.1"),
		}, Body: []any{map[string]dbus.Variant{"Label": dbus.MakeVariant("x"), "N": dbus.MakeVariant(uint64(3))}}}
		frames = append(frames, godbusFrame(t, sig, order, 6))
	}
	reply, _ := encodeGetSecretsReply(nil, []string{itemPath(1), itemPath(2)}, testSecrets(3))
	e := NewMethodReturn(nil, 7, 1, ":1.1", "aoao")
	m := e.BeginArray(4)
	e.ObjectPath("/a")
	e.EndArray(m)
	e.EndArray(e.BeginArray(4))
	aoao, _ := e.Finish()
	errMsg, _ := AppendError(nil, 8, 2, ":1.2", "org.freedesktop.DBus.Error.Failed", "no")
	frames = append(frames, reply, aoao, errMsg)
	// An unknown header field, for the generic skipper.
	frames = append(frames, rawMessage(TypeMethodCall, func(e *Encoder) {
		callFields("u")(e)
		e.BeginStruct()
		e.buf = append(e.buf, 77, 6, '(', 'b', 'a', 'y', 'v', ')', 0)
		e.BeginStruct()
		e.Uint32(1)
		e.Bytes([]byte{1, 2, 3})
		e.Signature("as")
		m := e.BeginArray(4)
		e.String("x")
		e.EndArray(m)
	}, []byte{5, 0, 0, 0}))
	return frames
}

// FuzzParseHeader checks that ParseHeader and ReadFrame never panic, and
// that a message ParseHeader accepts (of a known type, with a body that is
// valid for its signature) godbus accepts too, with the same header.
func FuzzParseHeader(f *testing.F) {
	for _, frame := range seedFrames(f) {
		f.Add(frame)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		if got, err := ReadFrame(bytes.NewReader(frame), nil); err == nil {
			if n, _ := FrameLen(frame); n != len(got) || !bytes.Equal(got, frame[:n]) {
				t.Fatalf("ReadFrame returned %d bytes, FrameLen says %d", len(got), n)
			}
		} else if len(frame) >= fixedHeaderLen {
			if n, ferr := FrameLen(frame); ferr == nil && n <= len(frame) {
				t.Fatalf("ReadFrame failed on a whole frame: %v", err)
			}
		}
		h, err := ParseHeader(frame)
		if err != nil {
			return
		}
		if h.BodyOffset > len(frame) || h.BodyOffset%8 != 0 || h.Serial == 0 {
			t.Fatalf("accepted header %+v for %d bytes", h, len(frame))
		}
		// godbus refuses, against the specification, unknown header
		// fields and flags, which must be ignored; the rest must agree.
		if h.Type > TypeSignal || h.Flags&^0x7 != 0 || hasUnknownField(h, frame) || !validBody(h, frame) {
			return
		}
		msg, err := dbus.DecodeMessage(bytes.NewReader(frame))
		if err != nil {
			t.Fatalf("we accept what godbus refuses: %v\nheader %+v", err, h)
		}
		if msg.Type != dbus.Type(h.Type) || msg.Flags != dbus.Flags(h.Flags) || msg.Serial() != h.Serial {
			t.Fatalf("godbus reads %v, we read %+v", msg, h)
		}
		for code, want := range map[dbus.HeaderField]any{
			dbus.FieldPath: dbus.ObjectPath(h.Path), dbus.FieldInterface: h.Interface,
			dbus.FieldMember: h.Member, dbus.FieldErrorName: h.ErrorName,
			dbus.FieldDestination: h.Destination, dbus.FieldSender: h.Sender,
			dbus.FieldSignature:   dbus.ParseSignatureMust(h.Signature),
			dbus.FieldReplySerial: h.ReplySerial, dbus.FieldUnixFDs: h.UnixFDs,
		} {
			v, ok := msg.Headers[code]
			if !ok {
				if !reflect.ValueOf(want).IsZero() {
					t.Fatalf("field %d: godbus has none, we have %v", code, want)
				}
				continue
			}
			if !reflect.DeepEqual(v.Value(), want) {
				t.Fatalf("field %d: godbus %#v, we %#v", code, v.Value(), want)
			}
		}
	})
}

// hasUnknownField reports whether the header of an accepted frame has a
// field of a code the specification does not define.
func hasUnknownField(h Header, frame []byte) bool {
	r := reader{b: frame, pos: fixedHeaderLen, end: fixedHeaderLen + int(h.Order.Uint32(frame[12:])), order: h.Order}
	for r.pos < r.end {
		_ = r.align(8)
		code, _ := r.byte()
		sig, _ := r.signature()
		if int(code) >= len(fieldSignatures) {
			return true
		}
		if _, err := r.skip(sig, 0, 1); err != nil {
			return true
		}
	}
	return false
}

// validBody validates a body against its signature with the generic
// skipper.
func validBody(h Header, frame []byte) bool {
	r := reader{b: frame, pos: h.BodyOffset, end: len(frame), order: h.Order}
	for i := 0; i < len(h.Signature); {
		next, err := r.skip(h.Signature, i, 0)
		if err != nil {
			return false
		}
		i = next
	}
	return r.pos == len(frame)
}

// bodyShapes are the bodies FuzzDecodeBody reads, each with a typed reader
// that also re-encodes what it read.
var bodyShapes = []struct {
	sig  string
	read func(d *Decoder, e *Encoder) []any
}{
	{"aoo", func(d *Decoder, e *Encoder) []any {
		paths, _ := d.ObjectPaths()
		p, _ := d.ObjectPath()
		m := e.BeginArray(4)
		for _, q := range paths {
			e.ObjectPath(q)
		}
		e.EndArray(m)
		e.ObjectPath(p)
		dp := make([]dbus.ObjectPath, len(paths))
		for i := range paths {
			dp[i] = dbus.ObjectPath(paths[i])
		}
		return []any{dp, dbus.ObjectPath(p)}
	}},
	{"a{ss}", func(d *Decoder, e *Encoder) []any {
		m, _ := d.StringMap()
		// A map has no order: re-encode in the order of the input.
		return []any{m}
	}},
	{"s", func(d *Decoder, e *Encoder) []any {
		s, _ := d.String()
		e.String(s)
		return []any{s}
	}},
	{"ayug", func(d *Decoder, e *Encoder) []any {
		b, _ := d.Bytes()
		u, _ := d.Uint32()
		g, _ := d.Signature()
		e.Bytes(b)
		e.Uint32(u)
		e.Signature(g)
		return []any{b, u, dbus.ParseSignatureMust(g)}
	}},
}

// FuzzDecodeBody feeds arbitrary bodies to the typed Decoder under a valid
// header. It must never panic; a body it accepts must be valid for its
// signature, godbus must read the same values, and, D-Bus encodings being
// unique, the Encoder must reproduce the exact bytes.
func FuzzDecodeBody(f *testing.F) {
	for _, frame := range seedFrames(f) {
		h, err := ParseHeader(frame)
		if err != nil {
			f.Fatal(err)
		}
		for i, s := range bodyShapes {
			if s.sig == h.Signature {
				f.Add(uint8(i), h.Order == binary.BigEndian, frame[h.BodyOffset:])
			}
		}
	}
	f.Add(uint8(3), false, []byte{3, 0, 0, 0, 1, 2, 3, 0, 7, 0, 0, 0, 1, 'v', 0})
	f.Fuzz(func(t *testing.T, shape uint8, big bool, body []byte) {
		s := bodyShapes[int(shape)%len(bodyShapes)]
		e := &Encoder{}
		mark := e.start(TypeMethodCall, 1)
		callFields(s.sig)(e)
		e.endFields(mark, "")
		frame := append(e.buf, body...)
		binary.LittleEndian.PutUint32(frame[offBodyLen:], uint32(len(body)))
		if big {
			// The header fields here are all strings, signatures and
			// bytes; only the lengths need swapping.
			frame = toBigEndian(t, frame)
		}
		h, err := ParseHeader(frame)
		if err != nil {
			if len(body) > MaxMessageSize/2 {
				return
			}
			t.Fatalf("the fixed header: %v", err)
		}
		d := NewDecoder(h, frame)
		out := NewMethodReturn(nil, 1, 1, "", s.sig)
		values := s.read(d, out)
		if d.Done() != nil {
			return
		}
		if !validBody(h, frame) {
			t.Fatalf("the Decoder accepted a body the skipper refuses: % x", body)
		}
		msg, err := dbus.DecodeMessage(bytes.NewReader(frame))
		if err != nil {
			t.Fatalf("we accept a body godbus refuses: %v: % x", err, body)
		}
		if len(msg.Body) != len(values) {
			t.Fatalf("godbus read %d values, we %d", len(msg.Body), len(values))
		}
		for i := range values {
			if !equalValue(msg.Body[i], values[i]) {
				t.Fatalf("value %d: godbus %#v, we %#v", i, msg.Body[i], values[i])
			}
		}
		if s.sig == "a{ss}" || big {
			return
		}
		re, err := out.Finish()
		if err != nil {
			t.Fatalf("re-encoding what we read: %v", err)
		}
		rh, _ := ParseHeader(re)
		if !bytes.Equal(re[rh.BodyOffset:], body) {
			t.Fatalf("re-encoded\n% x, read\n% x", re[rh.BodyOffset:], body)
		}
	})
}

func equalValue(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && bytes.Equal(ab, bb)
	}
	if am, ok := a.(map[string]string); ok {
		bm, ok := b.(map[string]string)
		return ok && len(am) == len(bm) && (len(am) == 0 || reflect.DeepEqual(am, bm))
	}
	if ap, ok := a.([]dbus.ObjectPath); ok {
		bp, ok := b.([]dbus.ObjectPath)
		return ok && len(ap) == len(bp) && (len(ap) == 0 || reflect.DeepEqual(ap, bp))
	}
	return reflect.DeepEqual(a, b)
}

// toBigEndian rewrites a little-endian message built by callFields, whose
// header fields hold only strings and signatures, in big-endian order.
func toBigEndian(t *testing.T, frame []byte) []byte {
	b := append([]byte(nil), frame...)
	b[0] = 'B'
	for _, off := range []int{4, 8, 12} {
		binary.BigEndian.PutUint32(b[off:], binary.LittleEndian.Uint32(frame[off:]))
	}
	r := reader{b: b, pos: fixedHeaderLen, end: fixedHeaderLen + int(binary.BigEndian.Uint32(b[12:])), order: binary.BigEndian}
	for r.pos < r.end {
		_ = r.align(8)
		code, _ := r.byte()
		sig, _ := r.signature()
		if sig == "s" || sig == "o" {
			_ = r.align(4)
			n := binary.LittleEndian.Uint32(b[r.pos:])
			binary.BigEndian.PutUint32(b[r.pos:], n)
		}
		if _, err := r.skip(sig, 0, 1); err != nil {
			t.Fatalf("field %d: %v", code, err)
		}
	}
	return b
}
