package keyctl

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/moneypenny-go/keyring/internal/membound"
	"github.com/moneypenny-go/keyring/secret"
)

// maxAllocFactor bounds what decoding a payload may allocate per byte of
// it, whatever the counts in it claim.
const maxAllocFactor = 16

// craftedPayloads are payloads of the kernel's largest user key whose
// attribute count claims more than their bytes hold, or that are as dense
// as the format allows.
func craftedPayloads() map[string][]byte {
	head := func(count int) []byte {
		b := append([]byte(recordMagic), recordVersion)
		b = binary.BigEndian.AppendUint64(b, 1)
		b = binary.BigEndian.AppendUint64(b, 2)
		b = append(b, 0, 0) // label, content type
		return binary.AppendUvarint(b, uint64(count))
	}
	// A count of one attribute per two bytes left, then zeros: empty names
	// that repeat, so decoding stops at the second.
	claimed := head((maxUserPayload - 30) / 2)
	claimed = append(claimed, make([]byte, maxUserPayload-len(claimed))...)
	// A dense valid record: 5,000 short distinct names, empty values.
	r := &record{attrs: secret.Attributes{}}
	for i := range 5000 {
		r.attrs[strconv.Itoa(i)] = ""
	}
	dense, err := r.encode()
	if err != nil {
		dense = nil
	}
	return map[string][]byte{"claimed attributes": claimed, "dense": dense}
}

func TestDecodeRecordMemoryBound(t *testing.T) {
	for name, b := range craftedPayloads() {
		t.Run(name, func(t *testing.T) {
			if b == nil {
				t.Fatal("no payload")
			}
			var err error
			got := membound.Check(t, len(b), maxAllocFactor, func() { _, err = decodeRecord(b) })
			t.Logf("%d bytes: allocated %d (%.1f×), err %v", len(b), got, float64(got)/float64(len(b)), err)
			if (err == nil) != (name == "dense") {
				t.Fatalf("decodeRecord: %v", err)
			}
		})
	}
}
