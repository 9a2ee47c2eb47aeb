package dbuswire

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The syntax rules of the specification's "Valid Names", "Valid Object
// Paths" and "Valid Signatures". Each returns nil or an error that says what
// is wrong, without wrapping a sentinel: the callers decide whether that is
// a malformed message (reading) or a caller's mistake (writing).

// maxNameLen is the longest interface, member, error or bus name.
const maxNameLen = 255

// maxQuoted bounds how much of a peer's string an error message repeats.
const maxQuoted = 64

// quote quotes s for an error message, shortened if long.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}

func checkString(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("string is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("string contains NUL")
	}
	return nil
}

// pathElemChar marks the bytes an object path element may hold:
// [A-Za-z0-9_]. A table, because the Encoder checks every path it writes
// and a lookup beat both comparisons and bit sets in a benchmark.
var pathElemChar = func() (t [256]bool) {
	for c := range t {
		t[c] = isAlnum(byte(c)) || c == '_'
	}
	return t
}()

func checkObjectPath(p string) error {
	if p == "/" {
		return nil
	}
	if p == "" || p[0] != '/' {
		return fmt.Errorf("object path %s does not start with /", quote(p))
	}
	if p[len(p)-1] == '/' {
		return fmt.Errorf("object path %s ends with /", quote(p))
	}
	prev := byte('/')
	for i := 1; i < len(p); i++ {
		c := p[i]
		if c == '/' {
			if prev == '/' {
				return fmt.Errorf("object path %s has an empty element", quote(p))
			}
		} else if !pathElemChar[c] {
			return fmt.Errorf("object path %s has the character %q", quote(p), c)
		}
		prev = c
	}
	return nil
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// checkMember checks a member (method or signal) name.
func checkMember(s string) error {
	if s == "" || len(s) > maxNameLen {
		return fmt.Errorf("member name of %d bytes", len(s))
	}
	if isDigit(s[0]) {
		return fmt.Errorf("member name %q starts with a digit", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return fmt.Errorf("member name %q has the character %q", s, c)
		}
	}
	return nil
}

// checkDotted checks interface and error names (what is "name" in errors),
// and, with bus set, well-known and unique bus names.
func checkDotted(what, s string, bus bool) error {
	if s == "" || len(s) > maxNameLen {
		return fmt.Errorf("%s of %d bytes", what, len(s))
	}
	unique := bus && s[0] == ':'
	rest := s
	if unique {
		rest = s[1:]
	}
	elems, elem := 0, 0
	for i := 0; i <= len(rest); i++ {
		if i == len(rest) || rest[i] == '.' {
			if elem == 0 {
				return fmt.Errorf("%s %q has an empty element", what, s)
			}
			elems++
			elem = 0
			continue
		}
		c := rest[i]
		ok := isAlpha(c) || c == '_' || isDigit(c) && (elem > 0 || unique) || bus && c == '-'
		if !ok {
			return fmt.Errorf("%s %q has the character %q", what, s, c)
		}
		elem++
	}
	if elems < 2 {
		return fmt.Errorf("%s %q has fewer than two elements", what, s)
	}
	return nil
}

func checkInterface(s string) error { return checkDotted("interface name", s, false) }
func checkErrorName(s string) error { return checkDotted("error name", s, false) }
func checkBusName(s string) error   { return checkDotted("bus name", s, true) }

// Signature limits of the specification.
const (
	maxSignatureLen = 255
	maxArrayDepth   = 32
	maxStructDepth  = 32
	// maxDepth bounds containers in a value, variants included.
	maxDepth = 64
)

// checkSignature checks a signature: a sequence of zero or more complete
// types.
func checkSignature(s string) error {
	if len(s) > maxSignatureLen {
		return fmt.Errorf("signature of %d bytes", len(s))
	}
	for i := 0; i < len(s); {
		next, err := completeType(s, i, 0, 0)
		if err != nil {
			return err
		}
		i = next
	}
	return nil
}

// checkSingleType checks the signature of a variant: exactly one complete
// type.
func checkSingleType(s string) error {
	if err := checkSignature(s); err != nil {
		return err
	}
	if s == "" {
		return fmt.Errorf("empty variant signature")
	}
	if next, _ := completeType(s, 0, 0, 0); next != len(s) {
		return fmt.Errorf("variant signature %q has more than one type", s)
	}
	return nil
}

func isBasic(c byte) bool {
	switch c {
	case 'y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g':
		return true
	}
	return false
}

// completeType parses the complete type at s[i:] and returns the index after
// it.
func completeType(s string, i, arrays, structs int) (int, error) {
	if i >= len(s) {
		return 0, fmt.Errorf("signature %q ends inside a type", s)
	}
	c := s[i]
	switch {
	case isBasic(c) || c == 'v':
		return i + 1, nil
	case c == 'a':
		if arrays+1 > maxArrayDepth {
			return 0, fmt.Errorf("signature %q nests arrays too deep", s)
		}
		if i+1 < len(s) && s[i+1] == '{' {
			if structs+1 > maxStructDepth {
				return 0, fmt.Errorf("signature %q nests structs too deep", s)
			}
			j := i + 2
			if j >= len(s) || !isBasic(s[j]) {
				return 0, fmt.Errorf("signature %q has a dict entry whose key is not a basic type", s)
			}
			j, err := completeType(s, j+1, arrays+1, structs+1)
			if err != nil {
				return 0, err
			}
			if j >= len(s) || s[j] != '}' {
				return 0, fmt.Errorf("signature %q has a dict entry without exactly two types", s)
			}
			return j + 1, nil
		}
		return completeType(s, i+1, arrays+1, structs)
	case c == '(':
		if structs+1 > maxStructDepth {
			return 0, fmt.Errorf("signature %q nests structs too deep", s)
		}
		j := i + 1
		if j < len(s) && s[j] == ')' {
			return 0, fmt.Errorf("signature %q has an empty struct", s)
		}
		for j < len(s) && s[j] != ')' {
			var err error
			if j, err = completeType(s, j, arrays, structs+1); err != nil {
				return 0, err
			}
		}
		if j >= len(s) {
			return 0, fmt.Errorf("signature %q has an unclosed struct", s)
		}
		return j + 1, nil
	}
	return 0, fmt.Errorf("signature %q has the type code %q", s, c)
}
