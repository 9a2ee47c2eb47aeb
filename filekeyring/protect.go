package filekeyring

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moneypenny-go/keyring/secret"
)

// Files the user protected. A keyring whose mode has no owner write bit
// (chmod 0444) or that sits on a read-only file system is read as usual and
// never rewritten: writes fail with secret.ErrReadOnly and leave the file
// and its mode alone. The mode is checked explicitly, because every write
// replaces the file by rename, which the file's own permission bits do not
// govern (only the directory's), and root ignores them anyway.
//
// A keyring path that is a symbolic link is written through: the new
// version replaces the link's target, next to it, and the link stays.

// maxLinks bounds how many symbolic links resolve follows, as the kernel's
// ELOOP does.
const maxLinks = 40

// checkPath refuses a path that can only name a directory.
func checkPath(path string) error {
	if path == "" || os.IsPathSeparator(path[len(path)-1]) {
		return fmt.Errorf("filekeyring: %q names a directory, not a keyring file: %w", path, secret.ErrInvalidArgument)
	}
	return nil
}

// target returns the file writes replace: k.path, or the file a symbolic
// link there points to, through any chain of links. The target need not
// exist yet.
func (k *Keyring) target() (string, error) {
	p := k.path
	for range maxLinks {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if !fi.Mode().IsRegular() {
				return "", fmt.Errorf("%s is not a regular file: %w", p, secret.ErrInvalidArgument)
			}
			return p, nil
		}
		if k.opts.checkDirs {
			return "", fmt.Errorf("%s is a symbolic link, which is not followed in a directory we do not trust: %w", p, fs.ErrPermission)
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			// Relative to the link's real directory, as the kernel
			// resolves it (a lexical join would get "../x" wrong below a
			// symlinked directory).
			dir, err := filepath.EvalSymlinks(filepath.Dir(p))
			if err != nil {
				return "", err
			}
			dest = filepath.Join(dir, dest)
		}
		p = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", k.path)
}

// writable refuses a file whose owner write bit is off.
func writable(fi fs.FileInfo) error {
	if fi != nil && fi.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("the file is read-only (mode %04o); it is left as it is (chmod u+w to allow changes): %w",
			fi.Mode().Perm(), secret.ErrReadOnly)
	}
	return nil
}

// readOnlyFS marks an error from a read-only file system as
// secret.ErrReadOnly.
func readOnlyFS(err error) error {
	if err != nil && isReadOnlyFS(err) && !errors.Is(err, secret.ErrReadOnly) {
		return fmt.Errorf("%w: %w", secret.ErrReadOnly, err)
	}
	return err
}

// checkTrust enforces WithUntrustedDirectory: every existing directory from
// the root down to the keyring's own is a real directory owned by this
// user, and the keyring file is not a symbolic link. Directories that do
// not exist yet are created by us, and so are ours.
func (k *Keyring) checkTrust() error {
	if !k.opts.checkDirs {
		return nil
	}
	dir := filepath.Dir(k.path)
	root := dir
	if k.opts.untrusted != "" {
		abs, err := filepath.Abs(k.opts.untrusted)
		if err != nil {
			return err
		}
		root = abs
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s is not inside %s: %w", k.path, root, secret.ErrInvalidArgument)
	}
	// The root itself may be reached through links the user made (a
	// ~/.var on another disk); below it, nothing is followed.
	fi, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := ownedDir(root, fi); err != nil {
		return err
	}
	p := root
	if rel != "." {
		for _, elem := range strings.Split(rel, string(filepath.Separator)) {
			p = filepath.Join(p, elem)
			fi, err := os.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			if fi.Mode()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%s is a symbolic link, which is not followed in a directory we do not trust: %w", p, fs.ErrPermission)
			}
			if err := ownedDir(p, fi); err != nil {
				return err
			}
		}
	}
	if fi, err := os.Lstat(k.path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link, which is not followed in a directory we do not trust: %w", k.path, fs.ErrPermission)
	}
	return nil
}

func ownedDir(p string, fi fs.FileInfo) error {
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory: %w", p, secret.ErrInvalidArgument)
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("%s is owned by uid %d, not by this user (uid %d); refusing to use a keyring there: %w",
			p, uid, os.Geteuid(), fs.ErrPermission)
	}
	return nil
}

// writeTarget is where update writes, after the checks that need no lock:
// trust, the link's target, and the mode of the file that is there.
func (k *Keyring) writeTarget() (string, error) {
	if err := k.checkTrust(); err != nil {
		return "", err
	}
	target, err := k.target()
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(target); err == nil {
		if err := writable(fi); err != nil {
			return "", err
		}
	}
	return target, nil
}
