package filekeyring

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// roMount mounts a fresh tmpfs at a new directory and returns it with a
// function that remounts it read-only. Needs root (the test machines run
// as root; elsewhere the test is skipped, and fails under CI).
func roMount(t *testing.T) (dir string, readOnly func()) {
	t.Helper()
	dir = t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		testpeer.Missing(t, "cannot mount a tmpfs (needs root): "+string(out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir, func() {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
			t.Fatalf("remount read-only: %v: %s", err, out)
		}
	}
}

// TestReadOnlyFileSystem: on a file system mounted read-only, a keyring
// reads as usual and every write fails with ErrReadOnly, with and without
// an existing file.
func TestReadOnlyFileSystem(t *testing.T) {
	dir, readOnly := roMount(t)
	ctx := context.Background()
	path := filepath.Join(dir, "keyrings", "default.keyring")
	k := mustOpen(t, path, "pw")
	if _, err := k.CreateItem(ctx, "x", secret.Attributes{"n": "1"}, secret.NewString("one"), true); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, path)
	// k stays open: it pins the version it wrote, but read-only, so the
	// file system can be remounted read-only under it.
	readOnly()
	if _, err := k.CreateItem(ctx, "y", secret.Attributes{"n": "2"}, secret.NewString("two"), true); !errors.Is(err, secret.ErrReadOnly) {
		t.Fatalf("store on a read-only file system: %v, want ErrReadOnly", err)
	}
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Fatal("the file changed")
	}
	if got := lookup(t, mustOpen(t, path, "pw"), nil); len(got) != 1 || got[0] != "one" {
		t.Fatalf("reading: %q", got)
	}
	// No file yet, no directory yet: still ErrReadOnly, not a bare EROFS.
	fresh := mustOpen(t, filepath.Join(dir, "other", "default.keyring"), "pw")
	if _, err := fresh.CreateItem(ctx, "y", secret.Attributes{"n": "2"}, secret.NewString("two"), true); !errors.Is(err, secret.ErrReadOnly) {
		t.Fatalf("first store on a read-only file system: %v, want ErrReadOnly", err)
	}
}

// TestUntrustedDirectory: with WithUntrustedDirectory (the host writing
// into a Flatpak app's data directory), a keyring directory owned by
// another user, a directory that is a symbolic link, and a keyring file
// that is a symbolic link are refused, and nothing is written.
func TestUntrustedDirectory(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (root, path string) {
		root = filepath.Join(t.TempDir(), "app")
		path = filepath.Join(root, "data", "keyrings", "default.keyring")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		return root, path
	}
	t.Run("owned by us", func(t *testing.T) {
		root, path := setup(t)
		k := mustOpen(t, path, "pw", WithUntrustedDirectory(root))
		if _, err := k.CreateItem(ctx, "x", secret.Attributes{"n": "1"}, secret.NewString("v"), true); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("another owner", func(t *testing.T) {
		if os.Getuid() != 0 {
			testpeer.Missing(t, "changing a directory's owner needs root")
		}
		root, path := setup(t)
		k := mustOpen(t, path, "pw", WithUntrustedDirectory(root))
		if err := os.Chown(filepath.Dir(path), 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := k.CreateItem(ctx, "x", secret.Attributes{"n": "1"}, secret.NewString("v"), true); !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("store into a directory owned by another user: %v, want a permission error", err)
		}
		if _, err := Open(ctx, path, []byte("pw"), WithUntrustedDirectory(root)); !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("Open: %v, want a permission error", err)
		}
		if names, _ := os.ReadDir(filepath.Dir(path)); len(names) != 0 {
			t.Fatalf("files written: %v", names)
		}
		// Without the option (the user's own keyring) it is allowed.
		if _, err := mustOpen(t, path, "pw").CreateItem(ctx, "x", secret.Attributes{"n": "1"}, secret.NewString("v"), true); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("directory is a symlink", func(t *testing.T) {
		root, path := setup(t)
		elsewhere := t.TempDir()
		data := filepath.Join(root, "data")
		if err := os.RemoveAll(data); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(elsewhere, data); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, path, []byte("pw"), WithUntrustedDirectory(root)); !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("Open through a symlinked directory: %v, want a permission error", err)
		}
		if names, _ := os.ReadDir(elsewhere); len(names) != 0 {
			t.Fatalf("written through the link: %v", names)
		}
	})
	t.Run("file is a symlink", func(t *testing.T) {
		root, path := setup(t)
		victim := filepath.Join(t.TempDir(), "victim")
		if err := os.Symlink(victim, path); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, path, []byte("pw"), WithUntrustedDirectory(root)); !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("Open of a symlinked keyring: %v, want a permission error", err)
		}
		if _, err := os.Lstat(victim); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the link's target was created: %v", err)
		}
	})
}
