package hostmigrate

import (
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

func cand(path, sec string, attrs secret.Attributes) *candidate {
	return &candidate{entry: Entry{HostPath: path, Attributes: attrs}, value: secret.NewString(sec)}
}

// TestDecide covers the one-secret-per-attribute-set rule on its own; the
// real-peer tests in migrate_test.go exercise it end to end.
func TestDecide(t *testing.T) {
	a := secret.Attributes{"service": "a"}
	b := secret.Attributes{"service": "b"}
	c := secret.Attributes{"service": "c"}
	d := secret.Attributes{"service": "d"}
	file := []held{
		{attrs: a, value: secret.NewString("same")},
		{attrs: b, value: secret.NewString("old")},
	}
	cands := []*candidate{
		cand("/1", "same", a), // already in the file
		cand("/2", "new", b),  // conflicts with the file
		cand("/3", "x", c),    // new
		cand("/4", "x", c),    // duplicate of /3 on the host
		cand("/5", "y", c),    // conflicts with /3
		cand("/6", "z", d),    // new
		cand("/7", "z", secret.Attributes{"service": "d", "extra": "1"}), // superset is another item
	}
	for _, tc := range []struct {
		replace bool
		want    []verdict
	}{
		{false, []verdict{toKeep, toSkip, toMove, toKeep, toSkip, toMove, toMove}},
		{true, []verdict{toKeep, toMove, toMove, toKeep, toSkip, toMove, toMove}},
	} {
		for _, c := range cands {
			c.entry.Reason = ""
		}
		got := decide(file, cands, tc.replace)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("replace=%v: %s: verdict %d, want %d (%s)", tc.replace, cands[i].entry.HostPath, got[i], tc.want[i], cands[i].entry.Reason)
			}
			if got[i] == toSkip && cands[i].entry.Reason == "" {
				t.Errorf("replace=%v: %s skipped without a reason", tc.replace, cands[i].entry.HostPath)
			}
		}
	}
}

// TestXDGSchemaOnOneSide: gnome-keyring reports xdg:schema for some items
// and not others; such a pair is the same item, and a replacement keeps the
// file's exact set so the file replaces instead of duplicating.
func TestXDGSchemaOnOneSide(t *testing.T) {
	plain := secret.Attributes{"app": "a", "user": "u"}
	schema := secret.Attributes{"app": "a", "user": "u", "xdg:schema": "org.freedesktop.Secret.Generic"}
	if !sameAttributes(plain, schema) || !sameAttributes(schema, plain) {
		t.Fatal("an xdg:schema on one side only makes the items differ")
	}
	other := secret.Attributes{"app": "a", "user": "u", "xdg:schema": "org.example.Other"}
	if sameAttributes(schema, other) {
		t.Fatal("different schemas on both sides are the same item")
	}
	if sameAttributes(plain, secret.Attributes{"app": "a"}) {
		t.Fatal("a subset is the same item")
	}
	file := []held{{attrs: plain}}
	if got := fileAttributes(file, schema); !got.Equal(plain) {
		t.Fatalf("replacement writes %v, want the file's %v", got, plain)
	}
	if got := fileAttributes(nil, schema); !got.Equal(schema) {
		t.Fatalf("new item writes %v", got)
	}
}
