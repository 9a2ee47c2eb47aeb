package filekeyring

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// secretTool runs libsecret's secret-tool on the file backend.
func secretTool(t *testing.T, path, password string, stdin []byte, args ...string) (string, error) {
	t.Helper()
	testpeer.Need(t, "secret-tool")
	cmd := exec.Command("secret-tool", args...)
	cmd.Env = append(os.Environ(), "SECRET_BACKEND=file", "SECRET_FILE_TEST_PATH="+path,
		"SECRET_FILE_TEST_PASSWORD="+password, "DBUS_SESSION_BUS_ADDRESS=disabled:")
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil && errb.Len() > 0 {
		t.Logf("secret-tool %v: %s", args, errb.String())
	}
	return out.String(), err
}

func TestLibsecretReadsOurItems(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	k := mustOpen(t, path, "interop")
	value := "tok\x00en ünï\ncode"
	if _, err := k.CreateItem(ctx, "ours", secret.Attributes{"service": "svc", "username": "ümlaut"}, secret.NewString(value), true); err != nil {
		t.Fatal(err)
	}
	out, err := secretTool(t, path, "interop", nil, "lookup", "service", "svc")
	if err != nil || out != value {
		t.Fatalf("secret-tool lookup = %q, %v", out, err)
	}
	// libsecret's replace finds our item by its exact attribute set.
	if _, err := secretTool(t, path, "interop", []byte("theirs"), "store", "--label=theirs", "service", "svc", "username", "ümlaut"); err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, k, secret.Attributes{"service": "svc"}); len(got) != 1 || got[0] != "theirs" {
		t.Fatalf("after libsecret's replace: %q (a duplicate means our attributes differ)", got)
	}
	// And libsecret's clear removes it.
	if _, err := secretTool(t, path, "interop", nil, "clear", "username", "ümlaut"); err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, k, nil); len(got) != 0 {
		t.Fatalf("after libsecret's clear: %q", got)
	}
}

func TestWeReadLibsecretItems(t *testing.T) {
	path := tempPath(t)
	for i, v := range []string{"first", "second"} {
		if _, err := secretTool(t, path, "interop", []byte(v), "store", "--label=L"+v, "app", "x", "n", string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	k := mustOpen(t, path, "interop")
	got := lookup(t, k, secret.Attributes{"app": "x"})
	if strings.Join(got, ",") != "first,second" {
		t.Fatalf("items = %q", got)
	}
	// Our replace of their item keeps one item, and they read our value.
	ctx := context.Background()
	if _, err := k.CreateItem(ctx, "Lfirst", secret.Attributes{"app": "x", "n": "0"}, secret.NewString("updated"), true); err != nil {
		t.Fatal(err)
	}
	out, err := secretTool(t, path, "interop", nil, "lookup", "n", "0")
	if err != nil || out != "updated" {
		t.Fatalf("secret-tool after our replace = %q, %v", out, err)
	}
	if got := lookup(t, k, secret.Attributes{"app": "x"}); len(got) != 2 {
		t.Fatalf("%d items after replace, want 2", len(got))
	}
}

// TestLibsecretWritesBetweenOurs: secret-tool does not take our lock; its
// change lands between our operations and must survive our next write.
func TestLibsecretWritesBetweenOurs(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	k := mustOpen(t, path, "interop")
	if _, err := k.CreateItem(ctx, "a", secret.Attributes{"n": "a"}, secret.NewString("a"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := secretTool(t, path, "interop", []byte("b"), "store", "--label=b", "n", "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateItem(ctx, "c", secret.Attributes{"n": "c"}, secret.NewString("c"), true); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		out, err := secretTool(t, path, "interop", nil, "lookup", "n", n)
		if err != nil || out != n {
			t.Errorf("lookup n=%s: %q, %v", n, out, err)
		}
	}
}

// TestLibsecretWritesInTheLastMoment: libsecret replaces the file after our
// final check, just before our new version goes in. Its acknowledged item
// must survive: the displaced version is read back and our change
// re-applied on top of it.
func TestLibsecretWritesInTheLastMoment(t *testing.T) {
	path := tempPath(t)
	ctx := context.Background()
	k := mustOpen(t, path, "interop")
	if _, err := k.CreateItem(ctx, "a", secret.Attributes{"n": "a"}, secret.NewString("a"), true); err != nil {
		t.Fatal(err)
	}
	raced := false
	k.beforeInstall = func() {
		if raced {
			return
		}
		raced = true
		if _, err := secretTool(t, path, "interop", []byte("b"), "store", "--label=b", "n", "b"); err != nil {
			t.Errorf("secret-tool store: %v", err)
		}
	}
	if _, err := k.CreateItem(ctx, "c", secret.Attributes{"n": "c"}, secret.NewString("c"), true); err != nil {
		t.Fatal(err)
	}
	if !raced {
		t.Fatal("the hook did not run")
	}
	for _, n := range []string{"a", "b", "c"} {
		out, err := secretTool(t, path, "interop", nil, "lookup", "n", n)
		if err != nil || out != n {
			t.Errorf("lookup n=%s: %q, %v (an acknowledged write was lost)", n, out, err)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// libsecret's only guard against overwriting a newer file is GLib's etag,
// the mtime in microseconds. Versions written in quick succession must still
// differ there, although the kernel's file clock is coarse.
func TestEveryVersionHasItsOwnEtag(t *testing.T) {
	path := tempPath(t)
	k := mustOpen(t, path, "etag")
	etags := map[string]bool{}
	var last time.Time
	for i := 0; i < 20; i++ {
		if _, err := k.CreateItem(context.Background(), "x", secret.Attributes{"n": strconv.Itoa(i)}, secret.NewString("v"), true); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		m := fi.ModTime()
		etag := fmt.Sprintf("%d:%d", m.Unix(), m.Nanosecond()/1000) // GLib's _g_local_file_info_create_etag
		if etags[etag] || !m.After(last) {
			t.Fatalf("version %d has mtime %v, etag %s: not after the previous version's %v", i, m, etag, last)
		}
		etags[etag], last = true, m
	}
}
