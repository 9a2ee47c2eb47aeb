package windows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/moneypenny-go/keyring/secret"
)

// DefaultTargetPrefix starts the target name of every credential this package
// writes.
const DefaultTargetPrefix = "moneypenny:"

// Credential Manager limits, from wincred.h.
const (
	// MaxBlobSize is CRED_MAX_CREDENTIAL_BLOB_SIZE: the most bytes one
	// credential's blob may hold.
	MaxBlobSize = 5 * 512
	// maxCommentLen is CRED_MAX_STRING_LENGTH, in UTF-16 units.
	maxCommentLen = 256
	// maxUserNameLen is CRED_MAX_USERNAME_LENGTH, in UTF-16 units.
	maxUserNameLen = 513
)

// maxHeadLen bounds a head's target name, in UTF-16 units. Real Windows
// allows CRED_MAX_GENERIC_TARGET_NAME_LENGTH (32767), but Wine keeps each
// credential as a registry key (255 characters at most, about 245 left for
// the target), and a part's name adds up to 22 characters to its head's. The
// Wine run must prove what Windows users get, so the names stay short
// everywhere.
const maxHeadLen = 200

// maxPrefixLen bounds a caller's target prefix.
const maxPrefixLen = 64

// digestLen is the number of hex digits of SHA-256 that stand in for the
// tail of an over-long attribute list.
const digestLen = 32

// Separators that never occur literally inside an escaped attribute list, so
// a head, a duplicate and a part can be told apart by their names alone.
const (
	dupSep    = '!' // "<target>!<random>": a second item with the same attributes
	partSep   = '#' // "<target>#<generation>.<i>": a part of a large secret
	digestSep = '$' // "<start of the list>$<digest>": an over-long attribute list
)

// literal reports whether escape keeps b as it is. Only lower-case letters are
// kept, so an escaped name never changes under Credential Manager's
// case-insensitive comparison; '*' (the CredEnumerateW wildcard), '%', '=',
// '&' and the separators above are always escaped.
func literal(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("-._~@:/", b) >= 0
}

// escape percent-escapes s byte by byte with upper-case hex digits.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if literal(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// canonical is the escaped, name-sorted form of attrs: "n1=v1&n2=v2".
func canonical(attrs secret.Attributes) string {
	var b strings.Builder
	for i, name := range attrs.Names() {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escape(name))
		b.WriteByte('=')
		b.WriteString(escape(attrs[name]))
	}
	return b.String()
}

// TargetName returns the target name under which an item with attrs is
// stored, given the target prefix (DefaultTargetPrefix unless
// WithTargetPrefix was used). It is stable: other programs may compute it to
// find an item with CredReadW.
//
// When prefix and list together exceed 200 characters, the list is cut (never
// inside an escape) so that '$' and 32 hex digits of the SHA-256 of the whole
// escaped list still fit: still readable at the start, still one name per
// attribute set.
func TargetName(prefix string, attrs secret.Attributes) string {
	c := canonical(attrs)
	if len(prefix)+len(c) <= maxHeadLen { // both are ASCII: bytes are UTF-16 units
		return prefix + c
	}
	sum := sha256.Sum256([]byte(c))
	cut := maxHeadLen - len(prefix) - 1 - digestLen
	if i := strings.LastIndexByte(c[:cut], '%'); i >= 0 && i > cut-3 {
		cut = i // do not split "%XX"
	}
	return prefix + c[:cut] + string(digestSep) + hex.EncodeToString(sum[:])[:digestLen]
}

// partName names part i (1-based) of a head's payload written in generation gen.
func partName(head, gen string, i int) string {
	return fmt.Sprintf("%s%c%s.%d", head, partSep, gen, i)
}

// partsPrefix is the CredEnumerateW filter, without the '*', that covers every
// part of head whatever its generation.
func partsPrefix(head string) string { return head + string(partSep) }

// isPart reports whether a target under prefix names a part, not a head.
func isPart(prefix, target string) bool {
	if len(target) < len(prefix) {
		return false
	}
	return strings.IndexByte(target[len(prefix):], partSep) >= 0
}

// displayString cuts s to at most max UTF-16 units on a character boundary and
// replaces NUL bytes, which a C string cannot carry. It is for the Comment and
// UserName fields, which only the Credential Manager window shows.
func displayString(s string, max int) string {
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	n := 0
	for i, r := range s {
		n += utf16.RuneLen(r)
		if n > max {
			return s[:i]
		}
	}
	return s
}

// validPrefix checks a caller's target prefix: it must not contain the
// characters that give names their structure or the enumeration wildcard.
func validPrefix(p string) error {
	if p == "" || len(p) > maxPrefixLen || strings.ContainsAny(p, "*!#$%\x00") || strings.ToLower(p) != p || !isASCII(p) {
		return fmt.Errorf("windows: target prefix %q must be 1 to %d lower-case ASCII characters without * ! # $ %%: %w", p, maxPrefixLen, secret.ErrInvalidArgument)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
