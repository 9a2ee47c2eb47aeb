package vault

import (
	"fmt"
	"strings"

	"github.com/moneypenny-go/keyring/secret"
)

// Limits on paths. A segment (each scope component and the name) is 1 to
// MaxSegmentLen bytes of [A-Za-z0-9._-], and neither "." nor "..". A path
// has at most MaxDepth segments, the name included.
//
// The charset is what every engine can carry unescaped: keyring attribute
// values, Windows credential target names, environment variable names (after
// the env engine's mapping), HashiCorp Vault and AWS secret names, and URLs.
const (
	MaxSegmentLen = 128
	MaxDepth      = 16
)

// The four levels most applications need: GlobalScope, and the scopes
// OrgScope, ProjectScope and UserScope build ("org/acme"). Any other
// hierarchical scope ("plugins/github") is as valid.
const (
	GlobalScope = "global"
	orgLevel    = "org"
	projLevel   = "project"
	userLevel   = "user"
)

// Path addresses one secret: a scope of one or more segments and a name,
// written "scope/name" ("org/acme/openai_api_key": scope "org/acme", name
// "openai_api_key"). The zero Path is invalid; build one with ParsePath,
// NewPath or the level helpers, which validate it.
type Path struct {
	scope string
	name  string
}

// ParsePath parses "scope/name". The last segment is the name, everything
// before it the scope; at least one scope segment is required.
func ParsePath(s string) (Path, error) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return Path{}, pathError(s, "needs a scope and a name, as in global/"+safeQuote(s))
	}
	return NewPath(s[:i], s[i+1:])
}

// MustParsePath is ParsePath for paths known when the program is written; it
// panics on an invalid path.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

// NewPath returns the path of name in scope, validating both.
func NewPath(scope, name string) (Path, error) {
	if reason := scopeProblem(scope); reason != "" {
		return Path{}, pathError(scope+"/"+name, reason)
	}
	if err := validSegment(name); err != nil {
		return Path{}, pathError(scope+"/"+name, "name: "+err.Error())
	}
	if strings.Count(scope, "/")+2 > MaxDepth {
		return Path{}, pathError(scope+"/"+name, fmt.Sprintf("more than %d segments", MaxDepth))
	}
	return Path{scope: scope, name: name}, nil
}

// Global is the path of name in the global scope: global/NAME.
func Global(name string) (Path, error) { return NewPath(GlobalScope, name) }

// Org is the path of name in an organisation's scope: org/ORG/NAME.
func Org(org, name string) (Path, error) { return NewPath(OrgScope(org), name) }

// Project is the path of name in a project's scope: project/PROJECT/NAME.
func Project(project, name string) (Path, error) { return NewPath(ProjectScope(project), name) }

// User is the path of name in a user's scope: user/USER/NAME.
func User(user, name string) (Path, error) { return NewPath(UserScope(user), name) }

// OrgScope returns the scope "org/ORG". Like the other scope helpers it does
// not validate: the call that uses the scope does.
func OrgScope(org string) string { return orgLevel + "/" + org }

// ProjectScope returns the scope "project/PROJECT".
func ProjectScope(project string) string { return projLevel + "/" + project }

// UserScope returns the scope "user/USER".
func UserScope(user string) string { return userLevel + "/" + user }

// Scope returns the path's scope ("org/acme").
func (p Path) Scope() string { return p.scope }

// Name returns the path's last segment ("openai_api_key").
func (p Path) Name() string { return p.name }

// String returns "scope/name", the form ParsePath reads.
func (p Path) String() string {
	if p.name == "" {
		return ""
	}
	return p.scope + "/" + p.name
}

// IsZero reports whether p is the zero Path.
func (p Path) IsZero() bool { return p.name == "" }

// Ref returns the reference to p, vault://scope/name.
func (p Path) Ref() Ref { return Ref{path: p} }

// In reports whether p lies in scope or below it: org/acme/x is in "org",
// "org/acme" and "" (every path is in the empty scope), not in "org/ac".
func (p Path) In(scope string) bool {
	return scope == "" || p.scope == scope || strings.HasPrefix(p.scope, scope+"/")
}

// MarshalText and UnmarshalText let a Path travel in JSON and config files.
func (p Path) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

func (p *Path) UnmarshalText(b []byte) error {
	q, err := ParsePath(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// ValidateScope checks a scope: one or more valid segments joined by "/".
func ValidateScope(scope string) error {
	if reason := scopeProblem(scope); reason != "" {
		return pathError(scope, reason)
	}
	return nil
}

// scopeProblem says what is wrong with a scope, "" when nothing is.
func scopeProblem(scope string) string {
	if scope == "" {
		return "empty scope"
	}
	segs := strings.Split(scope, "/")
	if len(segs) >= MaxDepth {
		return fmt.Sprintf("more than %d segments", MaxDepth)
	}
	for _, s := range segs {
		if err := validSegment(s); err != nil {
			return "scope: " + err.Error()
		}
	}
	return ""
}

// validListScope accepts the empty scope (everything) besides valid ones.
func validListScope(scope string) error {
	if scope == "" {
		return nil
	}
	return ValidateScope(scope)
}

func validSegment(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty segment")
	case s == "." || s == "..":
		return fmt.Errorf("segment %q is not allowed", s)
	case len(s) > MaxSegmentLen:
		return fmt.Errorf("segment of %d bytes, over %d", len(s), MaxSegmentLen)
	}
	for i := 0; i < len(s); i++ {
		if !segmentByte(s[i]) {
			return fmt.Errorf("byte %q at %d is outside [A-Za-z0-9._-]", s[i], i)
		}
	}
	return nil
}

func segmentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// PathError reports an invalid path or scope. It wraps
// secret.ErrInvalidArgument.
type PathError struct {
	Path   string // the path or scope as given, cut to 200 bytes
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("vault: invalid path %s: %s", safeQuote(e.Path), e.Reason)
}

func (e *PathError) Unwrap() error { return secret.ErrInvalidArgument }

func pathError(p, reason string) error {
	if len(p) > 200 {
		p = p[:200] + "..."
	}
	return &PathError{Path: p, Reason: reason}
}

// safeQuote quotes s for an error message. Paths are not secret, but a
// caller who pasted a value where a path belongs should not see it echoed in
// full, so long inputs are cut.
func safeQuote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return fmt.Sprintf("%q", s)
}
