package secret

import (
	"context"
	"encoding/json"
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
