package filelock

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestExclusive: a second open file description cannot take the lock until
// the first drops it.
func TestExclusive(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		t.Skip("no file locks on " + runtime.GOOS)
	}
	dir, err := os.MkdirTemp("", "filelock")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lock")
	defer func() { _ = os.Remove(path); _ = os.Remove(dir) }()
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b := open(), open()
	defer a.Close()
	defer b.Close()
	if ok, err := TryLock(a); !ok || err != nil {
		t.Fatalf("first TryLock = %v, %v", ok, err)
	}
	if ok, err := TryLock(b); ok || err != nil {
		t.Fatalf("second TryLock while held = %v, %v; want false, nil", ok, err)
	}
	if err := Unlock(a); err != nil {
		t.Fatal(err)
	}
	if ok, err := TryLock(b); !ok || err != nil {
		t.Fatalf("TryLock after Unlock = %v, %v", ok, err)
	}
}
