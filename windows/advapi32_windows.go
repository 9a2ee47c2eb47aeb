//go:build windows

package windows

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"github.com/moneypenny-go/keyring/secret"
	"golang.org/x/sys/windows"
)

// Constants from wincred.h.
const (
	credTypeGeneric          = 1
	credPersistLocalMachine  = 2
	errorNoSuchLogonSession  = windows.Errno(1312)
	errorInvalidParameter    = windows.Errno(87)
	errorNotFound            = windows.ERROR_NOT_FOUND
	errorKeyDeleted          = windows.Errno(1018) // ERROR_KEY_DELETED
	errorFileNotFound        = windows.ERROR_FILE_NOT_FOUND
	credEnumerateAllDisabled = 0 // CRED_ENUMERATE_ALL_CREDENTIALS is refused by Wine; a filter is always given
)

// credentialW is CREDENTIALW. Go's natural alignment on amd64, arm64 and 386
// matches the C layout (the compiler pads before CredentialBlob as C does).
type credentialW struct {
	Flags              uint32
	Type               uint32
	TargetName         *uint16
	Comment            *uint16
	LastWritten        windows.Filetime
	CredentialBlobSize uint32
	CredentialBlob     *byte
	Persist            uint32
	AttributeCount     uint32
	Attributes         uintptr
	TargetAlias        *uint16
	UserName           *uint16
}

// advapi32 calls the Cred* functions. Each Keyring loads its own LazyDLL:
// no package-level state.
type advapi32 struct {
	credRead, credWrite, credDelete, credEnumerate, credFree *windows.LazyProc
}

func systemAPI() (credAPI, error) {
	dll := windows.NewLazySystemDLL("advapi32.dll")
	a := &advapi32{
		credRead:      dll.NewProc("CredReadW"),
		credWrite:     dll.NewProc("CredWriteW"),
		credDelete:    dll.NewProc("CredDeleteW"),
		credEnumerate: dll.NewProc("CredEnumerateW"),
		credFree:      dll.NewProc("CredFree"),
	}
	for _, p := range []*windows.LazyProc{a.credRead, a.credWrite, a.credDelete, a.credEnumerate, a.credFree} {
		if err := p.Find(); err != nil {
			return nil, fmt.Errorf("windows: advapi32.dll lacks %s: %w", p.Name, secret.ErrUnavailable)
		}
	}
	return a, nil
}

// callErr maps a failed Cred* call to the shared sentinels, keeping the
// Errno in the chain.
func callErr(fn string, err error) error {
	var errno windows.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("%s: %w", fn, err)
	}
	switch errno {
	case errorNotFound, errorKeyDeleted:
		// Wine answers a credential deleted while it is being read with
		// ERROR_KEY_DELETED: it is gone, as for ERROR_NOT_FOUND.
		return fmt.Errorf("%s: %w: %w", fn, errno, secret.ErrNotFound)
	case errorNoSuchLogonSession:
		// No user profile is loaded (a service account, a network logon).
		return fmt.Errorf("%s: %w: %w", fn, errno, secret.ErrUnavailable)
	case errorInvalidParameter:
		return fmt.Errorf("%s: %w: %w", fn, errno, secret.ErrInvalidArgument)
	}
	return fmt.Errorf("%s: %w", fn, errno)
}

func wideString(s string) (*uint16, error) {
	if s == "" {
		return nil, nil
	}
	p, err := windows.UTF16PtrFromString(s)
	if err != nil {
		return nil, fmt.Errorf("string with a NUL byte: %w", secret.ErrInvalidArgument)
	}
	return p, nil
}

func (a *advapi32) read(target string) (*credential, error) {
	t, err := wideString(target)
	if err != nil {
		return nil, err
	}
	var pc *credentialW
	r, _, e := a.credRead.Call(uintptr(unsafe.Pointer(t)), credTypeGeneric, 0, uintptr(unsafe.Pointer(&pc)))
	runtime.KeepAlive(t)
	if r == 0 {
		return nil, callErr("CredReadW", e)
	}
	defer a.credFree.Call(uintptr(unsafe.Pointer(pc)))
	return fromW(pc), nil
}

// fromW copies a CREDENTIALW owned by advapi32 into Go memory.
func fromW(pc *credentialW) *credential {
	c := &credential{
		Target:      windows.UTF16PtrToString(pc.TargetName),
		Comment:     windows.UTF16PtrToString(pc.Comment),
		UserName:    windows.UTF16PtrToString(pc.UserName),
		LastWritten: time.Unix(0, pc.LastWritten.Nanoseconds()).UTC(),
		Blob:        []byte{},
	}
	if pc.CredentialBlobSize > 0 && pc.CredentialBlob != nil {
		c.Blob = append(c.Blob, unsafe.Slice(pc.CredentialBlob, pc.CredentialBlobSize)...)
	}
	return c
}

func (a *advapi32) write(c *credential) error {
	if len(c.Blob) > MaxBlobSize {
		// Real Windows refuses this too; Wine would accept it.
		return fmt.Errorf("CredWriteW: blob of %d bytes: %w", len(c.Blob), secret.ErrTooLarge)
	}
	var w credentialW
	var err error
	if w.TargetName, err = wideString(c.Target); err != nil {
		return err
	}
	if w.Comment, err = wideString(c.Comment); err != nil {
		return err
	}
	if w.UserName, err = wideString(c.UserName); err != nil {
		return err
	}
	w.Type = credTypeGeneric
	w.Persist = credPersistLocalMachine
	w.CredentialBlobSize = uint32(len(c.Blob))
	if len(c.Blob) > 0 {
		w.CredentialBlob = &c.Blob[0]
	}
	r, _, e := a.credWrite.Call(uintptr(unsafe.Pointer(&w)), 0)
	runtime.KeepAlive(&w)
	runtime.KeepAlive(c)
	if r == 0 {
		if errors.Is(e, errorNotFound) {
			// Wine's answer to a target name it cannot store: not a
			// missing item.
			return fmt.Errorf("CredWriteW: %w", e)
		}
		return callErr("CredWriteW", e)
	}
	return nil
}

func (a *advapi32) remove(target string) error {
	t, err := wideString(target)
	if err != nil {
		return err
	}
	r, _, e := a.credDelete.Call(uintptr(unsafe.Pointer(t)), credTypeGeneric, 0)
	runtime.KeepAlive(t)
	if r == 0 {
		return callErr("CredDeleteW", e)
	}
	return nil
}

// enumerateTries bounds how often enumerate lists again after a
// credential vanished under it, waiting a millisecond longer each time (at most about
// a second in all).
const enumerateTries = 40

func (a *advapi32) enumerate(prefix string) ([]*credential, error) {
	f, err := wideString(prefix + "*")
	if err != nil {
		return nil, err
	}
	var n uint32
	var list **credentialW
	for try := 1; ; try++ {
		r, _, e := a.credEnumerate.Call(uintptr(unsafe.Pointer(f)), credEnumerateAllDisabled, uintptr(unsafe.Pointer(&n)), uintptr(unsafe.Pointer(&list)))
		runtime.KeepAlive(f)
		if r != 0 {
			break
		}
		// Wine keeps credentials as registry keys and fails the whole
		// enumeration when one it is listing is deleted meanwhile (by
		// another thread replacing an item), with ERROR_KEY_DELETED or
		// ERROR_FILE_NOT_FOUND (no match is ERROR_NOT_FOUND): list again.
		if (errors.Is(e, errorKeyDeleted) || errors.Is(e, errorFileNotFound)) && try < enumerateTries {
			time.Sleep(time.Duration(try) * time.Millisecond)
			continue
		}
		if errors.Is(e, errorNotFound) { // no match; a vanished key is not "no match"
			return []*credential{}, nil
		}
		return nil, callErr("CredEnumerateW", e)
	}
	defer a.credFree.Call(uintptr(unsafe.Pointer(list)))
	ptrs := unsafe.Slice(list, n)
	out := make([]*credential, 0, n)
	for _, pc := range ptrs {
		if pc.Type == credTypeGeneric {
			out = append(out, fromW(pc))
		}
	}
	return out, nil
}
