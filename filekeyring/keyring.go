package filekeyring

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moneypenny-go/keyring/internal/gvariant"
	"github.com/moneypenny-go/keyring/secret"
)

// Keyring is an open keyring file. It is safe for concurrent use, and
// several processes may use the same file: writers serialise on an advisory
// lock and every operation first picks up changes made by others.
type Keyring struct {
	path string
	opts options

	// writing is a one-slot semaphore: the in-process writer. A write
	// waits for it, then for the other processes' lock, without holding
	// mu, so that waiting honours each call's context and never blocks
	// reads or Close. done is closed by Close and ends every wait.
	writing chan struct{}
	done    chan struct{}

	mu     sync.Mutex
	closed bool
	key    []byte // nil while locked
	// block is key's AES block for reading secrets, made on the first
	// read (crypto/aes expands the key each time a block is made);
	// blockOf is the key it was made from.
	block    cipher.Block
	blockOf  []byte
	password []byte // kept to re-derive when another writer re-keys the file
	c        *contents
	seen     stamp // the file as it was when c was loaded or written
	// pin holds the file seen describes open (nil on Windows, where an
	// open file cannot be replaced). While it is open its inode cannot be
	// freed, so its number cannot be reused by a newer version of the
	// same size and time: on ext4, whose inode numbers come back at once,
	// that newer version would otherwise pass for the one we have.
	pin    *os.File
	nextID uint64
	watch  *watchState
	times  itemTimes // the items' times, see times.go

	// beforeInstall runs between the last check of the file and the
	// install of a new version; tests use it to race a writer that ignores
	// our lock into exactly that window.
	beforeInstall func()
}

// Open opens the keyring file at path, or prepares a new one there. The
// file is created by the first write, never by reading.
//
// password may be nil when WithPrompt is given; then a key found in the key
// cache (WithKeyCache) spares the prompt. A password that is given is always
// checked by deriving the key from it, warm cache or not. An empty password
// is refused with secret.ErrInvalidArgument unless WithAllowEmptyPassword is
// given. A file with items none of which decrypts with the key is a wrong
// password (secret.ErrWrongPassword) and Open fails without writing. A file
// in another format, gnome-keyring's legacy v0 one included, or a corrupt
// file fails with an error naming the file and the reason; such files are
// never overwritten.
func Open(ctx context.Context, path string, password []byte, opts ...Option) (*Keyring, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("filekeyring: %s: %w", path, err)
	}
	k := &Keyring{path: abs, writing: make(chan struct{}, 1), done: make(chan struct{})}
	for _, o := range opts {
		o(&k.opts)
	}
	if k.opts.now == nil {
		k.opts.now = func() int64 { return time.Now().Unix() }
	}
	if err := k.checkTrust(); err != nil {
		return nil, k.fail("%w", err)
	}
	if err := k.load(); err != nil {
		return nil, err
	}
	if err := k.unlock(ctx, password); err != nil {
		return nil, err
	}
	return k, nil
}

// Path returns the absolute path of the keyring file.
func (k *Keyring) Path() string { return k.path }

// Info describes the backend. ReadOnly is also true while the file is
// read-only (see the package doc).
func (k *Keyring) Info() secret.Info {
	ro := k.opts.readOnly
	if fi, err := os.Stat(k.path); err == nil && writable(fi) != nil {
		ro = true
	}
	return secret.Info{Name: "file", Persistent: true, ReadOnly: ro, Location: k.path}
}

func (k *Keyring) fail(format string, args ...any) error {
	return fmt.Errorf("filekeyring: %s: "+format, append([]any{k.path}, args...)...)
}

// load reads the file into k.c (a fresh, unsaved keyring if it is absent).
// Called with k.mu held or before k is shared.
func (k *Keyring) load() error {
	// Look before opening: opening a FIFO would block, and a directory
	// is no keyring. With an untrusted directory, a link is not followed.
	stat := os.Stat
	if k.opts.checkDirs {
		stat = os.Lstat
	}
	if fi, err := stat(k.path); err == nil && !fi.Mode().IsRegular() {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return k.fail("a symbolic link, which is not followed in a directory we do not trust: %w", fs.ErrPermission)
		}
		return k.fail("not a regular file (%v): %w", fi.Mode().Type(), secret.ErrInvalidArgument)
	}
	f, err := os.Open(k.path)
	if os.IsNotExist(err) {
		if k.c == nil || k.seen.info != nil {
			c, err := newContents()
			if err != nil {
				return err
			}
			k.adopt(c, stamp{}, nil)
		}
		return nil
	}
	if err != nil {
		return k.fail("%w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return k.fail("%w", err)
	}
	data, err := readAll(f, fi.Size())
	if err != nil {
		f.Close()
		return k.fail("%w", err)
	}
	// Everyone replaces the file by renaming a new one over it, but a
	// foreign writer could rewrite it in place: if it changed while we read
	// it, read it again, so that c and seen describe the same version.
	if fi2, err := f.Stat(); err == nil && !(stamp{info: fi2}).same(stamp{info: fi}) {
		f.Close()
		return k.load()
	}
	c, err := parse(data)
	if err != nil {
		f.Close()
		return k.fail("%w", err)
	}
	k.adopt(c, stamp{info: fi}, f)
	return nil
}

// adopt installs freshly loaded contents, carrying item IDs over from the
// previous version: an unchanged blob is the same item, and an item whose
// blob changed but whose attribute set is unique in both versions is the
// same item edited.
func (k *Keyring) adopt(c *contents, st stamp, pin *os.File) {
	if k.c != nil {
		k.carryIDs(k.c, c)
	}
	k.assignIDs(c.items)
	if k.key != nil && (k.c == nil || !bytes.Equal(k.c.salt, c.salt) || k.c.iterations != c.iterations) {
		// Re-keyed by someone else: the old key is useless now.
		k.forgetKey()
	}
	k.c = c
	k.see(st, pin)
}

// see records st as the version on disk that k.c describes, keeping pin
// (that version, open) and closing the previous one.
func (k *Keyring) see(st stamp, pin *os.File) {
	if k.pin != nil && k.pin != pin {
		k.pin.Close()
	}
	k.seen, k.pin = st, keepOpen(pin)
}

// carryIDs gives the items of c the IDs they had in old: an unchanged blob
// is the same item, and an item whose blob changed takes the ID of the one
// unclaimed old item with exactly its attribute set, when there is exactly
// one. Both matches go through maps, so a reload after another process
// changed every item costs linear time, not a comparison of every changed
// item with every old one (16,000 items: 256 million comparisons, seconds
// with the lock held). work counts the map lookups, for the test that
// keeps it linear.
func (k *Keyring) carryIDs(old, c *contents) (work int) {
	byBlob := make(map[string]*stored, len(old.items))
	for _, s := range old.items {
		byBlob[string(s.blob)] = s
	}
	used := make(map[*stored]bool, len(old.items))
	var rest []*stored
	for _, s := range c.items {
		work++
		if o, ok := byBlob[string(s.blob)]; ok && !used[o] {
			s.id = o.id
			used[o] = true
		} else {
			rest = append(rest, s)
		}
	}
	if len(rest) == 0 {
		return work
	}
	// The unclaimed old items by attribute set: how many share each set,
	// and (meaningful when that is one) which.
	type candidates struct {
		n int
		o *stored
	}
	bySet := make(map[string]*candidates)
	var key []byte
	for _, o := range old.items {
		if used[o] {
			continue
		}
		work++
		key = attributeSetKey(key[:0], o.hashed)
		if m := bySet[string(key)]; m != nil {
			m.n++
		} else {
			bySet[string(key)] = &candidates{n: 1, o: o}
		}
	}
	for _, s := range rest {
		work++
		key = attributeSetKey(key[:0], s.hashed)
		if m := bySet[string(key)]; m != nil && m.n == 1 {
			s.id = m.o.id
			m.n = 0 // claimed: a second item with this set finds none
		}
	}
	return work
}

// attributeSetKey appends an encoding of hashed to dst under which two
// sets are equal exactly when they have the same names and hashes, which is
// libsecret's replace test (g_variant_equal on the sorted dictionaries):
// each name, its nul (names are GVariant strings and hold none), the
// value's length and the value.
func attributeSetKey(dst []byte, hashed []gvariant.BytesPair) []byte {
	for _, h := range hashed {
		dst = append(dst, h.Name...)
		dst = append(dst, 0)
		dst = binary.AppendUvarint(dst, uint64(len(h.Value)))
		dst = append(dst, h.Value...)
	}
	return dst
}

func (k *Keyring) newID() string {
	k.nextID++
	return strconv.FormatUint(k.nextID, 10)
}

// assignIDs gives every item without an ID a new one. The IDs are cut from
// one string: a freshly opened file of thousands of items would otherwise
// cost an allocation per item for a few digits each.
func (k *Keyring) assignIDs(items []*stored) {
	var m uint64
	for _, s := range items {
		if s.id == "" {
			m++
		}
	}
	if m == 0 {
		return
	}
	first, last := k.nextID+1, k.nextID+m
	var all strings.Builder
	all.Grow(int(m) * decimalDigits(last))
	var scratch [20]byte
	for v := first; v <= last; v++ {
		all.Write(strconv.AppendUint(scratch[:0], v, 10))
	}
	ids, v := all.String(), first
	for _, s := range items {
		if s.id == "" {
			n := decimalDigits(v)
			s.id, ids = ids[:n], ids[n:]
			v++
		}
	}
	k.nextID = last
}

func decimalDigits(v uint64) int {
	n := 1
	for ; v >= 10; v /= 10 {
		n++
	}
	return n
}

// cacheID names the key in the key cache: the file and its salt, so a
// re-keyed file never picks up a stale key.
func (k *Keyring) cacheID() string {
	h := sha256.Sum256(append([]byte(strconv.FormatUint(uint64(k.c.iterations), 10)+":"), k.c.salt...))
	return "filekeyring:" + k.path + ":" + hex.EncodeToString(h[:8])
}

// unlock finds the key. A supplied password is always checked by deriving
// the key from it: the cache never vouches for a password, it only stands in
// for a missing one, sparing the prompt (see WithKeyCache).
func (k *Keyring) unlock(ctx context.Context, password []byte) error {
	if password != nil {
		if err := k.acceptable(password); err != nil {
			return err
		}
		return k.unlockWith(ctx, bytes.Clone(password))
	}
	if key, ok := k.cachedKey(ctx); ok {
		k.key = key
		return nil
	}
	prompt := k.opts.prompt
	if k.seen.info == nil && k.opts.newPrompt != nil {
		prompt = k.opts.newPrompt // the file does not exist: choosing its password
	}
	if prompt == nil {
		return k.fail("no password given: %w", secret.ErrLocked)
	}
	p, err := prompt(ctx)
	if err != nil {
		return k.fail("password: %w", err)
	}
	pw := bytes.Clone(p)
	secret.Wipe(p)
	if err := k.acceptable(pw); err != nil {
		return err
	}
	return k.unlockWith(ctx, pw)
}

// acceptable refuses an empty password unless WithAllowEmptyPassword was
// given: an empty variable or a stray Enter must not create, open or re-key
// a keyring by accident.
func (k *Keyring) acceptable(pw []byte) error {
	if len(pw) == 0 && !k.opts.allowEmpty {
		return k.fail("empty password (WithAllowEmptyPassword allows one): %w", secret.ErrInvalidArgument)
	}
	return nil
}

// cachedKey returns the cached key for this version of the file, if there is
// one that decrypts its items. An entry that does not is dropped.
func (k *Keyring) cachedKey(ctx context.Context) ([]byte, bool) {
	cache := k.opts.cache
	if cache == nil || k.seen.info == nil {
		return nil, false
	}
	key, ok := cache.Key(ctx, k.cacheID())
	if !ok {
		return nil, false
	}
	k.c.forgetChecks()
	if len(key) == keySize && (len(k.c.items) == 0 || k.c.anyAuthentic(key)) {
		return key, true
	}
	k.c.forgetChecks()
	secret.Wipe(key)
	_ = cache.ForgetKey(ctx, k.cacheID())
	return nil, false
}

// unlockWith derives the key from pw (which it keeps or wipes) and checks
// it against the file's items and, for a file without items, against the key
// an earlier unlock cached: the only record of the password such a file has.
func (k *Keyring) unlockWith(ctx context.Context, pw []byte) error {
	key := deriveKey(pw, k.c.salt, k.c.iterations)
	if err := ctx.Err(); err != nil {
		secret.Wipe(key)
		secret.Wipe(pw)
		return err
	}
	k.c.forgetChecks()
	if len(k.c.items) > 0 && !k.c.anyAuthentic(key) {
		k.c.forgetChecks() // the verdicts were for the wrong key
		secret.Wipe(key)
		secret.Wipe(pw)
		return k.fail("none of the %d items decrypts with this password: %w", len(k.c.items), secret.ErrWrongPassword)
	}
	cache := k.opts.cache
	if cache != nil && k.seen.info != nil && len(k.c.items) == 0 {
		if cached, ok := cache.Key(ctx, k.cacheID()); ok {
			same := subtle.ConstantTimeCompare(cached, key) == 1
			secret.Wipe(cached)
			if !same {
				secret.Wipe(key)
				secret.Wipe(pw)
				return k.fail("the keyring has no items to check the password against, and it does not derive the key cached by the last unlock (Lock forgets that key): %w",
					secret.ErrWrongPassword)
			}
		}
	}
	k.key, k.password = key, pw
	if cache != nil && k.seen.info != nil {
		_ = cache.StoreKey(ctx, k.cacheID(), key)
	}
	return nil
}

// forgetKey wipes the key; the password stays so the key can be derived
// again for a re-keyed file.
func (k *Keyring) forgetKey() {
	secret.Wipe(k.key)
	k.key = nil
	k.block, k.blockOf = nil, nil
}

// itemBlock is the AES block of the current key. k.mu is held.
func (k *Keyring) itemBlock() (cipher.Block, error) {
	if k.block == nil || len(k.blockOf) == 0 || len(k.key) != len(k.blockOf) || &k.key[0] != &k.blockOf[0] {
		b, err := aes.NewCipher(k.key)
		if err != nil {
			return nil, err
		}
		k.block, k.blockOf = b, k.key
	}
	return k.block, nil
}

// rekeyIfNeeded re-derives the key after another writer changed the salt,
// using the kept password.
func (k *Keyring) rekeyIfNeeded(ctx context.Context) error {
	if k.key != nil {
		return nil
	}
	if k.password == nil {
		return k.fail("%w", secret.ErrLocked)
	}
	pw := bytes.Clone(k.password)
	secret.Wipe(k.password)
	k.password = nil
	return k.unlockWith(ctx, pw)
}

// refresh picks up another process's changes. Called with k.mu held.
func (k *Keyring) refresh(ctx context.Context) error {
	if k.closed {
		return fmt.Errorf("filekeyring: %w", secret.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := statStamp(k.path)
	if err != nil {
		return k.fail("%w", err)
	}
	if !st.same(k.seen) {
		old := k.c
		if err := k.load(); err != nil {
			return err
		}
		k.notify(old, k.c)
	}
	return nil
}

// readable refreshes and checks that items can be decrypted.
func (k *Keyring) readable(ctx context.Context) error {
	if err := k.refresh(ctx); err != nil {
		return err
	}
	return k.rekeyIfNeeded(ctx)
}

// maxRetries bounds how often a write is re-applied because a writer that
// does not lock changed the file meanwhile.
const maxRetries = 8

// update applies change to a copy of the current contents and writes the
// result. It holds the cross-process lock, re-reads the file, and if a
// writer that ignores the lock (libsecret) replaced the file between the
// read and the write, applies change again to the fresh contents, so
// neither side's change is lost. changed=false means nothing to write.
//
// The caller must not hold k.mu: update waits for the writer slot and the
// lock without it (bounded by ctx and Close), then takes k.mu for the rest.
// change runs with k.mu held; so does committed (if not nil), once the new
// version is in place.
func (k *Keyring) update(ctx context.Context, change func(c *contents) (changed bool, err error), committed func()) error {
	if k.opts.readOnly {
		return k.fail("opened read-only: %w", secret.ErrReadOnly)
	}
	select {
	case k.writing <- struct{}{}:
		defer func() { <-k.writing }()
	case <-ctx.Done():
		return k.fail("waiting for another write in this process: %w", ctx.Err())
	case <-k.done:
		return fmt.Errorf("filekeyring: %w", secret.ErrClosed)
	}
	// A link at k.path is written through: every file operation below
	// is on its target. The lock, too, so that writers through the link
	// and to the target directly serialise.
	target, err := k.writeTarget()
	if err != nil {
		return k.fail("%w", readOnlyFS(err))
	}
	release, err := acquire(ctx, k.done, target)
	if err != nil {
		return k.fail("%w", readOnlyFS(err))
	}
	defer release()
	if err := k.checkTrust(); err != nil { // again, now that the directory exists
		return k.fail("%w", err)
	}
	dir := filepath.Dir(target)
	k.mu.Lock()
	defer k.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if err := k.readable(ctx); err != nil {
			return err
		}
		if len(k.c.items) > 0 && !k.anyOK() {
			return k.fail("none of the items decrypts with this keyring's key; refusing to write: %w", secret.ErrWrongPassword)
		}
		next := k.c.clone()
		changed, err := change(next)
		if err != nil || !changed {
			return err
		}
		data := next.encode()
		st, err := statStamp(target)
		if err != nil {
			return k.fail("%w", err)
		}
		if err := writable(st.info); err != nil {
			return k.fail("%w", err)
		}
		if !st.same(k.seen) {
			if attempt == maxRetries {
				return k.fail("the file keeps changing under us; gave up after %d attempts", maxRetries)
			}
			continue
		}
		tmp, tmpFile, err := writeTemp(target, data)
		if err != nil {
			return k.fail("write: %w", readOnlyFS(err))
		}
		// tmpFile stays open until it is installed and pinned as the
		// version we know, or discarded.
		discard := func() { tmpFile.Close(); os.Remove(tmp) }
		if err := os.Chtimes(tmp, time.Time{}, nextModTime(k.seen)); err != nil {
			discard()
			return k.fail("write: %w", err)
		}
		if k.beforeInstall != nil {
			k.beforeInstall()
		}
		if glibWriting(dir) {
			// libsecret is mid-write: it checked the file before our
			// version existed and would rename its own over ours. Let it
			// finish, then apply the change to what it wrote.
			discard()
			k.mu.Unlock() // reads and Close go on meanwhile
			err := waitForGlib(ctx, k.done, dir)
			k.mu.Lock()
			if err != nil {
				return k.fail("waiting for another writer: %w", err)
			}
			attempt-- // waiting for libsecret is not a failed attempt; ctx bounds it
			continue
		}
		// What we install is described by its own descriptor, taken before
		// the rename (which changes none of what a stamp compares): a stat
		// of the path afterwards could already see a later writer's file.
		fi, err := tmpFile.Stat()
		if err != nil {
			discard()
			return k.fail("%w", err)
		}
		after := stamp{info: fi}
		if openBlocksRename {
			tmpFile.Close()
		}
		displaced, err := install(tmp, target)
		if errors.Is(err, errRaced) {
			discard()
			continue
		}
		if err != nil {
			discard()
			return k.fail("write: %w", readOnlyFS(err))
		}
		if err := syncDir(dir); err != nil {
			tmpFile.Close()
			return k.fail("write: %w", err)
		}
		if displaced != nil {
			theirs, err := k.takeDisplaced(*displaced, target, after, tmpFile)
			if err != nil {
				tmpFile.Close()
				return err
			}
			if theirs {
				// Someone replaced the file after our check: their version
				// is now k.c; apply our change to it and install again.
				if attempt == maxRetries {
					return k.fail("the file keeps changing under us; gave up after %d attempts", maxRetries)
				}
				continue
			}
		}
		old := k.c
		firstWrite := k.seen.info == nil
		k.c = next
		k.see(after, tmpFile)
		if firstWrite && k.opts.cache != nil {
			_ = k.opts.cache.StoreKey(ctx, k.cacheID(), k.key)
		}
		if committed != nil {
			committed()
		}
		k.notify(old, next)
		return nil
	}
}

// nextModTime is the modification time a new version of the file gets:
// now, to the microsecond, and at least a microsecond after the version it
// replaces. libsecret (GLib's g_file_replace_contents) refuses to write over
// a file whose etag, its mtime in microseconds, differs from the one it
// read; but the kernel stamps files with a coarse clock (ext4 here: five
// files written in a row get the same time), so versions written within one
// tick would look the same to it, and it would rename its own, older-based
// version over ours.
func nextModTime(prev stamp) time.Time {
	t := time.Now().Truncate(time.Microsecond)
	if prev.info != nil {
		if after := prev.info.ModTime().Truncate(time.Microsecond).Add(time.Microsecond); t.Before(after) {
			t = after
		}
	}
	return t
}

func (k *Keyring) anyOK() bool {
	return k.c.anyAuthentic(k.key)
}

func (k *Keyring) find(id string) *stored {
	c := k.c
	if c.byID == nil {
		c.byID = make(map[string]*stored, len(c.items))
		for _, s := range c.items {
			c.byID[s.id] = s
		}
	}
	return c.byID[id]
}

func (k *Keyring) now() uint64 { return uint64(k.opts.now()) }

// Close forgets the key and the password and stops watchers. Further calls
// fail with secret.ErrClosed.
func (k *Keyring) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	close(k.done)
	k.forgetKey()
	secret.Wipe(k.password)
	k.password = nil
	k.stopWatch()
	k.see(stamp{}, nil)
	return nil
}

var _ secret.Store = (*Keyring)(nil)

// takeDisplaced looks at the file our install displaced. If it is the
// version our change was based on, it is removed. If another writer put it
// there after our check, its contents become k.c (so the caller re-applies
// the change on top of them) and theirs is true; a displaced file we cannot
// parse is swapped back, ours removed, and an error returned.
func (k *Keyring) takeDisplaced(name, target string, ours stamp, pin *os.File) (theirs bool, err error) {
	defer os.Remove(name)
	fi, err := os.Stat(name)
	if err != nil {
		return false, k.fail("check the replaced file: %w", err)
	}
	if k.seen.same(stamp{info: fi}) {
		return false, nil
	}
	data, err := readFile(name)
	if err != nil {
		return false, k.fail("read the file another writer left: %w", err)
	}
	c, err := parse(data)
	if err != nil {
		// Not ours to overwrite: put it back.
		if _, rerr := install(name, target); rerr != nil {
			return false, k.fail("another writer left an unreadable file (%v) and restoring it failed: %w", err, rerr)
		}
		return false, k.fail("another writer replaced the file with one we cannot read; left it in place: %w", err)
	}
	prev := k.c
	k.adopt(c, ours, pin)
	k.notify(prev, k.c)
	return true, nil
}
