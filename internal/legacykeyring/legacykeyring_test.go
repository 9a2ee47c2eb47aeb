package legacykeyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/membound"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

func TestDeriveKeyVector(t *testing.T) {
	salt, _ := hex.DecodeString("92f4c0340f5f36f9")
	key, iv := deriveKey([]byte("test"), salt, 1782)
	if got := hex.EncodeToString(key); got != "1f353840f2957330a6cb01f953ba2212" {
		t.Errorf("key = %s", got)
	}
	if got := hex.EncodeToString(iv); got != "7ff565b231a57732f8d3d0a6451c3997" {
		t.Errorf("iv = %s", got)
	}
}

// want is one expected item of a fixture.
type want struct {
	label, secret string
	attrs         secret.Attributes
}

func check(t *testing.T, recs []Record, wants []want) {
	t.Helper()
	if len(recs) != len(wants) {
		t.Fatalf("got %d records, want %d: %+v", len(recs), len(wants), recs)
	}
	for _, w := range wants {
		found := false
		for _, r := range recs {
			if r.Label == w.label {
				found = true
				if string(r.Secret) != w.secret {
					t.Errorf("%q: wrong secret (%d bytes, want %d)", w.label, len(r.Secret), len(w.secret))
				}
				if !r.Attributes.Equal(w.attrs) {
					t.Errorf("%q: attributes %v, want %v", w.label, r.Attributes, w.attrs)
				}
				if r.Created.IsZero() || r.Modified.Before(r.Created) {
					t.Errorf("%q: times created %v modified %v", w.label, r.Created, r.Modified)
				}
			}
		}
		if !found {
			t.Errorf("no record labelled %q", w.label)
		}
	}
}

// readShared reads a file the project does not own (../shared/fixtures):
// a failure under CI=true when it is absent, a skip elsewhere.
func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	return testpeer.ReadFixture(t, rel)
}

func TestOO7Fixture(t *testing.T) {
	data := readShared(t, "oo7/client/legacy.keyring")
	if !IsLegacy(data) {
		t.Fatal("IsLegacy = false")
	}
	name, recs, err := Parse(data, []byte("test"))
	if err != nil {
		t.Fatal(err)
	}
	if name != "test" {
		t.Errorf("name = %q", name)
	}
	check(t, recs, []want{{"foo", "foo", secret.Attributes{"xdg:schema": "org.gnome.keyring.Note"}}})
	if got := recs[0].Created.Unix(); got != 1710891458 {
		t.Errorf("ctime = %d", got)
	}
	if got := recs[0].Modified.Unix(); got != 1710893224 {
		t.Errorf("mtime = %d", got)
	}
}

func TestSharedGeneratedFixture(t *testing.T) {
	data := readShared(t, "generated/gnome-keyring-v0-login.keyring")
	_, recs, err := Parse(data, []byte("fixture-pw-1"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, recs, []want{
		{"GitHub token for alice", "ghp_EXAMPLEexample0123456789", secret.Attributes{
			"xdg:schema": "org.freedesktop.Secret.Generic", "service": "github.com", "username": "alice"}},
		{"Postgres (prod) — bob", "p@ss w0rd!", secret.Attributes{
			"service": "db.example.org", "user": "bob", "port": "5432", "protocol": "postgresql"}},
		{"Multi-line note", "first line\nsecond line\n\ttabbed third line\nunicode: ünïcødé ✓\n", secret.Attributes{
			"application": "harness-fixture", "kind": "multiline"}},
	})
}

// TestOwnFixture reads the file gnome-keyring-daemon wrote for
// testdata/legacykeyring/generate.sh (see the README there).
func TestOwnFixture(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "legacykeyring", "login.keyring"))
	if err != nil {
		t.Fatal(err)
	}
	name, recs, err := Parse(data, []byte("moneypenny-v0"))
	if err != nil {
		t.Fatal(err)
	}
	if name != "Login" {
		t.Errorf("name = %q", name)
	}
	check(t, recs, ownFixtureItems())
	if _, _, err := Parse(data, []byte("moneypenny-v1")); !errors.Is(err, secret.ErrWrongPassword) {
		t.Errorf("wrong password: err = %v", err)
	}
}

// ownFixtureItems is what generate.sh stores. gnome-keyring reports
// xdg:schema=org.freedesktop.Secret.Generic over D-Bus for items stored
// without a schema, but its file keeps only the attributes it was given.
func ownFixtureItems() []want {
	return []want{
		{"GitHub token for alice", "ghp_v0EXAMPLE0123456789", secret.Attributes{
			"service": "github.com", "username": "alice"}},
		{"Postgres (prod) — bob", "p@ss w0rd! ünïcødé", secret.Attributes{
			"service": "db.example.org", "user": "bob", "port": "5432"}},
		{"Multi-line note", "line one\nline two\n\ttabbed\n", secret.Attributes{
			"xdg:schema": "org.gnome.keyring.Note", "application": "moneypenny-fixture", "kind": "multiline"}},
	}
}

func TestWrongPassword(t *testing.T) {
	data := build(t, []byte("right"), 1500, []Record{{Label: "a", Secret: []byte("s"), Attributes: secret.Attributes{"k": "v"}}}, nil)
	for _, pw := range []string{"wrong", "", "righ", "right "} {
		_, _, err := Parse(data, []byte(pw))
		if !errors.Is(err, secret.ErrWrongPassword) {
			t.Errorf("password %q: err = %v, want ErrWrongPassword", pw, err)
		}
	}
}

func TestUint32AttributeAndNulls(t *testing.T) {
	recs := []Record{{Label: "", Secret: nil, Created: time.Unix(1, 0), Modified: time.Unix(2, 0)}}
	data := build(t, []byte("pw"), 1000, recs, map[string]uint32{"port": 5432, "max": 4294967295})
	_, got, err := Parse(data, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	want := secret.Attributes{"port": "5432", "max": "4294967295"}
	if len(got) != 1 || !got[0].Attributes.Equal(want) || len(got[0].Secret) != 0 || got[0].Label != "" {
		t.Fatalf("got %+v", got)
	}
}

func TestEmptyKeyring(t *testing.T) {
	data := build(t, []byte("pw"), 1000, nil, nil)
	name, recs, err := Parse(data, []byte("pw"))
	if err != nil || name != "built" || len(recs) != 0 {
		t.Fatalf("name %q recs %d err %v", name, len(recs), err)
	}
}

func TestNotLegacy(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("GnomeKeyring\n\r\x00\n"), []byte("GnomeKeyring\n\r\x00\n\x01\x00"),
		[]byte("GnomeKeyring\n\r\x00\n\x00\x01"), []byte("GnomeKeyring\n\r\x00\n\x00\x00")[1:]} {
		if IsLegacy(data) {
			t.Errorf("IsLegacy(%q) = true", data)
		}
		if _, _, err := Parse(data, nil); !errors.Is(err, secret.ErrCorrupt) {
			t.Errorf("Parse(%q): err = %v", data, err)
		}
	}
}

func TestUnknownAlgorithm(t *testing.T) {
	data := build(t, []byte("pw"), 1000, nil, nil)
	data[18] = 1
	if _, _, err := Parse(data, []byte("pw")); !errors.Is(err, secret.ErrUnsupportedFormat) {
		t.Errorf("err = %v", err)
	}
}

func TestHugeIterationsRefused(t *testing.T) {
	data := build(t, []byte("pw"), maxIterations+1, nil, nil)
	if _, _, err := Parse(data, []byte("pw")); !errors.Is(err, secret.ErrCorrupt) {
		t.Errorf("err = %v", err)
	}
}

// TestTruncated cuts a built file and the own fixture at every offset: every prefix is an
// error, none panics, and none is mistaken for a valid file.
func TestTruncated(t *testing.T) {
	data := build(t, []byte("pw"), 1, []Record{
		{Label: "one", Secret: []byte("s1"), Attributes: secret.Attributes{"a": "1", "b": "2"}},
		{Label: "two", Secret: []byte("s2"), Attributes: secret.Attributes{"a": "3"}},
	}, map[string]uint32{"n": 7})
	if _, _, err := Parse(data, []byte("pw")); err != nil {
		t.Fatal(err)
	}
	own, err := os.ReadFile(filepath.Join("..", "..", "testdata", "legacykeyring", "login.keyring"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		data []byte
		pw   string
	}{{data, "pw"}, {own, "moneypenny-v0"}} {
		for i := 0; i < len(tc.data); i++ {
			if _, _, err := Parse(tc.data[:i], []byte(tc.pw)); err == nil {
				t.Fatalf("prefix of %d bytes parsed", i)
			}
		}
	}
}

// TestCorruptPlaintext encrypts well-checksummed but malformed item data:
// the checksum passes, so the item parser itself must refuse it.
func TestCorruptPlaintext(t *testing.T) {
	good := itemBytes(Record{Label: "x", Secret: []byte("y"), Attributes: secret.Attributes{"k": "v"}}, nil)
	cases := map[string][]byte{
		"huge string":     append([]byte{0x7f, 0, 0, 0}, good[4:]...),
		"trailing junk":   append(bytes.Clone(good), 1),
		"attr type 9":     bytes.Replace(bytes.Clone(good), []byte("k\x00\x00\x00\x00"), []byte("k\x00\x00\x00\x09"), 1),
		"bad utf8 label":  append([]byte{0, 0, 0, 1, 0xff}, good[5:]...),
		"nul in attr":     bytes.Replace(bytes.Clone(good), []byte("\x00\x00\x00\x01v"), []byte("\x00\x00\x00\x01\x00"), 1),
		"missing item":    nil,
		"huge attr count": bytes.Replace(bytes.Clone(good), []byte("\x00\x00\x00\x01\x00\x00\x00\x01k"), []byte("\xff\xff\xff\xff\x00\x00\x00\x01k"), 1),
	}
	for name, items := range cases {
		data := assemble([]byte("pw"), 1000, 1, items)
		_, _, err := Parse(data, []byte("pw"))
		if !errors.Is(err, secret.ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzParse mutates whole files: the clear header, and the encrypted
// block, which almost never survives the checksum (FuzzParseItems reaches
// what lies behind it).
func FuzzParse(f *testing.F) {
	f.Add(build(f, []byte("pw"), 1, []Record{{Label: "l", Secret: []byte("s"), Attributes: secret.Attributes{"a": "b"}}},
		map[string]uint32{"n": 1}), []byte("pw"))
	if data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "legacykeyring", "login.keyring")); err == nil {
		f.Add(data, []byte("moneypenny-v0"))
	}
	for _, data := range hostileV0(f) {
		f.Add(data, []byte("pw"))
	}
	f.Fuzz(func(t *testing.T, data, password []byte) {
		var recs []Record
		var err error
		membound.CheckQuick(t, len(data), maxAllocFactor, func() { _, recs, err = Parse(data, password) })
		checkOutcome(t, recs, err)
	})
}

// FuzzParseItems fuzzes the decrypted items: the input is encrypted into a
// valid v0 envelope with a correct checksum under a header claiming count
// items, so every input reaches the item parser.
func FuzzParseItems(f *testing.F) {
	rec := Record{Label: "l", Secret: []byte("s"), Attributes: secret.Attributes{"a": "b"},
		Created: time.Unix(100, 0), Modified: time.Unix(200, 0)}
	f.Add(itemBytes(rec, map[string]uint32{"n": 7}), uint8(1))
	f.Add(append(itemBytes(rec, nil), itemBytes(Record{Label: "m"}, nil)...), uint8(2))
	f.Add(minimalItem(nil), uint8(1))
	f.Add([]byte{}, uint8(0))
	pw := []byte("pw")
	f.Fuzz(func(t *testing.T, items []byte, count uint8) {
		n := int(count % 32)
		data := assemble(pw, 1, n, items)
		var recs []Record
		var err error
		membound.CheckQuick(t, len(data), maxAllocFactor, func() { _, recs, err = Parse(data, pw) })
		checkOutcome(t, recs, err)
		if errors.Is(err, secret.ErrWrongPassword) {
			t.Fatalf("a correctly encrypted block failed its checksum: %v", err)
		}
		if err != nil {
			return
		}
		if len(recs) != n {
			t.Fatalf("%d records for a header of %d items", len(recs), n)
		}
		// What parses re-encodes to a file that parses the same.
		_, again, err := Parse(build(t, pw, 1, recs, nil), pw)
		if err != nil {
			t.Fatalf("re-encoded records do not parse: %v", err)
		}
		for i := range recs {
			a, b := recs[i], again[i]
			if a.Label != b.Label || !bytes.Equal(a.Secret, b.Secret) || !a.Attributes.Equal(b.Attributes) ||
				!a.Created.Equal(b.Created) || !a.Modified.Equal(b.Modified) {
				t.Fatalf("record %d changed in a round trip: %+v became %+v", i, a, b)
			}
		}
	})
}

// checkOutcome is what every Parse result must satisfy: records only
// without an error, and errors of the documented classes.
func checkOutcome(t *testing.T, recs []Record, err error) {
	t.Helper()
	if err != nil && recs != nil {
		t.Fatal("records returned with an error")
	}
	if err != nil && !errors.Is(err, secret.ErrCorrupt) && !errors.Is(err, secret.ErrWrongPassword) &&
		!errors.Is(err, secret.ErrUnsupportedFormat) {
		t.Fatalf("unexpected error class: %v", err)
	}
}

// ---- a test-only writer of the v0 format, following gkm-secret-binary.c ----

func putU32(b *bytes.Buffer, v uint32) { _ = binary.Write(b, binary.BigEndian, v) }

func putStr(b *bytes.Buffer, s []byte) {
	if s == nil {
		putU32(b, 0xffffffff)
		return
	}
	putU32(b, uint32(len(s)))
	b.Write(s)
}

func putTime(b *bytes.Buffer, t time.Time) {
	u := uint64(t.Unix())
	putU32(b, uint32(u>>32))
	putU32(b, uint32(u))
}

// itemBytes is the encrypted-part form of one item; ints are extra
// attributes of the uint32 type.
func itemBytes(r Record, ints map[string]uint32) []byte {
	var b bytes.Buffer
	putStr(&b, []byte(r.Label))
	putStr(&b, r.Secret)
	putTime(&b, r.Created)
	putTime(&b, r.Modified)
	putStr(&b, nil)
	for range 4 {
		putU32(&b, 0)
	}
	putU32(&b, uint32(len(r.Attributes)+len(ints)))
	for _, k := range r.Attributes.Names() {
		putStr(&b, []byte(k))
		putU32(&b, 0)
		putStr(&b, []byte(r.Attributes[k]))
	}
	for k, v := range ints {
		putStr(&b, []byte(k))
		putU32(&b, 1)
		putU32(&b, v)
	}
	putU32(&b, 1) // one ACL entry, as gnome-keyring writes for its own items
	putU32(&b, 7)
	putStr(&b, []byte("app"))
	putStr(&b, []byte("/usr/bin/app"))
	putStr(&b, nil)
	putU32(&b, 0)
	return b.Bytes()
}

func build(t testing.TB, password []byte, iterations uint32, recs []Record, ints map[string]uint32) []byte {
	t.Helper()
	var items []byte
	for _, r := range recs {
		items = append(items, itemBytes(r, ints)...)
	}
	return assemble(password, iterations, len(recs), items)
}

// assemble writes the header (with hashed attributes left empty: Parse
// skips them) and encrypts items behind their MD5.
func assemble(password []byte, iterations uint32, n int, items []byte) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	b.Write([]byte{0, 0, 0, 0})
	putStr(&b, []byte("built"))
	putTime(&b, time.Unix(100, 0))
	putTime(&b, time.Unix(200, 0))
	putU32(&b, 0)
	putU32(&b, 0)
	putU32(&b, iterations)
	salt := []byte("saltsalt")
	b.Write(salt)
	for range 4 {
		putU32(&b, 0)
	}
	putU32(&b, uint32(n))
	for i := range n {
		putU32(&b, uint32(i+1))
		putU32(&b, 0)
		putU32(&b, 1)
		putStr(&b, []byte("k"))
		putU32(&b, 1)
		putU32(&b, 0x12345678)
	}
	plain := make([]byte, md5.Size, md5.Size+len(items)+aes.BlockSize)
	plain = append(plain, items...)
	for len(plain)%aes.BlockSize != 0 {
		plain = append(plain, 0)
	}
	sum := md5.Sum(plain[md5.Size:])
	copy(plain, sum[:])
	key, iv := deriveKey(password, salt, iterations)
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(plain, plain)
	putU32(&b, uint32(len(plain)))
	b.Write(plain)
	return b.Bytes()
}

// BenchmarkParse measures opening the committed fixture: mostly the
// key derivation, whose iteration count gnome-keyring chose at random.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "legacykeyring", "login.keyring"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Parse(data, []byte("moneypenny-v0")); err != nil {
			b.Fatal(err)
		}
	}
}
