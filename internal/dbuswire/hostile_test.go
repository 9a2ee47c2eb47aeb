package dbuswire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/godbus/dbus/v5"
)

// rawMessage builds a message whose header fields are whatever fields
// writes, valid or not, with body appended and the lengths patched.
func rawMessage(typ Type, fields func(e *Encoder), body []byte) []byte {
	e := &Encoder{}
	mark := e.start(typ, 1)
	fields(e)
	e.EndArray(mark)
	e.pad(8)
	e.bodyStart = len(e.buf)
	e.buf = append(e.buf, body...)
	binary.LittleEndian.PutUint32(e.buf[offBodyLen:], uint32(len(body)))
	return e.buf
}

// callFields writes the fields of a valid method call with signature sig.
func callFields(sig string) func(e *Encoder) {
	return func(e *Encoder) {
		e.fieldString(fieldPath, 'o', "/org/freedesktop/secrets")
		e.fieldString(fieldMember, 's', "GetSecrets")
		if sig != "" {
			e.fieldString(fieldSignature, 'g', sig)
		}
	}
}

// rawSignature writes a call whose SIGNATURE field is sig, unchecked.
func rawSignature(sig string) func(e *Encoder) {
	return func(e *Encoder) {
		callFields("")(e)
		e.field(fieldSignature, 'g')
		e.buf = append(e.buf, byte(len(sig)))
		e.buf = append(e.buf, sig...)
		e.buf = append(e.buf, 0)
	}
}

func validCall(t testing.TB) []byte {
	t.Helper()
	paths := []dbus.ObjectPath{"/a", "/org/freedesktop/secrets/collection/login/7"}
	return godbusFrame(t, methodCall("GetSecrets", "aoo", paths, dbus.ObjectPath("/s")), binary.LittleEndian, 9)
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %v", what, want)
	} else if !errors.Is(err, want) {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}

// TestParseHeaderRejects feeds ParseHeader one malformed header per case;
// each must fail with ErrMalformed, and its valid twin must pass.
func TestParseHeaderRejects(t *testing.T) {
	ok := rawMessage(TypeMethodCall, callFields(""), nil)
	if _, err := ParseHeader(ok); err != nil {
		t.Fatalf("the valid base message: %v", err)
	}
	patch := func(b []byte, off int, v byte) []byte {
		b = append([]byte(nil), b...)
		b[off] = v
		return b
	}
	// fieldAt returns the offset of needle in the header, for patching.
	fieldAt := func(b []byte, needle string) int {
		i := bytes.Index(b, []byte(needle))
		if i < 0 {
			t.Fatalf("%q not in the message", needle)
		}
		return i
	}
	field := func(code, sig byte, value func(e *Encoder)) func(e *Encoder) {
		return func(e *Encoder) {
			callFields("")(e)
			e.field(code, sig)
			value(e)
		}
	}
	unknown := func(code byte, sig string, value func(e *Encoder)) func(e *Encoder) {
		return func(e *Encoder) {
			callFields("")(e)
			e.BeginStruct()
			e.buf = append(e.buf, code)
			e.buf = append(e.buf, byte(len(sig)))
			e.buf = append(e.buf, sig...)
			e.buf = append(e.buf, 0)
			value(e)
		}
	}
	u32 := func(v uint32) func(e *Encoder) { return func(e *Encoder) { e.Uint32(v) } }
	str := func(s string) func(e *Encoder) { return func(e *Encoder) { e.appendString(s) } }
	cases := []struct {
		name  string
		frame []byte
	}{
		{"endianness byte", patch(ok, 0, 'x')},
		{"version 2", patch(ok, 3, 2)},
		{"type 0", patch(ok, 1, 0)},
		{"serial 0", patch(ok, 8, 0)},
		{"frame longer than the message", append(append([]byte(nil), ok...), 0, 0, 0, 0, 0, 0, 0, 0)},
		{"body without a signature", rawMessage(TypeMethodCall, callFields(""), make([]byte, 8))},
		{"path with signature s", rawMessage(TypeMethodCall, func(e *Encoder) {
			e.fieldString(fieldPath, 's', "/a")
			e.fieldString(fieldMember, 's', "M")
		}, nil)},
		{"reply serial with signature s", rawMessage(TypeMethodReturn, field(fieldReplySerial, 's', str("x")), nil)},
		{"reply serial 0", rawMessage(TypeMethodReturn, field(fieldReplySerial, 'u', u32(0)), nil)},
		{"member with signature o", rawMessage(TypeMethodCall, func(e *Encoder) {
			e.fieldString(fieldPath, 'o', "/a")
			e.fieldString(fieldMember, 'o', "/M")
		}, nil)},
		{"field code 0", rawMessage(TypeMethodCall, field(0, 'u', u32(1)), nil)},
		{"path twice", rawMessage(TypeMethodCall, field(fieldPath, 'o', str("/b")), nil)},
		{"missing NUL after a string", patch(ok, fieldAt(ok, "GetSecrets")+len("GetSecrets"), 'x')},
		{"missing NUL after a variant signature", patch(ok, fieldAt(ok, "\x01o")+2, 'x')},
		{"non-zero padding between fields", patch(ok, fieldAt(ok, "/org/freedesktop/secrets")+len("/org/freedesktop/secrets")+1, 1)},
		{"non-zero padding before the body", patch(ok, len(ok)-1, 1)},
		{"method call without member", rawMessage(TypeMethodCall, func(e *Encoder) { e.fieldString(fieldPath, 'o', "/a") }, nil)},
		{"method call without path", rawMessage(TypeMethodCall, func(e *Encoder) { e.fieldString(fieldMember, 's', "M") }, nil)},
		{"signal without interface", rawMessage(TypeSignal, callFields(""), nil)},
		{"error without error name", rawMessage(TypeError, func(e *Encoder) { e.fieldUint32(fieldReplySerial, 1) }, nil)},
		{"method return without reply serial", rawMessage(TypeMethodReturn, func(e *Encoder) {}, nil)},
		{"path ending in /", rawMessage(TypeMethodCall, func(e *Encoder) {
			e.field(fieldPath, 'o')
			e.appendString("/a/")
			e.fieldString(fieldMember, 's', "M")
		}, nil)},
		{"member starting with a digit", rawMessage(TypeMethodCall, func(e *Encoder) {
			e.fieldString(fieldPath, 'o', "/a")
			e.field(fieldMember, 's')
			e.appendString("1M")
		}, nil)},
		{"member that is not UTF-8", rawMessage(TypeMethodCall, func(e *Encoder) {
			e.fieldString(fieldPath, 'o', "/a")
			e.field(fieldMember, 's')
			e.appendString("M\xff")
		}, nil)},
		{"interface with one element", rawMessage(TypeMethodCall, field(fieldInterface, 's', str("Secret")), nil)},
		{"destination with an empty element", rawMessage(TypeMethodCall, field(fieldDestination, 's', str("org..x")), nil)},
		{"sender with a digit-led element", rawMessage(TypeMethodCall, field(fieldSender, 's', str("org.1x")), nil)},
		{"body signature with a lone a", rawMessage(TypeMethodCall, rawSignature("a"), make([]byte, 8))},
		{"body signature with an open struct", rawMessage(TypeMethodCall, rawSignature("(ay"), make([]byte, 8))},
		{"body signature with a dict entry outside an array", rawMessage(TypeMethodCall, rawSignature("{ss}"), make([]byte, 8))},
		{"unknown field with two types", rawMessage(TypeMethodCall, unknown(100, "uu", func(e *Encoder) { e.Uint32(1); e.Uint32(2) }), nil)},
		{"unknown field with an invalid signature", rawMessage(TypeMethodCall, unknown(100, "a", u32(0)), nil)},
		{"unknown field with a boolean 2", rawMessage(TypeMethodCall, unknown(100, "b", u32(2)), nil)},
		{"unknown field with a partial au", rawMessage(TypeMethodCall, unknown(100, "au", func(e *Encoder) { e.Uint32(3); e.buf = append(e.buf, 1, 2, 3) }), nil)},
		{"unknown field whose array overruns the header", rawMessage(TypeMethodCall, unknown(100, "as", u32(1000)), nil)},
		{"unknown field with a bad nested path", rawMessage(TypeMethodCall, unknown(100, "(uao)", func(e *Encoder) {
			e.BeginStruct()
			e.Uint32(1)
			m := e.BeginArray(4)
			e.appendString("//")
			e.EndArray(m)
		}), nil)},
		{"unknown field nesting variants 65 deep", rawMessage(TypeMethodCall, unknown(100, "v", func(e *Encoder) {
			for range 65 {
				e.Signature("v")
			}
			e.Signature("u")
			e.Uint32(1)
		}), nil)},
	}
	for _, c := range cases {
		h, err := ParseHeader(c.frame)
		wantErr(t, c.name, err, ErrMalformed)
		if h != (Header{}) {
			t.Errorf("%s: a header with the error: %+v", c.name, h)
		}
		t.Logf("%s: %v", c.name, err)
	}

	// What the specification allows must pass.
	for name, frame := range map[string][]byte{
		"unknown field a{sv}": rawMessage(TypeMethodCall, unknown(200, "a{sv}", func(e *Encoder) {
			m := e.BeginArray(8)
			e.BeginStruct()
			e.String("k")
			e.Signature("(yb)")
			e.BeginStruct()
			e.buf = append(e.buf, 7)
			e.Uint32(1)
			e.EndArray(m)
		}), nil),
		"unknown field ax, empty": rawMessage(TypeMethodCall, unknown(10, "ax", func(e *Encoder) { e.EndArray(e.BeginArray(8)) }), nil),
		"unknown field nesting variants 60 deep": rawMessage(TypeMethodCall, unknown(100, "v", func(e *Encoder) {
			for range 60 {
				e.Signature("v")
			}
			e.Signature("u")
			e.Uint32(1)
		}), nil),
		"unknown message type": rawMessage(9, func(e *Encoder) {}, nil),
		"unique bus names":     rawMessage(TypeMethodCall, field(fieldSender, 's', str(":1.10-x")), nil),
	} {
		h, err := ParseHeader(frame)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if h.Member != "" && h.Member != "GetSecrets" {
			t.Errorf("%s: member %q", name, h.Member)
		}
	}
}

// TestFrameLenLimits checks the size limits of the fixed header.
func TestFrameLenLimits(t *testing.T) {
	hdr := func(order binary.ByteOrder, body, fields uint32) []byte {
		b := []byte{'l', 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}
		if order == binary.BigEndian {
			b[0] = 'B'
		}
		order.PutUint32(b[4:], body)
		order.PutUint32(b[12:], fields)
		return b
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		if n, err := FrameLen(hdr(order, 1<<27-24, 5)); err != nil || n != 1<<27 {
			t.Errorf("%v: a message of exactly 2^27 bytes: %d, %v", order, n, err)
		}
		_, err := FrameLen(hdr(order, 1<<27-24+1, 5))
		wantErr(t, "2^27+1 bytes", err, ErrTooLarge)
		_, err = FrameLen(hdr(order, 0xffffffff, 0xffffffff))
		wantErr(t, "both lengths at their maximum", err, ErrMalformed)
		_, err = FrameLen(hdr(order, 0xffffffff, 8))
		wantErr(t, "body length 2^32-1", err, ErrTooLarge)
		_, err = FrameLen(hdr(order, 0, 1<<26+1))
		wantErr(t, "header fields over 64 MiB", err, ErrMalformed)
		if n, err := FrameLen(hdr(order, 3, 9)); err != nil || n != 16+16+3 {
			t.Errorf("%v: 9 bytes of fields pad to 16: %d, %v", order, n, err)
		}
	}
	_, err := FrameLen(make([]byte, 15))
	wantErr(t, "15 bytes", err, ErrMalformed)
}

// TestTruncatedFrames cuts valid messages at every length: ReadFrame must
// report io.ErrUnexpectedEOF (io.EOF for nothing at all), ParseHeader and
// the Decoder must fail without panicking.
func TestTruncatedFrames(t *testing.T) {
	frames := [][]byte{
		validCall(t),
		godbusFrame(t, methodCall("SearchItems", "a{ss}", map[string]string{"a": "b", "cc": ""}), binary.BigEndian, 3),
	}
	secrets := testSecrets(3)
	reply, err := encodeGetSecretsReply(nil, []string{itemPath(0), itemPath(1), itemPath(2)}, secrets)
	if err != nil {
		t.Fatal(err)
	}
	frames = append(frames, reply)
	for fi, frame := range frames {
		for n := 0; n < len(frame); n++ {
			_, err := ReadFrame(bytes.NewReader(frame[:n]), nil)
			want := io.ErrUnexpectedEOF
			if n == 0 {
				want = io.EOF
			}
			if err != want {
				t.Fatalf("frame %d cut at %d: ReadFrame: %v, want %v", fi, n, err, want)
			}
			if _, err := ParseHeader(frame[:n]); err == nil {
				t.Fatalf("frame %d cut at %d: ParseHeader accepted it", fi, n)
			}
		}
		// Cut the body but patch the body length to match: the header is
		// then valid and the Decoder must notice.
		h, err := ParseHeader(frame)
		if err != nil {
			t.Fatal(err)
		}
		for n := h.BodyOffset; n < len(frame); n++ {
			cut := append([]byte(nil), frame[:n]...)
			h.Order.PutUint32(cut[offBodyLen:], uint32(n-h.BodyOffset))
			ch, err := ParseHeader(cut)
			if err != nil {
				t.Fatalf("frame %d, body cut at %d: %v", fi, n, err)
			}
			if err := decodeAny(ch, cut); err == nil {
				t.Fatalf("frame %d, body cut at %d: decoded without an error", fi, n)
			} else if !errors.Is(err, ErrMalformed) {
				t.Fatalf("frame %d, body cut at %d: %v, want ErrMalformed", fi, n, err)
			}
		}
	}
}

// decodeAny reads a body of one of the shapes the tests use.
func decodeAny(h Header, frame []byte) error {
	d := NewDecoder(h, frame)
	switch h.Signature {
	case "aoo":
		_, _ = d.ObjectPaths()
		_, _ = d.ObjectPath()
	case "a{ss}":
		_, _ = d.StringMap()
	case "a{o(oayays)}":
		end, err := d.r.arrayStart(8)
		if err != nil {
			return err
		}
		for d.err == nil && d.r.pos < end {
			if d.err = d.r.align(8); d.err != nil {
				break
			}
			_, _ = d.ObjectPath()
			if d.err == nil {
				d.err = d.r.align(8)
			}
			_, _ = d.ObjectPath()
			_, _ = d.Bytes()
			_, _ = d.Bytes()
			_, _ = d.String()
		}
	default:
		_, _ = d.String()
	}
	return d.Done()
}

// TestDecoderRejects checks the body-level checks, one per case.
func TestDecoderRejects(t *testing.T) {
	body := func(sig string, write func(e *Encoder)) (Header, []byte) {
		e := &Encoder{}
		mark := e.start(TypeMethodCall, 1)
		callFields(sig)(e)
		e.endFields(mark, "")
		write(e)
		frame, err := e.Finish()
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseHeader(frame)
		if err != nil {
			t.Fatal(err)
		}
		return h, frame
	}
	cases := []struct {
		name  string
		sig   string
		write func(e *Encoder)
		read  func(d *Decoder) error
	}{
		{"ao longer than the body", "ao", func(e *Encoder) { e.Uint32(1000); e.appendString("/a") },
			func(d *Decoder) error { _, err := d.ObjectPaths(); return err }},
		{"ao claiming 2^26+1", "ao", func(e *Encoder) { e.Uint32(1<<26 + 1) },
			func(d *Decoder) error { _, err := d.ObjectPaths(); return err }},
		{"ao whose element overruns the array", "ao", func(e *Encoder) {
			e.Uint32(4)
			e.appendString("/abc")
		}, func(d *Decoder) error { _, err := d.ObjectPaths(); return err }},
		{"ao with an invalid path", "ao", func(e *Encoder) { m := e.BeginArray(4); e.appendString("a/b"); e.EndArray(m) },
			func(d *Decoder) error { _, err := d.ObjectPaths(); return err }},
		{"ay longer than the body", "ay", func(e *Encoder) { e.Uint32(9); e.buf = append(e.buf, 1) },
			func(d *Decoder) error { _, err := d.Bytes(); return err }},
		{"a{ss} with a repeated key", "a{ss}", func(e *Encoder) {
			m := e.BeginArray(8)
			for range 2 {
				e.BeginStruct()
				e.String("k")
				e.String("v")
			}
			e.EndArray(m)
		}, func(d *Decoder) error { _, err := d.StringMap(); return err }},
		{"a{ss} with a missing value", "a{ss}", func(e *Encoder) {
			m := e.BeginArray(8)
			e.BeginStruct()
			e.String("k")
			e.EndArray(m)
		}, func(d *Decoder) error { _, err := d.StringMap(); return err }},
		{"a{ss} with non-zero padding after its length", "a{ss}", func(e *Encoder) {
			e.Uint32(0)
			e.buf = append(e.buf, 0, 0, 1, 0)
		}, func(d *Decoder) error { _, err := d.StringMap(); return err }},
		{"non-zero padding after an odd ay", "ayu", func(e *Encoder) {
			e.Bytes([]byte{1})
			e.buf = append(e.buf, 0, 9, 0)
			e.buf = binary.LittleEndian.AppendUint32(e.buf, 5)
		}, func(d *Decoder) error { _, _ = d.Bytes(); _, err := d.Uint32(); return err }},
		{"string with a NUL inside", "s", func(e *Encoder) { e.appendString("a\x00b") },
			func(d *Decoder) error { _, err := d.String(); return err }},
		{"string that is not UTF-8", "s", func(e *Encoder) { e.appendString("\xc3\x28") },
			func(d *Decoder) error { _, err := d.String(); return err }},
		{"string without its NUL", "s", func(e *Encoder) {
			e.Uint32(3)
			e.buf = append(e.buf, 'a', 'b', 'c', 'd')
		}, func(d *Decoder) error { _, err := d.String(); return err }},
		{"string claiming 2^32-1 bytes", "s", func(e *Encoder) { e.Uint32(0xffffffff) },
			func(d *Decoder) error { _, err := d.String(); return err }},
		{"signature that is invalid", "g", func(e *Encoder) { e.buf = append(e.buf, 2, 'a', '{', 0) },
			func(d *Decoder) error { _, err := d.Signature(); return err }},
		{"bytes left over", "s", func(e *Encoder) { e.String("a"); e.Uint32(1) },
			func(d *Decoder) error { _, _ = d.String(); return d.Done() }},
		{"an error is sticky", "so", func(e *Encoder) { e.appendString("\xff"); e.ObjectPath("/a") },
			func(d *Decoder) error {
				_, first := d.String()
				if p, err := d.ObjectPath(); err == nil || p != "" || err != first || d.Err() != first || d.Done() != first {
					return nil // not sticky: the case fails
				}
				return first
			}},
	}
	for _, c := range cases {
		h, frame := body(c.sig, c.write)
		err := c.read(NewDecoder(h, frame))
		wantErr(t, c.name, err, ErrMalformed)
		t.Logf("%s: %v", c.name, err)
	}
	// A Decoder with a header from elsewhere fails instead of panicking.
	for _, h := range []Header{{}, {Order: binary.LittleEndian, BodyOffset: 1 << 20}, {Order: binary.LittleEndian, BodyOffset: 3}} {
		d := NewDecoder(h, validCall(t))
		_, err := d.ObjectPaths()
		wantErr(t, "a foreign header", err, ErrMalformed)
	}
}

// TestObjectPathsAllocation checks that the slice ObjectPaths returns is
// sized by the bytes the array holds.
func TestObjectPathsAllocation(t *testing.T) {
	e := NewMethodReturn(nil, 1, 1, "", "ao")
	m := e.BeginArray(4)
	for range 1000 {
		e.ObjectPath("/")
	}
	e.EndArray(m)
	frame, err := e.Finish()
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(frame)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := NewDecoder(h, frame).ObjectPaths()
	if err != nil || len(paths) != 1000 {
		t.Fatalf("%d paths, %v", len(paths), err)
	}
	// Each "/" takes exactly minPathSize bytes but the last: a tight bound.
	if cap(paths) > 1001 {
		t.Errorf("capacity %d for 1000 paths", cap(paths))
	}
}

// claimingReader sends a header claiming a body of claim bytes, then n
// bytes, then EOF.
type claimingReader struct {
	hdr  []byte
	sent int
	n    int
}

func (r *claimingReader) Read(p []byte) (int, error) {
	if len(r.hdr) > 0 {
		c := copy(p, r.hdr)
		r.hdr = r.hdr[c:]
		return c, nil
	}
	if r.sent >= r.n {
		return 0, io.EOF
	}
	c := min(len(p), r.n-r.sent)
	clear(p[:c])
	r.sent += c
	return c, nil
}

// TestReadFrameHugeClaim checks that a peer claiming 100 MB and sending 100
// bytes costs far less than 100 MB.
func TestReadFrameHugeClaim(t *testing.T) {
	hdr := []byte{'l', 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(hdr[4:], 100<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadFrame(&claimingReader{hdr: hdr, n: 100}, nil)
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Errorf("ReadFrame: %v, want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("allocated %d bytes for a 100-byte body claiming 100 MB", got)
	}
	// With 3 MB really sent, the buffer stays within a small factor of it.
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = ReadFrame(&claimingReader{hdr: hdr, n: 3 << 20}, nil)
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Errorf("ReadFrame: %v, want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("allocated %d bytes for a 3 MB body claiming 100 MB", got)
	}
}

// TestReadFrame checks reading from a stream: buffer reuse without
// allocations, one byte per Read, a large message, and read errors.
func TestReadFrame(t *testing.T) {
	frame := validCall(t)
	buf := make([]byte, 0, 4096)
	r := bytes.NewReader(frame)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(frame)
		got, err := ReadFrame(r, buf)
		if err != nil || !bytes.Equal(got, frame) {
			t.Fatalf("ReadFrame: %v", err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations with a buffer large enough", allocs)
	}
	got, err := ReadFrame(iotest.OneByteReader(bytes.NewReader(frame)), nil)
	if err != nil || !bytes.Equal(got, frame) {
		t.Errorf("one byte per Read: %v", err)
	}
	got, err = ReadFrame(iotest.DataErrReader(bytes.NewReader(frame)), nil)
	if err != nil || !bytes.Equal(got, frame) {
		t.Errorf("data with EOF: %v", err)
	}
	boom := errors.New("boom")
	if _, err := ReadFrame(io.MultiReader(bytes.NewReader(frame[:20]), iotest.ErrReader(boom)), nil); err != boom {
		t.Errorf("a read error mid-message: %v", err)
	}
	huge := append([]byte(nil), frame...)
	binary.LittleEndian.PutUint32(huge[offBodyLen:], 1<<27)
	if _, err := ReadFrame(bytes.NewReader(huge), nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a body of 2^27 bytes: %v", err)
	}
	bad := append([]byte(nil), frame...)
	bad[0] = 'X'
	if _, err := ReadFrame(bytes.NewReader(bad), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("a bad endianness byte: %v", err)
	}

	// A 5 MB message arrives whole, through several growth steps.
	big := make([]byte, 5<<20+3)
	for i := range big {
		big[i] = byte(i)
	}
	e := NewMethodReturn(nil, 1, 2, "", "ay")
	e.Bytes(big)
	large, err := e.Finish()
	if err != nil {
		t.Fatal(err)
	}
	got, err = ReadFrame(iotest.HalfReader(bytes.NewReader(large)), make([]byte, 100))
	if err != nil || !bytes.Equal(got, large) {
		t.Fatalf("a 5 MB message: %v", err)
	}
	h, err := ParseHeader(got)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(h, got)
	if b, err := d.Bytes(); err != nil || !bytes.Equal(b, big) || d.Done() != nil {
		t.Errorf("the 5 MB body: %v", err)
	}
}

// TestEncoderRejects checks the Encoder's sticky errors.
func TestEncoderRejects(t *testing.T) {
	cases := map[string]func() ([]byte, error){
		"string with NUL": func() ([]byte, error) {
			e := NewMethodReturn(nil, 1, 1, "", "s")
			e.String("a\x00")
			return e.Finish()
		},
		"string not UTF-8": func() ([]byte, error) {
			e := NewMethodReturn(nil, 1, 1, "", "ss")
			e.String("\xff")
			e.String("fine") // the first error stays
			return e.Finish()
		},
		"invalid object path": func() ([]byte, error) {
			e := NewMethodReturn(nil, 1, 1, "", "o")
			e.ObjectPath("/a//b")
			return e.Finish()
		},
		"invalid signature": func() ([]byte, error) { return NewMethodReturn(nil, 1, 1, "", "a{vs}").Finish() },
		"invalid body signature value": func() ([]byte, error) {
			e := NewMethodReturn(nil, 1, 1, "", "g")
			e.Signature("((")
			return e.Finish()
		},
		"invalid destination":     func() ([]byte, error) { return NewMethodReturn(nil, 1, 1, "no dots", "").Finish() },
		"serial 0":                func() ([]byte, error) { return NewMethodReturn(nil, 0, 1, "", "").Finish() },
		"reply serial 0":          func() ([]byte, error) { return NewMethodReturn(nil, 1, 0, "", "").Finish() },
		"invalid error name":      func() ([]byte, error) { return AppendError(nil, 1, 1, "", "NoDots", "x") },
		"error message not UTF-8": func() ([]byte, error) { return AppendError(nil, 1, 1, "", "a.b", "\xff") },
		"array alignment 3": func() ([]byte, error) {
			e := NewMethodReturn(nil, 1, 1, "", "ay")
			e.EndArray(e.BeginArray(3))
			return e.Finish()
		},
		"foreign array mark": func() ([]byte, error) {
			e := NewMethodReturn(nil, 1, 1, "", "ay")
			e.EndArray(1 << 40)
			e.EndArray(-1)
			return e.Finish()
		},
	}
	for name, f := range cases {
		frame, err := f()
		if err == nil || frame != nil {
			t.Errorf("%s: %d bytes, %v", name, len(frame), err)
		}
	}
	e := NewMethodReturn(nil, 1, 1, "", "ay")
	e.Bytes(make([]byte, 1<<26+1))
	if _, err := e.Finish(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an ay over 64 MiB: %v", err)
	}
	e = NewMethodReturn(nil, 1, 1, "", "aay")
	m := e.BeginArray(4)
	e.Bytes(make([]byte, 1<<26))
	e.EndArray(m)
	if _, err := e.Finish(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an aay over 64 MiB: %v", err)
	}
	// An empty array of structs has its padding after the length.
	e = NewMethodReturn(nil, 1, 1, "", "ua(ss)")
	e.Uint32(1)
	e.EndArray(e.BeginArray(8))
	frame, err := e.Finish()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ParseHeader(frame)
	if body := frame[h.BodyOffset:]; !bytes.Equal(body, []byte{1, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("body % x, want u32 1 and an empty array's length, then no padding (already 8-aligned)", body)
	}
	e = NewMethodReturn(nil, 1, 1, "", "a(ss)")
	e.EndArray(e.BeginArray(8))
	frame, _ = e.Finish()
	h, _ = ParseHeader(frame)
	if body := frame[h.BodyOffset:]; !bytes.Equal(body, []byte{0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("body % x, want the length and 4 bytes of padding", body)
	}
	if msg := decodeGodbus(t, frame); len(msg.Body) != 1 {
		t.Errorf("godbus body %#v", msg.Body)
	}
}
