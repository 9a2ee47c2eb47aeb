package secret

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestAttributesMatches(t *testing.T) {
	item := Attributes{"service": "github.com", "username": "alice", "xdg:schema": "x"}
	for q, want := range map[string]bool{
		"{}":               true,
		"service":          true,
		"service+username": true,
		"other-value":      false,
		"missing-name":     false,
	} {
		query := map[string]Attributes{
			"{}":               {},
			"service":          {"service": "github.com"},
			"service+username": {"service": "github.com", "username": "alice"},
			"other-value":      {"service": "gitlab.com"},
			"missing-name":     {"port": "22"},
		}[q]
		if got := item.Matches(query); got != want {
			t.Errorf("Matches(%s) = %v, want %v", q, got, want)
		}
	}
	if !item.Equal(item.Clone()) || item.Equal(Attributes{"service": "github.com"}) {
		t.Error("Equal")
	}
}

func TestValueNeverPrintsTheSecret(t *testing.T) {
	v := NewString("hunter2")
	type wrapper struct{ V *Value }
	outputs := []string{
		fmt.Sprint(v), fmt.Sprintf("%v %s %q %x %#v %+v", v, v, v, v, v, v),
		fmt.Sprintf("%v %+v", wrapper{v}, wrapper{v}),
	}
	j, _ := json.Marshal(wrapper{v})
	outputs = append(outputs, string(j))
	for _, o := range outputs {
		if strings.Contains(o, "hunter2") || strings.Contains(o, "68756e74657232") {
			t.Errorf("secret printed: %s", o)
		}
	}
	if string(v.Bytes()) != "hunter2" || v.ContentType() != ContentTypeText {
		t.Fatal("Bytes or ContentType")
	}
	b := v.Bytes()
	v.Wipe()
	if v.Len() != 0 || string(b) != "\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatalf("Wipe left %q", b)
	}
}

// fakeItem and fakeStore are just enough of a Store for the helpers.
type fakeItem struct {
	Item
	gone bool
	fail error
}

func (f *fakeItem) Delete(ctx context.Context) error {
	switch {
	case f.fail != nil:
		return f.fail
	case f.gone:
		return fmt.Errorf("deleted meanwhile: %w", ErrNotFound)
	}
	f.gone = true
	return nil
}

func TestDeleteEach(t *testing.T) {
	items := []Item{&fakeItem{}, &fakeItem{gone: true}, &fakeItem{}}
	if n, err := DeleteEach(context.Background(), items); n != 2 || err != nil {
		t.Fatalf("DeleteEach = %d, %v", n, err)
	}
	boom := errors.New("boom")
	if n, err := DeleteEach(context.Background(), []Item{&fakeItem{}, &fakeItem{fail: boom}}); n != 1 || !errors.Is(err, boom) {
		t.Fatalf("DeleteEach with a failure = %d, %v", n, err)
	}
}

// TestValueRefusesToBeEncoded: encoders fail on a Value instead of writing
// the secret or a placeholder that would silently replace it.
func TestValueRefusesToBeEncoded(t *testing.T) {
	v := NewString("hunter2")
	type config struct {
		Name  string
		Token *Value
	}
	encoders := map[string]func() ([]byte, error){
		"MarshalText": v.MarshalText,
		"MarshalJSON": v.MarshalJSON,
		"json":        func() ([]byte, error) { return json.Marshal(v) },
		"json struct": func() ([]byte, error) { return json.Marshal(config{"c", v}) },
		"xml struct":  func() ([]byte, error) { return xml.Marshal(config{"c", v}) },
		"gob": func() ([]byte, error) {
			var b bytes.Buffer
			err := gob.NewEncoder(&b).Encode(config{"c", v})
			return b.Bytes(), err
		},
		"json indent ": func() ([]byte, error) { return json.MarshalIndent(map[string]*Value{"k": v}, "", " ") },
	}
	for name, enc := range encoders {
		out, err := enc()
		if err == nil || !errors.Is(err, ErrNotSupported) {
			t.Errorf("%s: err %v, want one wrapping ErrNotSupported (output %q)", name, err, out)
		}
		if bytes.Contains(out, []byte("hunter2")) || bytes.Contains(out, []byte(redacted)) {
			t.Errorf("%s wrote %q", name, out)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error has the secret: %v", name, err)
		}
	}
	// Formatting still redacts.
	if s := fmt.Sprintf("%v %s %#v", v, v, v); s != "[REDACTED] [REDACTED] [REDACTED]" {
		t.Errorf("formatting: %q", s)
	}
}

// TestAttributesValidate: what no backend can store is refused with
// ErrInvalidArgument and an error that names the attribute.
func TestAttributesValidate(t *testing.T) {
	for _, ok := range []Attributes{nil, {}, {"service": "github.com"}, {"ключ": "значение 🔑", "xdg:schema": "org.example"}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, tc := range []struct {
		attrs Attributes
		want  string
	}{
		{Attributes{"": "v"}, "empty name"},
		{Attributes{"k": "a\x00b"}, "NUL"},
		{Attributes{"k\x00": "v"}, "NUL"},
		{Attributes{"k": "caf\xe9"}, `the value of attribute "k" is not valid UTF-8`},
		{Attributes{"user": "\xff\xfe"}, `attribute "user" is not valid UTF-8`},
		{Attributes{"n\xff": "v"}, `attribute name "n\xff" is not valid UTF-8`},
		{Attributes{"k": "\xed\xa0\x80"}, "not valid UTF-8"}, // a UTF-16 surrogate, encoded
	} {
		err := tc.attrs.Validate()
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want ErrInvalidArgument with %q", tc.attrs, err, tc.want)
		}
	}
}
