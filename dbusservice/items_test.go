package dbusservice

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

func TestCreateSearchReplaceDelete(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
		s := k.connect()
		ctx := testCtx(t)
		c := defaultCollection(t, ctx, s)
		attrs := secret.Attributes{"service": "crud.example", "username": "alice"}
		it, err := c.Create(ctx, "first", attrs, secret.NewString("one"), true)
		if err != nil {
			t.Fatal(err)
		}
		if parent := string(it.Path()[:len(c.Path())]); parent != string(c.Path()) {
			t.Fatalf("item %s is not under %s", it.Path(), c.Path())
		}
		// Replace keeps one item with the new label and secret.
		again, err := c.Create(ctx, "second", attrs, secret.NewString("two"), true)
		if err != nil {
			t.Fatal(err)
		}
		if again.Path() != it.Path() {
			t.Fatalf("replace created %s instead of overwriting %s", again.Path(), it.Path())
		}
		// Without replace a second item appears.
		dup, err := c.Create(ctx, "dup", attrs, secret.NewString("three"), false)
		if err != nil {
			t.Fatal(err)
		}
		unlocked, locked, err := s.SearchItems(ctx, attrs)
		if err != nil {
			t.Fatal(err)
		}
		if len(unlocked) != 2 || len(locked) != 0 {
			t.Fatalf("service search: %d unlocked, %d locked; want 2, 0", len(unlocked), len(locked))
		}
		v, err := s.Item(it.Path()).Secret(ctx)
		if err != nil || string(v.Bytes()) != "two" {
			t.Fatalf("secret after replace: %v", err)
		}
		if l, _ := it.Label(ctx); l != "second" {
			t.Fatalf("label after replace %q", l)
		}
		n, err := c.Delete(ctx, attrs)
		if err != nil || n != 2 {
			t.Fatalf("Delete = %d, %v; want 2", n, err)
		}
		if _, err := dup.Secret(ctx); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("secret of a deleted item: %v, want ErrNotFound", err)
		}
		if _, err := dup.Label(ctx); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("label of a deleted item: %v, want ErrNotFound", err)
		}
		if err := dup.Delete(ctx); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("deleting twice: %v, want ErrNotFound", err)
		}
	})
}

func TestContentTypeAndBinarySecret(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
		s := k.connect()
		ctx := testCtx(t)
		c := defaultCollection(t, ctx, s)
		bin := []byte{0, 1, 2, 0xff, 0xfe, 0, 16, 16, 16}
		it, err := c.Create(ctx, "bin", secret.Attributes{"kind": "binary"},
			secret.NewWithContentType(append([]byte(nil), bin...), secret.ContentTypeBinary), true)
		if err != nil {
			t.Fatal(err)
		}
		v, err := it.Secret(ctx)
		if err != nil || !bytes.Equal(v.Bytes(), bin) {
			t.Fatalf("binary secret round trip: %v", err)
		}
		// gnome-keyring stores no content type and always answers text/plain; a
		// service that keeps it would give application/octet-stream back.
		if ct := v.ContentType(); ct != secret.ContentTypeText && ct != secret.ContentTypeBinary {
			t.Fatalf("content type %q", ct)
		}
	})
}

func TestPlainSessionReadsTheSameItems(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
		dh := k.connect()
		plain := k.connect(WithPlainSession())
		ctx := testCtx(t)
		if alg, _ := plain.Algorithm(ctx); alg != "plain" {
			t.Fatalf("WithPlainSession negotiated %q", alg)
		}
		c, err := dh.DefaultCollection(ctx)
		if err != nil {
			t.Fatal(err)
		}
		it, err := c.Create(ctx, "x", secret.Attributes{"session": "test"}, secret.NewString("shared ✓"), true)
		if err != nil {
			t.Fatal(err)
		}
		v, err := plain.Item(it.Path()).Secret(ctx)
		if err != nil || string(v.Bytes()) != "shared ✓" {
			t.Fatalf("plain read of a DH-written item: %v", err)
		}
		if err := plain.Item(it.Path()).SetSecret(ctx, secret.NewString("from plain")); err != nil {
			t.Fatal(err)
		}
		if v, err := it.Secret(ctx); err != nil || string(v.Bytes()) != "from plain" {
			t.Fatalf("DH read of a plain-written secret: %v", err)
		}
	})
}

// TestGetSecretsMany reads many items with one GetSecrets call, each secret
// with its own IV, and checks unknown and duplicate paths.
func TestGetSecretsMany(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
		s := k.connect()
		ctx := testCtx(t)
		c := defaultCollection(t, ctx, s)
		const n = 60
		var items []*Item
		want := map[dbus.ObjectPath]string{}
		for i := 0; i < n; i++ {
			val := fmt.Sprintf("secret-%02d-%s", i, bytes.Repeat([]byte{'x'}, i))
			it, err := c.Create(ctx, fmt.Sprint("many ", i), secret.Attributes{"many": fmt.Sprint(i)}, secret.NewString(val), true)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
			want[it.Path()] = val
		}
		gone := s.Item(c.Path() + "/999999")
		got, err := s.GetSecrets(ctx, append(items, items[0], gone)...)
		if err != nil {
			t.Fatalf("GetSecrets: %v", err)
		}
		if len(got) != n {
			t.Fatalf("GetSecrets returned %d secrets, want %d", len(got), n)
		}
		for p, v := range got {
			if string(v.Bytes()) != want[p] {
				t.Fatalf("%s: wrong secret", p)
			}
			v.Wipe()
		}
		if m, err := s.GetSecrets(ctx); err != nil || len(m) != 0 {
			t.Fatalf("GetSecrets of nothing: %v %v", m, err)
		}
	})
}

func TestInvalidArguments(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
		s := k.connect()
		ctx := testCtx(t)
		c := defaultCollection(t, ctx, s)
		for name, attrs := range map[string]secret.Attributes{
			"empty name": {"": "x"},
			"nul":        {"a": "b\x00c"},
			"bad utf-8":  {"a": "\xff"},
		} {
			if _, err := c.CreateItem(ctx, "x", attrs, secret.NewString("x"), true); !errors.Is(err, secret.ErrInvalidArgument) {
				t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
			}
		}
		if _, err := c.CreateItem(ctx, "\xff", nil, secret.NewString("x"), true); !errors.Is(err, secret.ErrInvalidArgument) {
			t.Errorf("invalid label: %v", err)
		}
		// The connection survived: dbus-daemon would have dropped it for
		// invalid UTF-8 on the wire.
		if _, err := c.Search(ctx, secret.Attributes{"a": "b"}); err != nil {
			t.Fatalf("connection unusable after rejected arguments: %v", err)
		}
	})
}

// TestSessionReopenedAfterNoSession closes the client's session behind its
// back (as a restarted service would forget it): the next secret read gets
// NoSession, opens a new session and succeeds.
func TestSessionReopenedAfterNoSession(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k *provider) {
		s := k.connect()
		ctx := testCtx(t)
		c := defaultCollection(t, ctx, s)
		it, err := c.Create(ctx, "x", secret.Attributes{"reopen": "1"}, secret.NewString("still here"), true)
		if err != nil {
			t.Fatal(err)
		}
		old := s.currentSession()
		if err := s.conn.Object(busName, old.path).CallWithContext(ctx, ifaceSession+".Close", 0).Err; err != nil {
			t.Fatalf("closing the session behind the client's back: %v", err)
		}
		v, err := it.Secret(ctx)
		if err != nil || string(v.Bytes()) != "still here" {
			t.Fatalf("Secret after the session vanished: %v", err)
		}
		if now := s.currentSession(); now == old || now.path == old.path {
			t.Fatal("the session was not reopened")
		}
		if err := it.SetSecret(ctx, secret.NewString("new")); err != nil {
			t.Fatal(err)
		}
	})
}
