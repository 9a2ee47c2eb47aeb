package darwin

import (
	"strconv"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/membound"
)

// maxAllocFactor bounds what decoding an item's metadata may allocate per
// byte of it: the generic attribute holds JSON that any program with
// access to the keychain item can write.
//
// The metadata is JSON: nothing in it is a count, so memory follows the
// entries actually present, but encoding/json grows the attribute map by
// doubling and an entry can be as short as 7 bytes ("0":"",), which costs
// about 16 bytes of allocation per byte at worst: more than the 16 of the
// binary decoders, hence 24.
const maxAllocFactor = 24

// denseGeneric is metadata with as many attributes per byte as JSON
// allows: distinct short names with empty values.
func denseGeneric(n int) []byte {
	var b strings.Builder
	b.WriteString(genericMagic + `{"attributes":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strconv.Itoa(i) + `":""`)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

func TestDecodeGenericMemoryBound(t *testing.T) {
	for _, n := range []int{100, 5000, 150000} {
		b := denseGeneric(n)
		var err error
		got := membound.Check(t, len(b), maxAllocFactor, func() { _, _, err = decodeGeneric(b) })
		t.Logf("%d bytes: allocated %d (%.1f×)", len(b), got, float64(got)/float64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
	}
	// go-keyring's encodings of foreign data decode to at most the input.
	for _, b := range [][]byte{[]byte(goKeyringBase64 + strings.Repeat("QUFB", 10000)), []byte(goKeyringHex + strings.Repeat("41", 10000))} {
		membound.Check(t, len(b), 2, func() { decodeForeign(b) })
	}
}
