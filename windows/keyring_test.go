package windows

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/moneypenny-go/keyring/internal/storetest"
	"github.com/moneypenny-go/keyring/secret"
)

// These tests run against advapi32 on Windows and under Wine, and against the
// in-memory fake elsewhere. They never use t.TempDir: os.RemoveAll fails
// under Wine 8.

func openTest(t *testing.T, opts ...Option) *Keyring {
	t.Helper()
	k, err := Open(context.Background(), append([]Option{func(c *config) { c.api = testAPI(t) }}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return k
}

func uniq(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestStore(t *testing.T) {
	// The fake is one store per Open; share one so the suite's items persist
	// across the stores it opens, as Credential Manager's do.
	api := testAPI(t)
	storetest.Run(t, func(t *testing.T) secret.Store {
		k, err := Open(context.Background(), func(c *config) { c.api = api })
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return k
	}, storetest.Options{NoWatch: true})
}

func TestInfo(t *testing.T) {
	k := openTest(t)
	if i := k.Info(); i.Name != "credential-manager" || !i.Persistent || i.ReadOnly {
		t.Fatalf("Info = %+v", i)
	}
}

// rawUnder lists the credentials whose targets start with prefix, as any
// other program sees them.
func rawUnder(t *testing.T, k *Keyring, prefix string) []*credential {
	t.Helper()
	creds, err := k.api.enumerate(prefix)
	if err != nil {
		t.Fatalf("enumerate %q: %v", prefix, err)
	}
	return creds
}

func TestLargeSecretIsSplit(t *testing.T) {
	ctx := ctxT(t)
	k := openTest(t)
	attrs := secret.Attributes{"service": "large-" + uniq(t), "username": "bob"}
	t.Cleanup(func() { _, _ = k.Delete(context.Background(), attrs) })
	head := TargetName(k.prefix, attrs)

	big := make([]byte, 12000)
	_, _ = rand.Read(big)
	if _, err := k.CreateItem(ctx, "big", attrs, secret.New(append([]byte{}, big...)), true); err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	creds := rawUnder(t, k, head)
	if len(creds) != 5 { // 12000 bytes + metadata: head and 4 parts
		t.Fatalf("%d credentials for a 12000-byte secret, want 5", len(creds))
	}
	for _, c := range creds {
		if len(c.Blob) > MaxBlobSize {
			t.Fatalf("%s holds %d bytes, over the %d-byte limit", c.Target, len(c.Blob), MaxBlobSize)
		}
		if c.Target != head && !strings.HasPrefix(c.Target, head+"#") {
			t.Fatalf("unexpected credential %q", c.Target)
		}
	}
	items, err := k.SearchItems(ctx, attrs)
	if err != nil || len(items) != 1 {
		t.Fatalf("SearchItems = %d items, %v (parts must not show as items)", len(items), err)
	}
	v, err := items[0].Secret(ctx)
	if err != nil || !bytes.Equal(v.Bytes(), big) {
		t.Fatalf("rejoined secret differs (%d bytes), %v", v.Len(), err)
	}

	// Replacing with a smaller large secret leaves exactly the new parts.
	small := bytes.Repeat([]byte("x"), 3000)
	if _, err := k.CreateItem(ctx, "big", attrs, secret.New(append([]byte{}, small...)), true); err != nil {
		t.Fatal(err)
	}
	if n := len(rawUnder(t, k, head)); n != 2 {
		t.Fatalf("%d credentials after replacing with 3000 bytes, want 2", n)
	}
	if got := secretOf(t, ctx, k, attrs); !bytes.Equal(got, small) {
		t.Fatalf("replaced secret differs (%d bytes)", len(got))
	}

	// Deleting removes the head and every part together.
	if n, err := k.Delete(ctx, attrs); n != 1 || err != nil {
		t.Fatalf("Delete = %d, %v", n, err)
	}
	if left := rawUnder(t, k, head); len(left) != 0 {
		t.Fatalf("%d credentials left after Delete (first %q)", len(left), left[0].Target)
	}
}

func secretOf(t *testing.T, ctx context.Context, k *Keyring, attrs secret.Attributes) []byte {
	t.Helper()
	items, err := k.SearchItems(ctx, attrs)
	if err != nil || len(items) != 1 {
		t.Fatalf("SearchItems(%v) = %d items, %v", attrs, len(items), err)
	}
	v, err := items[0].Secret(ctx)
	if err != nil {
		t.Fatalf("Secret: %v", err)
	}
	return v.Bytes()
}

// An interrupted write (parts of a new generation written, head not) leaves
// the old item readable; Delete sweeps the leftovers.
func TestInterruptedWriteKeepsOldItem(t *testing.T) {
	ctx := ctxT(t)
	k := openTest(t)
	attrs := secret.Attributes{"service": "torn-" + uniq(t)}
	t.Cleanup(func() { _, _ = k.Delete(context.Background(), attrs) })
	old := bytes.Repeat([]byte("o"), 6000)
	if _, err := k.CreateItem(ctx, "torn", attrs, secret.New(append([]byte{}, old...)), true); err != nil {
		t.Fatal(err)
	}
	head := TargetName(k.prefix, attrs)
	e, err := encode(&record{header: header{Attributes: attrs}, secret: bytes.Repeat([]byte("n"), 6000)}, newGeneration())
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range e.parts { // the "crash" comes before the head is written
		if err := k.api.write(&credential{Target: partName(head, e.gen, i+1), Blob: p}); err != nil {
			t.Fatal(err)
		}
	}
	if got := secretOf(t, ctx, k, attrs); !bytes.Equal(got, old) {
		t.Fatal("the old secret is not intact after an interrupted write")
	}
	if _, err := k.Delete(ctx, attrs); err != nil {
		t.Fatal(err)
	}
	if left := rawUnder(t, k, head); len(left) != 0 {
		t.Fatalf("%d leftover parts after Delete", len(left))
	}
}

func TestTooLarge(t *testing.T) {
	k := openTest(t)
	attrs := secret.Attributes{"service": "huge-" + uniq(t)}
	_, err := k.CreateItem(ctxT(t), "huge", attrs, secret.New(make([]byte, MaxSecretSize+1)), true)
	if !errors.Is(err, secret.ErrTooLarge) {
		t.Fatalf("CreateItem of %d bytes = %v, want ErrTooLarge", MaxSecretSize+1, err)
	}
	if n := len(rawUnder(t, k, TargetName(k.prefix, attrs))); n != 0 {
		t.Fatalf("a refused write left %d credentials", n)
	}
}

func TestTargetNames(t *testing.T) {
	k := openTest(t)
	run := uniq(t)
	got := TargetName(DefaultTargetPrefix, secret.Attributes{"username": "alice", "service": "github.com"})
	if want := "moneypenny:service=github.com&username=alice"; got != want {
		t.Fatalf("TargetName = %q, want %q", got, want)
	}
	got = TargetName(DefaultTargetPrefix, secret.Attributes{"Sérvice": "a*b#c!d%e&f=g 名"})
	if want := "moneypenny:%53%C3%A9rvice=a%2Ab%23c%21d%25e%26f%3Dg%20%E5%90%8D"; got != want {
		t.Fatalf("TargetName = %q, want %q", got, want)
	}
	// Long lists keep a readable start and a digest of the whole list.
	long1 := secret.Attributes{"service": "long", "note": strings.Repeat("ä", 200)}
	long2 := secret.Attributes{"service": "long", "note": strings.Repeat("ä", 200) + "b"}
	t1, t2 := TargetName(DefaultTargetPrefix, long1), TargetName(DefaultTargetPrefix, long2)
	if len(t1) > maxHeadLen || len(t2) > maxHeadLen || strings.EqualFold(t1, t2) {
		t.Fatalf("long targets %q (%d) and %q (%d)", t1, len(t1), t2, len(t2))
	}
	if !strings.HasPrefix(t1, "moneypenny:note=%C3%A4%C3%A4") || strings.Contains(t1, "%$") || strings.Contains(t1, "%C$") {
		t.Fatalf("long target %q", t1)
	}
	// Targets compare case-insensitively: sets differing only in case must
	// still be two items.
	ctx := ctxT(t)
	lower := secret.Attributes{"run": run, "service": "github"}
	upper := secret.Attributes{"run": run, "service": "GitHub"}
	t.Cleanup(func() { _, _ = k.Delete(context.Background(), secret.Attributes{"run": run}) })
	for _, a := range []secret.Attributes{lower, upper} {
		if _, err := k.CreateItem(ctx, a["service"], a, secret.NewString(a["service"]), true); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []secret.Attributes{lower, upper} {
		if got := string(secretOf(t, ctx, k, a)); got != a["service"] {
			t.Fatalf("%v holds %q", a, got)
		}
	}
}

func TestDuplicatesWithoutReplace(t *testing.T) {
	ctx := ctxT(t)
	k := openTest(t)
	attrs := secret.Attributes{"service": "dup-" + uniq(t)}
	t.Cleanup(func() { _, _ = k.Delete(context.Background(), attrs) })
	a, err := k.CreateItem(ctx, "a", attrs, secret.NewString("1"), false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.CreateItem(ctx, "b", attrs, secret.NewString("2"), false)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID() == b.ID() || !strings.HasPrefix(b.ID(), a.ID()+"!") {
		t.Fatalf("IDs %q and %q", a.ID(), b.ID())
	}
	items, err := k.SearchItems(ctx, attrs)
	if err != nil || len(items) != 2 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	if err := a.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	// Replace finds the remaining duplicate rather than adding a third.
	if _, err := k.CreateItem(ctx, "c", attrs, secret.NewString("3"), true); err != nil {
		t.Fatal(err)
	}
	if got := string(secretOf(t, ctx, k, attrs)); got != "3" {
		t.Fatalf("secret %q after replace", got)
	}
}

// goKeyringSet writes a credential the way zalando/go-keyring's Set does on
// Windows: target "service:user", UserName user, raw UTF-8 blob.
func goKeyringSet(t *testing.T, k *Keyring, service, user, password string) {
	t.Helper()
	if err := k.api.write(&credential{Target: service + ":" + user, UserName: user, Blob: []byte(password)}); err != nil {
		t.Fatalf("write go-keyring credential: %v", err)
	}
	t.Cleanup(func() { _ = k.api.remove(service + ":" + user) })
}

func TestGoKeyringInterop(t *testing.T) {
	ctx := ctxT(t)
	k := openTest(t)
	service := "gk-" + uniq(t)
	goKeyringSet(t, k, service, "alice", "pässwörd ✓")
	goKeyringSet(t, k, service, "bob", "hunter2")
	// Another program's credential whose target merely starts the same way.
	if err := k.api.write(&credential{Target: service + ":https://example.com", UserName: "carol", Blob: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.api.remove(service + ":https://example.com") })

	pair := secret.Attributes{"service": service, "username": "alice"}
	items, err := k.SearchItems(ctx, pair)
	if err != nil || len(items) != 1 {
		t.Fatalf("SearchItems(%v) = %d items, %v", pair, len(items), err)
	}
	it := items[0]
	if a, _ := it.Attributes(ctx); !a.Equal(pair) {
		t.Fatalf("attributes %v, want %v", a, pair)
	}
	if v, err := it.Secret(ctx); err != nil || string(v.Bytes()) != "pässwörd ✓" || v.ContentType() != secret.ContentTypeText {
		t.Fatalf("secret %q (%s), %v", v.Bytes(), v.ContentType(), err)
	}
	if l, _ := it.Label(ctx); l != service+":alice" {
		t.Fatalf("label %q", l)
	}
	if c, err := it.Created(ctx); err != nil || time.Since(c) > time.Hour {
		t.Fatalf("created %v, %v", c, err)
	}
	if all, err := k.SearchItems(ctx, secret.Attributes{"service": service}); err != nil || len(all) != 2 {
		t.Fatalf("SearchItems({service}) = %d items, %v; want alice and bob only", len(all), err)
	}
	if all, err := k.Items(ctx); err != nil {
		t.Fatal(err)
	} else {
		for _, i := range all {
			if strings.HasPrefix(i.ID(), service) {
				t.Fatalf("Items lists the foreign credential %q", i.ID())
			}
		}
	}

	// Replacing keeps go-keyring's format, so go-keyring still reads it.
	if _, err := k.CreateItem(ctx, "Alice's token", pair, secret.NewString("new ✓"), true); err != nil {
		t.Fatal(err)
	}
	raw, err := k.api.read(service + ":alice")
	if err != nil || string(raw.Blob) != "new ✓" || raw.UserName != "alice" {
		t.Fatalf("go-keyring view after replace: %q user %q, %v", raw.Blob, raw.UserName, err)
	}
	if n := len(rawUnder(t, k, TargetName(k.prefix, pair))); n != 0 {
		t.Fatal("replace added a moneypenny credential next to the go-keyring one")
	}
	if items, _ := k.SearchItems(ctx, pair); len(items) != 1 {
		t.Fatalf("%d items after replace", len(items))
	} else if l, _ := items[0].Label(ctx); l != "Alice's token" {
		t.Fatalf("label %q after replace", l)
	}

	// A secret too large for one blob turns it into a moneypenny item.
	big := bytes.Repeat([]byte("b"), 4000)
	items, _ = k.SearchItems(ctx, secret.Attributes{"service": service, "username": "bob"})
	if len(items) != 1 {
		t.Fatalf("bob: %d items", len(items))
	}
	if err := items[0].SetSecret(ctx, secret.New(append([]byte{}, big...))); err != nil {
		t.Fatal(err)
	}
	if _, err := k.api.read(service + ":bob"); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("the go-keyring credential is still there: %v", err)
	}
	if got := secretOf(t, ctx, k, secret.Attributes{"service": service, "username": "bob"}); !bytes.Equal(got, big) {
		t.Fatal("converted secret differs")
	}

	if n, err := k.Delete(ctx, secret.Attributes{"service": service}); n != 2 || err != nil {
		t.Fatalf("Delete({service}) = %d, %v", n, err)
	}
	if _, err := k.api.read(service + ":https://example.com"); err != nil {
		t.Fatalf("Delete removed another program's credential: %v", err)
	}
}

func TestMetadataInBlob(t *testing.T) {
	// Wine drops CREDENTIAL_ATTRIBUTEs; everything must come back from the
	// blob, so a long label and many attributes survive exactly.
	ctx := ctxT(t)
	k := openTest(t)
	attrs := secret.Attributes{"service": "meta-" + uniq(t), "username": "名前", "xdg:schema": "org.example.Password"}
	for i := 0; i < 30; i++ {
		attrs["attribute-"+strings.Repeat("n", i)] = strings.Repeat("värde ", 20)
	}
	label := strings.Repeat("A long label ✓ ", 40) // over the 256-character Comment limit
	t.Cleanup(func() { _, _ = k.Delete(context.Background(), attrs) })
	if _, err := k.CreateItem(ctx, label, attrs, secret.NewString("s"), true); err != nil {
		t.Fatal(err)
	}
	items, err := k.SearchItems(ctx, secret.Attributes{"service": attrs["service"]})
	if err != nil || len(items) != 1 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	if l, _ := items[0].Label(ctx); l != label {
		t.Fatal("label not kept")
	}
	if a, _ := items[0].Attributes(ctx); !a.Equal(attrs) {
		t.Fatalf("attributes %v", a)
	}
	raw, err := k.api.read(items[0].ID())
	if err != nil {
		t.Fatal(err)
	}
	if utf16Len(raw.Comment) > maxCommentLen || !strings.HasPrefix(label, raw.Comment) || raw.UserName != "名前" {
		t.Fatalf("Comment %q / UserName %q", raw.Comment, raw.UserName)
	}
}

func TestNotSupported(t *testing.T) {
	ctx := ctxT(t)
	k := openTest(t)
	if err := k.Lock(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Fatalf("Lock = %v", err)
	}
	if err := k.Unlock(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Fatalf("Unlock = %v", err)
	}
	if locked, err := k.IsLocked(ctx); locked || err != nil {
		t.Fatalf("IsLocked = %v, %v", locked, err)
	}
	if _, err := k.Watch(ctx); !errors.Is(err, secret.ErrNotSupported) {
		t.Fatalf("Watch = %v", err)
	}
	if _, err := Open(ctx, WithTargetPrefix("bad*")); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("Open with a wildcard prefix = %v", err)
	}
}

func TestItemNotFoundAfterDelete(t *testing.T) {
	ctx := ctxT(t)
	k := openTest(t)
	attrs := secret.Attributes{"service": "gone-" + uniq(t)}
	it, err := k.CreateItem(ctx, "x", attrs, secret.NewString("x"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := it.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := it.Secret(ctx); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Secret of a deleted item = %v, want ErrNotFound", err)
	}
	if err := it.Delete(ctx); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
}

// utf16Len is the length of s in UTF-16 code units, the unit of every
// Credential Manager string limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
