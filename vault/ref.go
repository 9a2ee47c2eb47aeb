package vault

import (
	"strings"
)

// Scheme is the URL scheme of references.
const Scheme = "vault://"

// Ref is a reference to a secret, vault://scope/name, as it appears in
// configuration files and environment variables instead of the secret
// itself. Parse reads one and String writes it back unchanged.
type Ref struct {
	path Path
}

// Parse parses a reference "vault://scope/name". The path after the scheme
// follows ParsePath's rules; nothing else (query, fragment, user info) is
// accepted, so a reference means exactly one thing.
func Parse(s string) (Ref, error) {
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return Ref{}, pathError(s, "a reference starts with "+Scheme)
	}
	p, err := ParsePath(rest)
	if err != nil {
		return Ref{}, &RefError{Ref: s, Err: err}
	}
	return Ref{path: p}, nil
}

// Path returns the referenced path.
func (r Ref) Path() Path { return r.path }

// String returns "vault://scope/name".
func (r Ref) String() string {
	if r.path.IsZero() {
		return ""
	}
	return Scheme + r.path.String()
}

// MarshalText and UnmarshalText let a Ref travel in JSON and config files.
func (r Ref) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *Ref) UnmarshalText(b []byte) error {
	q, err := Parse(string(b))
	if err != nil {
		return err
	}
	*r = q
	return nil
}

// RefError is a malformed reference, or one that could not be resolved. It
// names the reference (never a secret) and wraps the cause, so errors.Is
// finds secret.ErrNotFound, ErrExpired or ErrInvalidArgument.
type RefError struct {
	Ref string
	Err error
}

func (e *RefError) Error() string {
	return "vault: reference " + safeQuote(e.Ref) + ": " + strings.TrimPrefix(e.Err.Error(), "vault: ")
}

func (e *RefError) Unwrap() error { return e.Err }

// IsRef reports whether s looks like a reference (starts with vault://);
// Parse says whether it is a valid one.
func IsRef(s string) bool { return strings.HasPrefix(s, Scheme) }
