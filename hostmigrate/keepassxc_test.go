package hostmigrate

import (
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

func TestOwnAttributes(t *testing.T) {
	kpxc := func(own secret.Attributes, fields secret.Attributes) secret.Attributes {
		a := secret.Attributes{"Title": "Alice", "UserName": "", "URL": "", "Notes": "", "Path": "/Alice", "Uuid": "81a9"}
		for k, v := range fields {
			a[k] = v
		}
		for k, v := range own {
			a[k] = v
		}
		return a
	}
	for _, tc := range []struct {
		name  string
		attrs secret.Attributes
		want  secret.Attributes
	}{
		{"KeePassXC entry", kpxc(secret.Attributes{"app": "mp"}, nil), secret.Attributes{"app": "mp"}},
		{"fields the user filled in", kpxc(secret.Attributes{"app": "mp"}, secret.Attributes{"UserName": "alice", "Title": "Work", "URL": "https://example.org"}),
			secret.Attributes{"app": "mp", "UserName": "alice", "Title": "Work", "URL": "https://example.org"}},
		{"not KeePassXC's", secret.Attributes{"app": "mp", "Uuid": "u1", "Path": "/p"}, secret.Attributes{"app": "mp", "Uuid": "u1", "Path": "/p"}},
		{"no attributes", secret.Attributes{}, secret.Attributes{}},
	} {
		if got := ownAttributes(tc.attrs, "Alice"); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
