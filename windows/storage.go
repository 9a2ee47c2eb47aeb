package windows

import (
	"context"
	"errors"
	"fmt"

	"github.com/moneypenny-go/keyring/secret"
)

// loaded is an item read back from its credentials.
type loaded struct {
	header
	head   headInfo
	secret []byte // nil unless asked for
}

// load reads the item whose head is at target. Without withSecret it reads
// the parts only if the metadata line does not fit in the head.
func (k *Keyring) load(ctx context.Context, target string, withSecret bool) (*loaded, error) {
	c, err := k.api.read(target)
	if err != nil {
		return nil, fmt.Errorf("windows: read %q: %w", target, err)
	}
	defer secret.Wipe(c.Blob)
	return k.loadFrom(ctx, c, withSecret)
}

// retries bounds how often a reader re-reads a head whose parts vanished
// under it (a concurrent writer replaced them).
const retries = 3

// loadFrom is load with the head credential already read.
func (k *Keyring) loadFrom(ctx context.Context, c *credential, withSecret bool) (*loaded, error) {
	for attempt := 0; ; attempt++ {
		hi, ours, err := parseHead(c.Blob)
		if !ours {
			return nil, fmt.Errorf("windows: %q is not a moneypenny credential: %w", c.Target, secret.ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		if !withSecret {
			h, _, complete, err := decodeHeader(hi.payload)
			if err != nil {
				return nil, err
			}
			if complete {
				return &loaded{header: h, head: hi}, nil
			}
		}
		parts, err := k.readParts(ctx, c.Target, hi)
		if errors.Is(err, errPartMissing) && attempt < retries {
			// A writer committed a new generation and removed the parts
			// this head named: read the new head.
			target := c.Target
			if c, err = k.api.read(target); err != nil {
				return nil, fmt.Errorf("windows: read %q: %w", target, err)
			}
			defer secret.Wipe(c.Blob)
			continue
		}
		if err != nil {
			return nil, err
		}
		r, err := decode(hi, parts)
		for _, p := range parts {
			secret.Wipe(p)
		}
		if err != nil {
			return nil, err
		}
		l := &loaded{header: r.header, head: hi, secret: r.secret}
		if !withSecret {
			secret.Wipe(l.secret)
			l.secret = nil
		}
		return l, nil
	}
}

var errPartMissing = fmt.Errorf("windows: a part of a large secret is missing: %w", secret.ErrCorrupt)

// readParts reads parts 1..n-1 of a head's generation.
func (k *Keyring) readParts(ctx context.Context, head string, hi headInfo) ([][]byte, error) {
	parts := make([][]byte, 0, hi.parts-1)
	for i := 1; i < hi.parts; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := k.api.read(partName(head, hi.gen, i))
		if errors.Is(err, secret.ErrNotFound) {
			err = errPartMissing
		}
		if err != nil {
			for _, q := range parts {
				secret.Wipe(q)
			}
			return nil, err
		}
		parts = append(parts, p.Blob)
	}
	return parts, nil
}

// store writes r at target. The head is the commit point: new parts first
// (under a fresh generation), then the head, then the parts of the previous
// generation old (nil for a new item) are removed.
func (k *Keyring) store(ctx context.Context, target string, r *record, old *headInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := encode(r, newGeneration())
	if err != nil {
		return err
	}
	defer e.wipe()
	var written []string
	undo := func() {
		for _, t := range written {
			_ = k.api.remove(t)
		}
	}
	for i, p := range e.parts {
		if err := ctx.Err(); err != nil {
			undo()
			return err
		}
		name := partName(target, e.gen, i+1)
		c := &credential{Target: name, Comment: fmt.Sprintf("moneypenny: part %d of %d", i+2, len(e.parts)+1), Blob: p}
		if err := k.api.write(c); err != nil {
			undo()
			return fmt.Errorf("windows: write %q: %w", name, err)
		}
		written = append(written, name)
	}
	head := &credential{
		Target:   target,
		Comment:  displayString(r.Label, maxCommentLen),
		UserName: displayString(r.Attributes["username"], maxUserNameLen),
		Blob:     e.head,
	}
	if err := k.api.write(head); err != nil {
		undo()
		return fmt.Errorf("windows: write %q: %w", target, err)
	}
	if old != nil && old.gen != e.gen {
		for i := 1; i < old.parts; i++ {
			_ = k.api.remove(partName(target, old.gen, i))
		}
	}
	return nil
}

// removeItem deletes the head at target, then every part of any generation
// (leftovers of an interrupted write included).
func (k *Keyring) removeItem(target string) error {
	if err := k.api.remove(target); err != nil {
		return fmt.Errorf("windows: delete %q: %w", target, err)
	}
	parts, err := k.api.enumerate(partsPrefix(target))
	if err != nil {
		return fmt.Errorf("windows: enumerate parts of %q: %w", target, err)
	}
	defer wipeAll(parts)
	for _, p := range parts {
		if err := k.api.remove(p.Target); err != nil && !errors.Is(err, secret.ErrNotFound) {
			return fmt.Errorf("windows: delete %q: %w", p.Target, err)
		}
	}
	return nil
}
