package windows

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/internal/membound"
)

// maxAllocFactor bounds what decoding a credential may allocate per byte
// of its blobs: any program of the user can write a credential.
//
// The metadata is JSON: nothing in it is a count, so memory follows the
// entries actually present, but encoding/json grows the attribute map by
// doubling and an entry can be as short as 7 bytes ("0":"",), which costs
// about 16 bytes of allocation per byte at worst: more than the 16 of the
// binary decoders, hence 24.
const maxAllocFactor = 24

// denseRecord is a head and parts whose JSON header has as many attributes
// per byte as JSON allows: distinct short names with empty values.
func denseRecord(n int) (headInfo, [][]byte, int) {
	var b strings.Builder
	b.WriteString(`{"label":"x","attributes":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strconv.Itoa(i) + `":""`)
	}
	b.WriteString(`},"size":1}` + "\ns")
	payload := []byte(b.String())
	hi := headInfo{gen: "00000000", payload: payload[:min(len(payload), MaxBlobSize)]}
	var parts [][]byte
	size := len(hi.payload)
	for rest := payload[len(hi.payload):]; len(rest) > 0; {
		k := min(len(rest), MaxBlobSize)
		parts = append(parts, bytes.Clone(rest[:k]))
		size += k
		rest = rest[k:]
	}
	hi.parts = len(parts) + 1
	return hi, parts, size
}

func TestDecodeMemoryBound(t *testing.T) {
	for _, n := range []int{100, 5000, 200000} {
		hi, parts, size := denseRecord(n)
		var err error
		got := membound.Check(t, size, maxAllocFactor, func() { _, err = decode(hi, parts) })
		t.Logf("%d bytes: allocated %d (%.1f×)", size, got, float64(got)/float64(size))
		if err != nil {
			t.Fatal(err)
		}
	}
}
