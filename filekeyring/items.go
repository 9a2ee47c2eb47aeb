package filekeyring

import (
	"context"
	"fmt"
	"time"

	"github.com/moneypenny-go/keyring/secret"
)

// Record is one decrypted item, for bulk import and export. Secret belongs
// to the holder, who wipes it when done.
type Record struct {
	Label      string
	Attributes secret.Attributes
	Secret     *secret.Value
	Created    time.Time
	Modified   time.Time
}

// CreateItem stores a secret. With replace, every item with exactly the
// same attribute set is removed first and the new item keeps the oldest
// one's creation time, as libsecret's store does. Exactly the given
// attributes are written: none is added. The content type is not part of
// the format; every secret reads back as text/plain, as with libsecret.
func (k *Keyring) CreateItem(ctx context.Context, label string, attrs secret.Attributes, v *secret.Value, replace bool) (secret.Item, error) {
	items, err := k.CreateItems(ctx, []secret.NewItem{{Label: label, Attributes: attrs, Secret: v, Replace: replace}})
	if err != nil {
		return nil, err
	}
	return items[0], nil
}

// CreateItems stores several items with one write of the file.
func (k *Keyring) CreateItems(ctx context.Context, items []secret.NewItem) ([]secret.Item, error) {
	recs := make([]Record, len(items))
	replace := make([]bool, len(items))
	for i, it := range items {
		if it.Secret == nil {
			return nil, fmt.Errorf("filekeyring: item %d has no secret: %w", i, secret.ErrInvalidArgument)
		}
		recs[i] = Record{Label: it.Label, Attributes: it.Attributes, Secret: it.Secret}
		replace[i] = it.Replace
	}
	ids, _, _, err := k.store(ctx, recs, replace)
	if err != nil {
		return nil, err
	}
	out := make([]secret.Item, len(ids))
	for i, id := range ids {
		out[i] = &Item{k: k, id: id}
	}
	return out, nil
}

// Import adds records in one write, keeping their creation and modification
// times (zero times become now). With replace, an item with exactly the same
// attribute set is replaced; without, it is kept and the record added.
func (k *Keyring) Import(ctx context.Context, recs []Record, replace bool) (added, replaced int, err error) {
	rep := make([]bool, len(recs))
	for i := range rep {
		rep[i] = replace
	}
	_, added, replaced, err = k.store(ctx, recs, rep)
	return added, replaced, err
}

func (k *Keyring) store(ctx context.Context, recs []Record, replace []bool) (ids []string, added, replaced int, err error) {
	for i, r := range recs {
		if err := r.Attributes.Validate(); err != nil {
			return nil, 0, 0, fmt.Errorf("filekeyring: item %d: %w", i, err)
		}
		if r.Secret == nil {
			return nil, 0, 0, fmt.Errorf("filekeyring: item %d has no secret: %w", i, secret.ErrInvalidArgument)
		}
	}
	err = k.update(ctx, func(c *contents) (bool, error) {
		ids, added, replaced = nil, 0, 0
		now := k.now()
		// Items by attribute set, built once: a batch of replacing stores
		// (an import) costs linear time, not a scan and copy of the whole
		// keyring per record. Replaced items are dropped in one pass at
		// the end, which leaves the others in file order as before.
		var bySet map[string][]*stored
		var dropped map[*stored]bool
		var key []byte
		for i, r := range recs {
			d := &decrypted{attrs: r.Attributes.Clone(), label: r.Label, created: now, modified: now, secret: r.Secret.Bytes()}
			if !r.Created.IsZero() {
				d.created = uint64(r.Created.Unix())
			}
			if !r.Modified.IsZero() {
				d.modified = uint64(r.Modified.Unix())
			}
			hashed := hashAttributes(k.key, d.attrs)
			var id string
			if replace[i] {
				if bySet == nil {
					bySet = make(map[string][]*stored, len(c.items))
					dropped = make(map[*stored]bool)
					for _, o := range c.items {
						key = attributeSetKey(key[:0], o.hashed)
						bySet[string(key)] = append(bySet[string(key)], o)
					}
				}
				key = attributeSetKey(key[:0], hashed)
				// Drop every item with exactly these attributes; the new one
				// takes the first one's identity and creation time. A
				// corrupt item is not replaced: its hashes may be another
				// item's (see integrity.go).
				var oldest *stored
				same := bySet[string(key)]
				kept := same[:0]
				for _, o := range same {
					if !o.valid(k.key) {
						kept = append(kept, o)
						continue
					}
					if oldest == nil {
						oldest = o
					}
					dropped[o] = true
				}
				bySet[string(key)] = kept
				if oldest != nil {
					replaced++
					id = oldest.id
					if r.Created.IsZero() {
						prev, err := oldest.metadata(k.key)
						if err != nil {
							return false, fmt.Errorf("read the item being replaced: %w", err)
						}
						d.created = prev.created
					}
				}
			}
			s, err := encryptHashed(k.key, d, hashed)
			if err != nil {
				return false, err
			}
			s.id = id
			if s.id == "" {
				s.id = k.newID()
				added++
			}
			c.items = append(c.items, s)
			if bySet != nil {
				key = attributeSetKey(key[:0], hashed)
				bySet[string(key)] = append(bySet[string(key)], s)
			}
			ids = append(ids, s.id)
			c.usage++
		}
		if len(dropped) > 0 {
			kept := c.items[:0]
			for _, s := range c.items {
				if !dropped[s] {
					kept = append(kept, s)
				}
			}
			clear(c.items[len(kept):])
			c.items = kept
		}
		c.modified = now
		return true, nil
	}, nil)
	return ids, added, replaced, err
}

// SearchItems returns the items having every attribute of query, in file
// order. An empty query matches every item.
func (k *Keyring) SearchItems(ctx context.Context, query secret.Attributes) ([]secret.Item, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.readable(ctx); err != nil {
		return nil, err
	}
	q := hashAttributes(k.key, query)
	var out []secret.Item
	for _, s := range k.c.search(q) {
		if s.valid(k.key) {
			out = append(out, &Item{k: k, id: s.id})
		}
	}
	return out, nil
}

// Items returns every item that decrypts with the key.
func (k *Keyring) Items(ctx context.Context) ([]secret.Item, error) {
	return k.SearchItems(ctx, nil)
}

// Delete removes every item matching query and reports how many. Nothing
// is written when nothing matches.
func (k *Keyring) Delete(ctx context.Context, query secret.Attributes) (int, error) {
	n := 0
	err := k.update(ctx, func(c *contents) (bool, error) {
		q := hashAttributes(k.key, query)
		kept := c.items[:0:0]
		n = 0
		for _, s := range c.items {
			if s.valid(k.key) && s.matches(q) {
				n++
				continue
			}
			kept = append(kept, s)
		}
		c.items = kept
		// libsecret's clear leaves the usage count and file time alone.
		return n > 0, nil
	}, nil)
	return n, err
}

// Records decrypts every readable item.
func (k *Keyring) Records(ctx context.Context) ([]Record, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.readable(ctx); err != nil {
		return nil, err
	}
	return records(k.c, k.key)
}

func records(c *contents, key []byte) ([]Record, error) {
	var out []Record
	for _, s := range c.items {
		if !s.valid(key) {
			continue
		}
		d, err := s.decrypt(key)
		if err != nil {
			continue
		}
		out = append(out, d.record())
	}
	return out, nil
}

func (d *decrypted) record() Record {
	return Record{
		Label:      d.label,
		Attributes: d.attrs,
		Secret:     secret.New(d.secret),
		Created:    time.Unix(int64(d.created), 0),
		Modified:   time.Unix(int64(d.modified), 0),
	}
}
