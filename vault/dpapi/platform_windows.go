//go:build windows

package dpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/moneypenny-go/keyring/secret"
)

func platform() (sealer, fileSystem, error) { return cryptAPI{}, winFS{}, nil }

// cryptAPI is crypt32's CryptProtectData / CryptUnprotectData.
type cryptAPI struct{}

func blobOf(b []byte) *windows.DataBlob {
	if len(b) == 0 {
		// DPAPI wants a valid pointer even for no bytes.
		var one [1]byte
		return &windows.DataBlob{Data: &one[0]}
	}
	return &windows.DataBlob{Size: uint32(len(b)), Data: &b[0]}
}

// takeBlob copies what DPAPI allocated and frees it, wiping it first when
// it is plaintext.
func takeBlob(out *windows.DataBlob, wipe bool) []byte {
	if out.Data == nil {
		return nil
	}
	src := unsafe.Slice(out.Data, out.Size)
	b := append([]byte(nil), src...)
	if wipe {
		secret.Wipe(src)
	}
	windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return b
}

func (cryptAPI) seal(plain, entropy []byte, desc string) ([]byte, error) {
	d, err := windows.UTF16PtrFromString(desc)
	if err != nil {
		return nil, err
	}
	var out windows.DataBlob
	if err := windows.CryptProtectData(blobOf(plain), d, blobOf(entropy), 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, err
	}
	return takeBlob(&out, false), nil
}

func (cryptAPI) unseal(blob, entropy []byte) ([]byte, string, error) {
	var out windows.DataBlob
	var d *uint16
	if err := windows.CryptUnprotectData(blobOf(blob), &d, blobOf(entropy), 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, "", err
	}
	desc := ""
	if d != nil {
		desc = windows.UTF16PtrToString(d)
		windows.LocalFree(windows.Handle(unsafe.Pointer(d)))
	}
	return takeBlob(&out, true), desc, nil
}

// winFS writes owner-only files with Win32 calls.
type winFS struct{}

// ownerOnly is a security descriptor whose protected DACL grants the
// current user full access and nobody else anything; inherit makes the
// entry apply to what is created in a directory.
func ownerOnly(inherit bool) (*windows.SecurityAttributes, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("reading the current user: %w", err)
	}
	flags := ""
	if inherit {
		flags = "OICI"
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;" + flags + ";FA;;;" + u.User.Sid.String() + ")")
	if err != nil {
		return nil, err
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	return sa, nil
}

func (winFS) mkdirPrivate(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil // a directory the user chose keeps its ACL; each file has its own
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	sa, err := ownerOnly(true)
	if err != nil {
		return err
	}
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return err
	}
	if err := windows.CreateDirectory(p, sa); err != nil && !errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		return err
	}
	return nil
}

func (winFS) writePrivate(path string, data []byte) error {
	sa, err := ownerOnly(false)
	if err != nil {
		return err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.tmp-%x", filepath.Base(path), rnd))
	tp, err := windows.UTF16PtrFromString(tmp)
	if err != nil {
		return err
	}
	h, err := windows.CreateFile(tp, windows.GENERIC_WRITE, 0, sa, windows.CREATE_NEW, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	f := os.NewFile(uintptr(h), tmp)
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	dp, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	// A reader holding the old file open (without FILE_SHARE_DELETE) can
	// make the move fail for a moment: try again briefly.
	for attempt := 0; ; attempt++ {
		err = windows.MoveFileEx(tp, dp, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
		if err == nil || attempt == 50 || !(errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)) {
			break
		}
		time.Sleep(time.Millisecond * time.Duration(1+attempt/10))
	}
	if err != nil {
		return fmt.Errorf("replacing %s: %w", filepath.Base(path), err)
	}
	ok = true
	return nil
}

// readFile opens with FILE_SHARE_DELETE, so that a writer can move a new
// file over this one while it is read, and reads at most max bytes.
func (winFS) readFile(path string, max int64) ([]byte, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND) {
		return nil, fs.ErrNotExist
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(h), path)
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is over %d bytes: %w", filepath.Base(path), max, secret.ErrTooLarge)
	}
	return b, nil
}

// lock takes an exclusive LockFileEx lock on path, polling so that the
// context is honoured.
func (winFS) lock(ctx context.Context, path string) (func(), error) {
	sa, err := ownerOnly(false)
	if err != nil {
		return nil, err
	}
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, sa,
		windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file: %w", err)
	}
	for wait := time.Millisecond; ; wait = min(wait*2, 50*time.Millisecond) {
		err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
		if err == nil {
			return func() {
				_ = windows.UnlockFileEx(h, 0, 1, 0, new(windows.Overlapped))
				windows.CloseHandle(h)
			}, nil
		}
		if !errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			windows.CloseHandle(h)
			return nil, fmt.Errorf("locking: %w", err)
		}
		select {
		case <-ctx.Done():
			windows.CloseHandle(h)
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}
