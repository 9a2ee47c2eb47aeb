package pkcs7

import (
	"bytes"
	"errors"
	"testing"
)

func TestPadAlwaysAdds(t *testing.T) {
	for n := 0; n <= 48; n++ {
		in := bytes.Repeat([]byte{'x'}, n)
		p := Pad(in)
		if len(p)%BlockSize != 0 || len(p) <= n || len(p)-n > BlockSize {
			t.Fatalf("len %d: padded to %d", n, len(p))
		}
		got, err := Unpad(p)
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("len %d: round trip %q %v", n, got, err)
		}
	}
	if got := Pad(make([]byte, 16)); len(got) != 32 || got[31] != 16 {
		t.Fatalf("a full block must gain a whole block of 0x10: %x", got)
	}
}

func TestUnpadRejects(t *testing.T) {
	bad := [][]byte{
		nil,
		make([]byte, 15),
		append(bytes.Repeat([]byte{1}, 15), 0),
		append(bytes.Repeat([]byte{1}, 15), 17),
		append(bytes.Repeat([]byte{1}, 14), 3, 2),
	}
	for _, b := range bad {
		if _, err := Unpad(b); !errors.Is(err, ErrPadding) {
			t.Fatalf("%x: got %v", b, err)
		}
	}
}
