package filekeyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/moneypenny-go/keyring/internal/filelock"
	"github.com/moneypenny-go/keyring/secret"
)

// lockRetry is how often a writer polls a busy advisory lock. flock cannot
// be interrupted by a context, so the lock is taken without blocking and
// retried until the context ends.
const lockRetry = 10 * time.Millisecond

// lockPath is the sibling file whose flock serialises writers. Locking the
// keyring file itself would not work: every write replaces it by rename.
func lockPath(path string) string { return path + ".lock" }

// acquire takes the cross-process writer lock, bounded by ctx and by done
// (closed when the Keyring is).
func acquire(ctx context.Context, done <-chan struct{}, path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// The lock file is never a link: following one would create or open
	// whatever file it names. noFollow makes that race-free where the
	// system has O_NOFOLLOW; the Lstat covers the others.
	if fi, err := os.Lstat(lockPath(path)); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("lock file %s is not a regular file (%v); refusing to use it", lockPath(path), fi.Mode().Type())
	}
	f, err := os.OpenFile(lockPath(path), os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock file %s is not a regular file; refusing to use it", lockPath(path))
	}
	for {
		ok, err := filelock.TryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lockPath(path), err)
		}
		if ok {
			removeStaleTemps(path)
			return func() { _ = filelock.Unlock(f); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another writer's lock on %s: %w", lockPath(path), ctx.Err())
		case <-done:
			f.Close()
			return nil, secret.ErrClosed
		case <-time.After(lockRetry):
		}
	}
}

// errRaced means another process created the file between our check and
// our write; the operation is re-applied on its contents.
var errRaced = errors.New("the file appeared while we were writing it")

// writeTemp writes data to a new synced 0600 file next to path and returns
// its name, ready for install, and the file, still open: the caller pins
// it as the version it knows once installed (see Keyring.pin), or closes
// and removes it. The directory exists: the caller holds the writer lock,
// and acquire made the directory before taking it.
func writeTemp(path string, data []byte) (string, *os.File, error) {
	tmp, err := createTemp(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return "", nil, err
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if err != nil {
		tmp.Close()
		os.Remove(name)
		return "", nil, err
	}
	return name, tmp, nil
}

// createTemp makes a new 0600 file next to the keyring with O_EXCL, so a
// pre-planted file or symlink is never followed or reused.
func createTemp(dir, base string) (*os.File, error) {
	var buf [8]byte
	for i := 0; i < 100; i++ {
		if _, err := randRead(buf[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, fmt.Sprintf(".%s.%x.tmp", base, buf))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if os.IsExist(err) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no free temporary file name in %s", dir)
}

// stamp identifies one version of the file on disk: a writer that does not
// take our lock (libsecret) changes at least one of these.
type stamp struct {
	info os.FileInfo // nil: the file did not exist
}

func statStamp(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return stamp{}, nil
	}
	if err != nil {
		return stamp{}, err
	}
	return stamp{info: fi}, nil
}

func (s stamp) same(o stamp) bool {
	if s.info == nil || o.info == nil {
		return s.info == nil && o.info == nil
	}
	return os.SameFile(s.info, o.info) && s.info.Size() == o.info.Size() && s.info.ModTime().Equal(o.info.ModTime())
}

// removeStaleTemps deletes temporary files a killed writer left behind.
// Every writer creates its temporary file while holding the lock, so once
// we hold it, any that exist belong to nobody.
func removeStaleTemps(path string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp"))
	for _, name := range stale {
		os.Remove(name)
	}
}

// glibTempPrefix is the temporary file GLib's g_file_replace_contents, and
// so libsecret, writes next to the keyring before renaming it into place.
const glibTempPrefix = ".goutputstream-"

// staleGlibTemp is the age after which a GLib temporary file is taken for
// the leftover of a crashed writer rather than a write in progress.
const staleGlibTemp = 10 * time.Second

// glibWriting reports whether a GLib writer (libsecret) is between its own
// check of the file and its rename: while its temporary file exists, a
// write of ours could be replaced by the older-based version it is about
// to rename over the keyring.
func glibWriting(dir string) bool {
	names, _ := filepath.Glob(filepath.Join(dir, glibTempPrefix+"*"))
	for _, name := range names {
		if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) < staleGlibTemp {
			return true
		}
	}
	return false
}

// waitForGlib waits, bounded by ctx, done and staleGlibTemp, until no
// GLib writer is mid-write in dir.
func waitForGlib(ctx context.Context, done <-chan struct{}, dir string) error {
	deadline := time.Now().Add(staleGlibTemp)
	for glibWriting(dir) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return secret.ErrClosed
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}
