package filekeyring

import (
	"bytes"
	"crypto/cipher"
	"fmt"

	"github.com/moneypenny-go/keyring/internal/gvariant"
	"github.com/moneypenny-go/keyring/internal/legacykeyring"
	"github.com/moneypenny-go/keyring/internal/prefault"
	"github.com/moneypenny-go/keyring/secret"
)

// magic starts both libsecret's v1 files and gnome-keyring's v0 files; only
// the two version bytes after it tell them apart.
const magic = "GnomeKeyring\n\r\x00\n"

const headerSize = len(magic) + 2

// contents is one keyring file decoded: the header fields and the items,
// still encrypted. Unchanged items are written back byte for byte, so items
// this process cannot decrypt are preserved exactly.
type contents struct {
	salt       []byte
	iterations uint32
	modified   uint64
	usage      uint32
	items      []*stored

	// index maps name + "\x00" + hash to item positions, built by the first
	// search and dropped with the contents: any change makes new contents.
	index    map[string][]int
	searched bool
	// byID maps item IDs to items, built by the first lookup by ID and
	// dropped with the contents like index, so that touching every item
	// of a large keyring through its handle costs linear time.
	byID map[string]*stored
}

// stored is one item as it sits in the file.
type stored struct {
	id     string // this process's handle for the item, see Keyring.ids
	hashed []gvariant.BytesPair
	blob   []byte
	// check caches whether the MAC verifies under the current key:
	// unchecked until first needed, so opening a large file costs one MAC
	// rather than one per item.
	check verdict
	// meta caches the label, attributes and times once decrypted (never
	// the secret): a stored item never changes, edits make a new one.
	meta *decrypted
}

// metadata returns the item's label, attributes and times, decrypting once.
// The result is shared: callers copy what they hand out.
func (s *stored) metadata(key []byte) (*decrypted, error) {
	if s.meta == nil {
		d, err := s.decrypt(key)
		if err != nil {
			return nil, err
		}
		secret.Wipe(d.secret)
		d.secret = nil
		s.meta = d
	}
	return s.meta, nil
}

type verdict uint8

const (
	unchecked verdict = iota
	good
	bad
)

// valid reports whether the item verifies under key and its attributes
// match their hashes (see inspect), checking once.
func (s *stored) valid(key []byte) bool {
	if s.check == unchecked {
		s.check, _ = s.inspect(key)
	}
	return s.check == good
}

func newContents() (*contents, error) {
	salt, err := newSalt()
	if err != nil {
		return nil, err
	}
	return &contents{salt: salt, iterations: defaultIterations}, nil
}

// parse decodes a keyring file, refusing anything that is not libsecret's
// format v1.0. The error names the reason; the caller adds the path. The
// result aliases data, which the caller must not modify afterwards.
func parse(data []byte) (*contents, error) {
	if len(data) < headerSize || string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("not a keyring file (no GnomeKeyring header): %w", secret.ErrUnsupportedFormat)
	}
	major, minor := data[len(magic)], data[len(magic)+1]
	switch {
	case legacykeyring.IsLegacy(data):
		return nil, fmt.Errorf("gnome-keyring's legacy v0 format, read-only here (import it with `moneypenny migrate --from-file`): %w",
			secret.ErrUnsupportedFormat)
	case major != 1 || minor != 0:
		return nil, fmt.Errorf("format version %d.%d, only 1.0 is supported: %w", major, minor, secret.ErrUnsupportedFormat)
	}
	f, err := gvariant.DecodeFile(data[headerSize:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", secret.ErrCorrupt, err)
	}
	if int(f.SaltSize) != len(f.Salt) || len(f.Salt) == 0 {
		return nil, fmt.Errorf("salt of %d bytes, header says %d: %w", len(f.Salt), f.SaltSize, secret.ErrCorrupt)
	}
	if f.Iterations == 0 || f.Iterations > maxIterations {
		return nil, fmt.Errorf("iteration count %d out of range 1..%d: %w", f.Iterations, maxIterations, secret.ErrCorrupt)
	}
	c := &contents{
		salt:       bytes.Clone(f.Salt),
		iterations: f.Iterations,
		modified:   f.Modified,
		usage:      f.Usage,
		items:      make([]*stored, len(f.Items)),
	}
	// Blobs and hashes alias data, which nothing writes to: a large file
	// is held once, not copied item by item. The items live in one slab:
	// one allocation instead of one per item.
	slab := make([]stored, len(f.Items))
	prefault.Slice(slab)
	for i, it := range f.Items {
		slab[i] = stored{blob: it.Blob, hashed: it.Attributes}
		c.items[i] = &slab[i]
	}
	return c, nil
}

// encode serialises c as libsecret writes it.
func (c *contents) encode() []byte {
	f := &gvariant.File{
		SaltSize:   uint32(len(c.salt)),
		Salt:       c.salt,
		Iterations: c.iterations,
		Modified:   c.modified,
		Usage:      c.usage,
		Items:      make([]gvariant.HashedItem, len(c.items)),
	}
	for i, s := range c.items {
		f.Items[i] = gvariant.HashedItem{Attributes: s.hashed, Blob: s.blob}
	}
	out := make([]byte, 0, headerSize+64+len(c.items)*256)
	out = append(out, magic...)
	out = append(out, 1, 0)
	return append(out, gvariant.EncodeFile(f)...)
}

// clone copies the item list so a failed write leaves c untouched; the
// items themselves are immutable once stored.
func (c *contents) clone() *contents {
	n := *c
	n.items = append([]*stored(nil), c.items...)
	n.index, n.searched, n.byID = nil, false, nil
	return &n
}

// forgetChecks drops cached verdicts after the key changed.
func (c *contents) forgetChecks() {
	for _, s := range c.items {
		s.check, s.meta = unchecked, nil
	}
}

// search returns the items matching query (already hashed), in file order,
// through the index of the first queried attribute.
func (c *contents) search(query []gvariant.BytesPair) []*stored {
	if len(query) == 0 {
		return c.items
	}
	if c.index == nil && !c.searched {
		// One search (a CLI lookup) is cheaper as a scan than as an index
		// built and thrown away; a second one pays for the index.
		c.searched = true
		var out []*stored
		for _, s := range c.items {
			if s.matches(query) {
				out = append(out, s)
			}
		}
		return out
	}
	if c.index == nil {
		c.index = make(map[string][]int, len(c.items))
		for i, s := range c.items {
			for _, h := range s.hashed {
				k := h.Name + "\x00" + string(h.Value)
				c.index[k] = append(c.index[k], i)
			}
		}
	}
	var out []*stored
	for _, i := range c.index[query[0].Name+"\x00"+string(query[0].Value)] {
		if c.items[i].matches(query) {
			out = append(out, c.items[i])
		}
	}
	return out
}

// hashAttributes builds the sorted name → HMAC(value) dictionary.
func hashAttributes(key []byte, attrs secret.Attributes) []gvariant.BytesPair {
	// Names is in byte order: libsecret sorts with strcmp.
	out := make([]gvariant.BytesPair, 0, len(attrs))
	for _, n := range attrs.Names() {
		out = append(out, gvariant.BytesPair{Name: n, Value: hashValue(key, attrs[n])})
	}
	return out
}

// matches is libsecret's search: every queried name is present with an
// equal hash; extra attributes on the item do not matter.
func (s *stored) matches(query []gvariant.BytesPair) bool {
	for _, q := range query {
		found := false
		for _, h := range s.hashed {
			if h.Name == q.Name {
				found = bytes.Equal(h.Value, q.Value)
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// decrypted is an item's plaintext. Secret must be wiped by whoever ends up
// holding it.
type decrypted struct {
	attrs    secret.Attributes
	label    string
	created  uint64
	modified uint64
	secret   []byte
}

// openSecret decrypts the item's secret alone. The item's whole payload was
// decoded and checked by valid (inspect) before: here only its framing is
// read, which spares building its attributes and label on every read.
func (s *stored) openSecret(key []byte, block cipher.Block) ([]byte, error) {
	if !s.valid(key) {
		return nil, errMAC
	}
	plain, err := decryptWith(block, s.blob)
	if err != nil {
		return nil, err
	}
	defer secret.Wipe(plain)
	v, err := gvariant.DecodeItemSecret(plain)
	if err != nil {
		return nil, fmt.Errorf("item payload: %w: %w", secret.ErrCorrupt, err)
	}
	return v, nil
}

func (s *stored) decrypt(key []byte) (*decrypted, error) {
	if !s.valid(key) {
		return nil, errMAC
	}
	plain, err := decryptBlob(key, s.blob)
	if err != nil {
		return nil, err
	}
	defer secret.Wipe(plain)
	it, err := gvariant.DecodeItem(plain)
	if err != nil {
		return nil, fmt.Errorf("item payload: %w: %w", secret.ErrCorrupt, err)
	}
	d := &decrypted{attrs: make(secret.Attributes, len(it.Attributes)), label: it.Label,
		created: it.Created, modified: it.Modified, secret: it.Secret}
	for _, a := range it.Attributes {
		d.attrs[a.Name] = a.Value
	}
	return d, nil
}

// encrypt builds the stored form of an item.
func encrypt(key []byte, d *decrypted) (*stored, error) {
	return encryptHashed(key, d, hashAttributes(key, d.attrs))
}

// encryptHashed is encrypt with the attribute hashes already computed.
func encryptHashed(key []byte, d *decrypted, hashed []gvariant.BytesPair) (*stored, error) {
	it := &gvariant.Item{Label: d.label, Created: d.created, Modified: d.modified, Secret: d.secret}
	for _, n := range d.attrs.Names() {
		it.Attributes = append(it.Attributes, gvariant.StringPair{Name: n, Value: d.attrs[n]})
	}
	plain := gvariant.EncodeItem(it)
	defer secret.Wipe(plain)
	blob, err := seal(key, plain)
	if err != nil {
		return nil, err
	}
	return &stored{hashed: hashed, blob: blob, check: good}, nil
}
