package legacykeyring

import (
	"bytes"
	"testing"

	"github.com/moneypenny-go/keyring/internal/membound"
)

// maxAllocFactor bounds what Parse may allocate per byte of file, whatever
// the counts in it claim: the decoders' common bound. This reader stays
// within about 7 (an attribute takes at least 12 bytes and costs a map entry
// of some 45 with the map's slack, its name and value strings).
const maxAllocFactor = 16

// minimalItem is the shortest item the format has: empty label, NULL
// secret, no attributes, no ACL; attrs, if given, replaces the attribute
// count and list.
func minimalItem(attrs []byte) []byte {
	var b bytes.Buffer
	putStr(&b, []byte{})
	putStr(&b, nil)
	b.Write(make([]byte, 16)) // times
	putStr(&b, nil)
	b.Write(make([]byte, 16)) // reserved
	if attrs == nil {
		putU32(&b, 0)
	} else {
		b.Write(attrs)
	}
	putU32(&b, 0) // ACL
	return b.Bytes()
}

// hostileV0 are v0 files of a few dozen KB, correctly encrypted under
// "pw", whose counts claim more than their bytes hold, or that are as dense
// as the format allows.
func hostileV0(t testing.TB) map[string][]byte {
	pw := []byte("pw")
	// Items claiming an attribute for every 8 (12) bytes left, then zeros.
	claimed := func(per int) []byte {
		var claim bytes.Buffer
		putU32(&claim, uint32(160000/per))
		return append(minimalItem(claim.Bytes()), make([]byte, 160000)...)
	}
	// 800 empty items.
	empty := bytes.Repeat(minimalItem(nil), 800)
	// One item with 3,000 uint32 attributes of distinct two-byte names.
	var ints bytes.Buffer
	putU32(&ints, 3000)
	for i := range 3000 {
		putStr(&ints, []byte{byte('A' + i/60), byte('A' + i%60)})
		putU32(&ints, 1)
		putU32(&ints, uint32(i)<<20)
	}
	return map[string][]byte{
		"claimed attributes":     assemble(pw, 1, 1, claimed(8)),
		"claimed attributes, 12": assemble(pw, 1, 1, claimed(12)),
		"empty items":            assemble(pw, 1, 800, empty),
		"uint attributes":        assemble(pw, 1, 1, minimalItem(ints.Bytes())),
		"claimed items":          assemble(pw, 1, 1500, nil),
	}
}

func TestParseMemoryBound(t *testing.T) {
	for name, data := range hostileV0(t) {
		t.Run(name, func(t *testing.T) {
			var err error
			got := membound.Check(t, len(data), maxAllocFactor, func() { _, _, err = Parse(data, []byte("pw")) })
			t.Logf("%d bytes: allocated %d (%.1f×), err %v", len(data), got, float64(got)/float64(len(data)), err)
			if (err == nil) != (name == "empty items" || name == "uint attributes") {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

// An attribute takes at least 12 bytes, so a count claiming one per 8
// bytes left is refused before it sizes the attribute map (it used to cost
// 9.2 times the file in map before the parse failed).
func TestAttributeCountNeedsTwelveBytes(t *testing.T) {
	data := hostileV0(t)["claimed attributes"]
	var err error
	membound.Check(t, len(data), 2, func() { _, _, err = Parse(data, []byte("pw")) })
	if err == nil {
		t.Fatal("a count larger than the bytes left parsed")
	}
}
