package vault

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"sync"

	"github.com/moneypenny-go/keyring/secret"
)

// refPattern finds references in text: {{ vault://path }} (the braces and
// the spaces inside them go too) or a bare vault://path, which ends at the
// first byte that cannot be part of a path. The braced form is for a
// reference followed by a character a path may contain ("vault://a/b." at
// the end of a sentence would include the dot). Compiled on first use:
// otherwise every program that links the package, the CLI's daemon among
// them, would compile it at start.
var refPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\{\{\s*(vault://[^\s{}]*)\s*\}\}|vault://[A-Za-z0-9._/-]*`)
})

// Expand returns text with every reference replaced by its secret's value,
// as `moneypenny inject` writes config files. Every reference must resolve:
// a malformed, missing or expired one makes Expand fail with an error that
// names each such reference (one *RefError per reference, joined), and
// nothing is returned. The result holds secrets: the caller wipes it with
// secret.Wipe when done.
func (v *Vault) Expand(ctx context.Context, text []byte) ([]byte, error) {
	matches := refPattern().FindAllSubmatchIndex(text, -1)
	if len(matches) == 0 {
		return append([]byte(nil), text...), nil
	}
	values := map[string]*secret.Value{}
	defer func() {
		for _, val := range values {
			val.Wipe()
		}
	}()
	var errs []error
	refs := make([]string, len(matches))
	for i, m := range matches {
		ref := string(text[m[0]:m[1]])
		if m[2] >= 0 {
			ref = string(text[m[2]:m[3]])
		}
		refs[i] = ref
		if _, done := values[ref]; done {
			continue
		}
		val, err := v.Resolve(ctx, ref)
		if err != nil {
			errs = append(errs, err)
			values[ref] = nil
			continue
		}
		values[ref] = val
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	size := len(text)
	for _, ref := range refs {
		size += values[ref].Len()
	}
	out := bytes.NewBuffer(make([]byte, 0, size))
	last := 0
	for i, m := range matches {
		out.Write(text[last:m[0]])
		out.Write(values[refs[i]].Bytes())
		last = m[1]
	}
	out.Write(text[last:])
	return out.Bytes(), nil
}

// Resolve returns the value a reference ("vault://org/acme/key") points
// to. Errors are *RefError values naming the reference.
func (v *Vault) Resolve(ctx context.Context, ref string) (*secret.Value, error) {
	r, err := Parse(ref)
	if err != nil {
		var re *RefError
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, &RefError{Ref: ref, Err: err}
	}
	val, err := v.GetValue(ctx, r.Path())
	if err != nil {
		return nil, &RefError{Ref: ref, Err: err}
	}
	return val, nil
}
