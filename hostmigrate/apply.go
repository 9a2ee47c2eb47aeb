package hostmigrate

import (
	"context"
	"fmt"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/secret"
)

// apply decides every candidate against what dst holds, writes the movers in
// one Import, fills the report, and returns the entries whose source copy may
// now be deleted (moved or already present). On error nothing was written
// and nothing may be deleted.
func apply(ctx context.Context, dst *filekeyring.Keyring, cands []*candidate, opts Options, rep *Report, progress *progress) ([]Entry, error) {
	existing, err := dst.Records(ctx)
	if err != nil {
		for _, c := range cands {
			e := c.entry
			e.Reason = "not written: the file keyring cannot be read: " + err.Error()
			rep.Failed = append(rep.Failed, e)
		}
		return nil, fmt.Errorf("hostmigrate: read the file keyring (nothing was deleted on the host): %w", err)
	}
	file := make([]held, len(existing))
	for i, r := range existing {
		file[i] = held{attrs: r.Attributes, value: r.Secret}
	}
	verdicts := decide(file, cands, opts.Replace)
	for _, r := range existing {
		r.Secret.Wipe()
	}

	var recs []filekeyring.Record
	var moved, present []Entry
	for i, c := range cands {
		switch verdicts[i] {
		case toMove:
			recs = append(recs, filekeyring.Record{
				Label:      c.entry.Label,
				Attributes: fileAttributes(file, c.entry.Attributes),
				Secret:     c.value.Clone(),
				Created:    c.created,
				Modified:   c.modified,
			})
			moved = append(moved, c.entry)
		case toKeep:
			present = append(present, c.entry)
		case toSkip:
			rep.Skipped = append(rep.Skipped, c.entry)
			progress.step()
		}
	}
	if !opts.DryRun && len(recs) > 0 {
		_, _, err := dst.Import(ctx, recs, opts.Replace)
		for _, r := range recs {
			r.Secret.Wipe()
		}
		if err != nil {
			for _, e := range moved {
				e.Reason = "not written: " + err.Error()
				rep.Failed = append(rep.Failed, e)
			}
			rep.AlreadyPresent = append(rep.AlreadyPresent, present...)
			return nil, fmt.Errorf("hostmigrate: write the file keyring (nothing was deleted on the host): %w", err)
		}
	}
	rep.Moved = append(rep.Moved, moved...)
	rep.AlreadyPresent = append(rep.AlreadyPresent, present...)
	return append(moved, present...), nil
}

// progress counts items that reached their final state.
type progress struct {
	fn          func(done, total int)
	done, total int
}

func newProgress(fn func(done, total int), total int) *progress {
	p := &progress{fn: fn, total: total}
	if fn != nil {
		fn(0, total)
	}
	return p
}

func (p *progress) step() {
	p.done++
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
}

// finish counts n items as done at once (moved items when there is no
// deletion to wait for).
func (p *progress) finish(n int) {
	if n == 0 {
		return
	}
	p.done += n
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
}

func wipeAll(cands []*candidate) {
	for _, c := range cands {
		c.value.Wipe()
	}
}

// fileAttributes is the attribute set to write for a candidate: its own,
// or, when it replaces a file item that differs from it only by
// xdg:schema (see sameAttributes), that item's exact set, so the file's
// replace-by-exact-set finds the item instead of adding a second one.
func fileAttributes(file []held, attrs secret.Attributes) secret.Attributes {
	for _, h := range file {
		if !h.attrs.Equal(attrs) && sameAttributes(h.attrs, attrs) {
			return h.attrs.Clone()
		}
	}
	return attrs.Clone()
}
