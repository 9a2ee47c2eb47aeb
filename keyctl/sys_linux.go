//go:build linux

package keyctl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/moneypenny-go/keyring/secret"
	"golang.org/x/sys/unix"
)

// This file is the only one that makes system calls: thin wrappers over
// add_key(2) and keyctl(2) that turn errno values into the shared sentinels.
// Every other file is OS-independent and sees only these functions (and
// sys_other.go's stand-ins on other systems).

// sysErr wraps an errno from op with the matching sentinel, keeping the
// errno itself in the chain (errors.Is(err, unix.EACCES) still works).
func sysErr(op string, err error) error {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("%s: %w: %w", op, secret.ErrUnavailable, err)
	}
	switch errno {
	case unix.ENOKEY, unix.EKEYREVOKED, unix.EKEYEXPIRED, unix.ENOENT:
		return fmt.Errorf("%s: %w (%w)", op, secret.ErrNotFound, errno)
	case unix.EDQUOT:
		return fmt.Errorf("%s: kernel key quota exceeded (see /proc/key-users and /proc/sys/kernel/keys/maxbytes, maxkeys): %w (%w)",
			op, secret.ErrTooLarge, errno)
	case unix.ENOSYS, unix.EPERM:
		return fmt.Errorf("%s: the kernel keyring system calls are blocked (a seccomp filter, as in Flatpak and Docker, or no CONFIG_KEYS): %w (%w)",
			op, secret.ErrUnavailable, errno)
	case unix.EACCES:
		return fmt.Errorf("%s: %w (%w)", op, secret.ErrUnavailable, errno)
	case unix.EINVAL:
		return fmt.Errorf("%s: %w (%w)", op, secret.ErrInvalidArgument, errno)
	}
	return fmt.Errorf("%s: %w (%w)", op, secret.ErrUnavailable, errno)
}

// keyringID resolves a special keyring ID (specSession, ...) to a serial.
// With create false the kernel never makes a new session keyring; a thread
// without one gets the user-session keyring installed instead.
func keyringID(spec int, create bool) (int, error) {
	id, err := unix.KeyctlGetKeyringID(spec, create)
	if err != nil {
		return 0, sysErr("resolve keyring "+strconv.Itoa(spec), err)
	}
	return id, nil
}

func describeKey(id int) (keyDesc, error) {
	s, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil {
		return keyDesc{}, sysErr("describe key "+strconv.Itoa(id), err)
	}
	return parseDescribe(s)
}

// readKey returns a key's payload in a fresh buffer the caller owns (and
// wipes). KEYCTL_READ answers the payload's full size even when the buffer
// is smaller, so the buffer grows until the answer fits.
func readKey(id int) ([]byte, error) {
	buf := make([]byte, 512)
	for {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
		if err != nil {
			secret.Wipe(buf)
			return nil, sysErr("read key "+strconv.Itoa(id), err)
		}
		if n <= len(buf) {
			return buf[:n], nil
		}
		// The payload changed size or was larger: wipe the partial copy
		// and try again with room for the whole of it.
		secret.Wipe(buf)
		buf = make([]byte, n)
	}
}

// listKeyring returns the serials linked into a keyring (KEYCTL_READ on a
// keyring gives an array of int32 in host byte order).
func listKeyring(id int) ([]int, error) {
	b, err := readKey(id)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(b)/4)
	for i := 0; i+4 <= len(b); i += 4 {
		ids = append(ids, int(int32(binary.NativeEndian.Uint32(b[i:]))))
	}
	return ids, nil
}

func addKey(typ, desc string, payload []byte, ring int) (int, error) {
	id, err := unix.AddKey(typ, desc, payload, ring)
	if err != nil {
		return 0, sysErr("add "+typ+" key", err)
	}
	return id, nil
}

// updateKey replaces the payload of key id, linked in ring, atomically: the
// serial, permissions and links stay.
//
// KEYCTL_UPDATE takes at most a page (keyctl_update_key refuses plen >
// PAGE_SIZE with EINVAL) although a user key holds 32767 bytes. A larger
// payload goes through add_key on ring with the key's own type and
// description, which the kernel turns into an in-place update of that key
// (key_create_or_update). Should the key have gone meanwhile, add_key
// creates a new one instead: that stray key, which would have the default
// permissions, is removed at once and the update fails with ErrNotFound,
// as KEYCTL_UPDATE would.
func updateKey(id, ring int, payload []byte) error {
	if len(payload) <= os.Getpagesize() {
		if _, err := unix.KeyctlBuffer(unix.KEYCTL_UPDATE, id, payload, 0); err != nil {
			return sysErr("update key "+strconv.Itoa(id), err)
		}
		return nil
	}
	d, err := describeKey(id)
	if err != nil {
		return err
	}
	got, err := unix.AddKey(d.Type, d.Description, payload, ring)
	if err != nil {
		return sysErr("update key "+strconv.Itoa(id), err)
	}
	if got != id {
		_ = unlinkKey(got, ring)
		_ = invalidateKey(got)
		return fmt.Errorf("update key %d: it was removed meanwhile: %w", id, secret.ErrNotFound)
	}
	return nil
}

func setPerm(id int, perm uint32) error {
	if err := unix.KeyctlSetperm(id, perm); err != nil {
		return sysErr("set permissions of key "+strconv.Itoa(id), err)
	}
	return nil
}

func setTimeout(id int, seconds int) error {
	if _, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, seconds, 0, 0); err != nil {
		return sysErr("set timeout of key "+strconv.Itoa(id), err)
	}
	return nil
}

func linkKey(id, ring int) error {
	if _, err := unix.KeyctlInt(unix.KEYCTL_LINK, id, ring, 0, 0); err != nil {
		return sysErr("link key "+strconv.Itoa(id), err)
	}
	return nil
}

func unlinkKey(id, ring int) error {
	if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, ring, 0, 0); err != nil {
		return sysErr("unlink key "+strconv.Itoa(id), err)
	}
	return nil
}

// invalidateKey makes a key unusable at once and has the kernel's garbage
// collector remove it from every keyring it is linked into.
func invalidateKey(id int) error {
	if _, err := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0); err != nil {
		return sysErr("invalidate key "+strconv.Itoa(id), err)
	}
	return nil
}

func clearKeyring(ring int) error {
	if _, err := unix.KeyctlInt(unix.KEYCTL_CLEAR, ring, 0, 0, 0); err != nil {
		return sysErr("clear keyring "+strconv.Itoa(ring), err)
	}
	return nil
}

// searchKeyring finds a key by type and exact description in ring and the
// keyrings linked below it.
func searchKeyring(ring int, typ, desc string) (int, error) {
	id, err := unix.KeyctlSearch(ring, typ, desc, 0)
	if err != nil {
		return 0, sysErr("search "+typ+" key", err)
	}
	return id, nil
}
