package hostmigrate

import (
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// candidate is one source item, read and ready to be decided on.
type candidate struct {
	entry             Entry
	value             *secret.Value
	created, modified time.Time
}

// held is one item already in the destination file, as far as deciding
// needs it.
type held struct {
	attrs secret.Attributes
	value *secret.Value
}

type verdict int

const (
	toMove verdict = iota // write it to the file
	toKeep                // the file already has it: write nothing
	toSkip                // leave it where it is
)

// decide sorts the candidates into what to write, what is already there and
// what to leave alone. The rule it keeps is the file-keyring invariant that
// one exact attribute set names one secret: a candidate whose attributes the
// file (or an earlier candidate) already holds is either the same secret
// (nothing to write), a replacement (only with replace, and only of a file
// item) or a conflict that is skipped so that neither secret is lost.
func decide(file []held, cands []*candidate, replace bool) []verdict {
	out := make([]verdict, len(cands))
	for i, c := range cands {
		out[i] = toMove
		attrs := c.entry.Attributes
		// An earlier candidate with the same attributes wins.
		earlier := -1
		for j := 0; j < i; j++ {
			if out[j] != toSkip && sameAttributes(cands[j].entry.Attributes, attrs) {
				earlier = j
				break
			}
		}
		if earlier >= 0 {
			if cands[earlier].value.Equal(c.value) {
				out[i] = toKeep
				c.entry.Reason = "same attributes and secret as " + cands[earlier].entry.HostPath
			} else {
				out[i] = toSkip
				c.entry.Reason = "another source item with the same attributes and a different secret (" +
					cands[earlier].entry.HostPath + ") is migrated; the file keeps one secret per attribute set"
			}
			continue
		}
		same, conflict := false, false
		for _, h := range file {
			if !sameAttributes(h.attrs, attrs) {
				continue
			}
			if h.value.Equal(c.value) {
				same = true
			} else {
				conflict = true
			}
		}
		switch {
		case same:
			out[i] = toKeep
		case conflict && !replace:
			out[i] = toSkip
			c.entry.Reason = "the file already holds an item with these attributes and a different secret (Replace overwrites it)"
		case conflict:
			c.entry.Reason = "replaced the file's item with the same attributes"
		}
	}
	return out
}

// sameAttributes is exact equality, except that an xdg:schema present on
// one side only is ignored: gnome-keyring reports
// xdg:schema=org.freedesktop.Secret.Generic for some items stored without
// one and not for others (seen with secret-tool's items), so an item copied
// by an earlier run may differ from its host original by that attribute
// alone and is still the same item.
func sameAttributes(a, b secret.Attributes) bool {
	if a.Equal(b) {
		return true
	}
	_, inA := a["xdg:schema"]
	_, inB := b["xdg:schema"]
	if inA == inB {
		return false
	}
	a, b = a.Clone(), b.Clone()
	delete(a, "xdg:schema")
	delete(b, "xdg:schema")
	return a.Equal(b)
}
