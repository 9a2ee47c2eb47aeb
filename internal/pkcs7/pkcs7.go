// Package pkcs7 pads and unpads data for AES-CBC as both libsecret formats
// require: the file keyring's items and the Secret Service's DH-encrypted
// secrets. Padding is always added (1 to 16 bytes), and unpadding validates
// every pad byte, which libsecret's own file reader does not.
package pkcs7

import "errors"

// BlockSize is AES's block size, the only one used here.
const BlockSize = 16

// ErrPadding reports malformed padding. It carries no data.
var ErrPadding = errors.New("pkcs7: invalid padding")

// Pad returns a new slice holding b followed by 1..16 bytes of padding.
func Pad(b []byte) []byte {
	n := BlockSize - len(b)%BlockSize
	out := make([]byte, len(b)+n)
	copy(out, b)
	for i := len(b); i < len(out); i++ {
		out[i] = byte(n)
	}
	return out
}

// Unpad returns b without its padding (a subslice of b). It fails unless
// len(b) is a non-zero multiple of 16 and the last n bytes all equal n with
// 1 ≤ n ≤ 16. The check does not stop at the first bad byte, so its timing does
// not reveal where the padding broke.
func Unpad(b []byte) ([]byte, error) {
	if len(b) == 0 || len(b)%BlockSize != 0 {
		return nil, ErrPadding
	}
	n := int(b[len(b)-1])
	if n < 1 || n > BlockSize {
		return nil, ErrPadding
	}
	var bad byte
	for _, c := range b[len(b)-n:] {
		bad |= c ^ byte(n)
	}
	if bad != 0 {
		return nil, ErrPadding
	}
	return b[:len(b)-n], nil
}
