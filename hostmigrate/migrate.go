package hostmigrate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/secret"
)

// Migrate copies the host items matching any of queries into dst and then
// deletes them on the host (see the package documentation for the
// guarantees). Each query is a subset match, as in SearchItems; pass
// secret.Attributes{} to mean every item, which is never assumed: an empty
// queries slice is an error, because migrating every host secret into one
// application's file would take them away from every other application.
//
// Locked host items are unlocked through the host's prompt (bounded by ctx);
// items still locked after that are reported as Failed. The returned error is
// non-nil only when the migration as a whole could not proceed (the search,
// the unlock or the file write failed, or ctx ended); the host is then left
// untouched unless the error says the write succeeded.
func Migrate(ctx context.Context, host *dbusservice.Service, dst *filekeyring.Keyring, queries []secret.Attributes, opts Options) (Report, error) {
	var rep Report
	if host == nil || dst == nil {
		return rep, fmt.Errorf("hostmigrate: nil service or keyring: %w", secret.ErrInvalidArgument)
	}
	if len(queries) == 0 {
		return rep, fmt.Errorf("hostmigrate: no query (pass an empty attribute set to migrate every item): %w", secret.ErrInvalidArgument)
	}
	items, locked, err := find(ctx, host, queries, opts.Collection)
	if err != nil {
		return rep, err
	}
	total := len(items) + len(locked)
	progress := newProgress(opts.Progress, total)

	if len(locked) > 0 && !opts.DryRun {
		paths := make([]dbus.ObjectPath, len(locked))
		for i, it := range locked {
			paths[i] = it.Path()
		}
		unlocked, err := host.Unlock(ctx, paths...)
		if err != nil && !errors.Is(err, secret.ErrDismissed) {
			return rep, fmt.Errorf("hostmigrate: unlock host items: %w", err)
		}
		now := make(map[dbus.ObjectPath]bool, len(unlocked))
		for _, p := range unlocked {
			now[p] = true
		}
		for _, it := range locked {
			if now[it.Path()] {
				items = append(items, it)
				continue
			}
			e := describe(ctx, it)
			e.Reason = "locked: the host's unlock prompt was dismissed"
			rep.Failed = append(rep.Failed, e)
			progress.step()
		}
	}

	cands, err := read(ctx, host, items, &rep, progress)
	if err != nil {
		return Report{}, err
	}
	defer wipeAll(cands)
	if opts.DryRun {
		for _, it := range locked {
			e := describe(ctx, it)
			e.Reason = "locked on the host: a real run asks the host to unlock it"
			rep.Moved = append(rep.Moved, e)
		}
		progress.finish(len(locked))
	}
	hostItems := make(map[string]*dbusservice.Item, len(items))
	for _, it := range items {
		hostItems[string(it.Path())] = it
	}
	toDelete, err := apply(ctx, dst, cands, opts, &rep, progress)
	if err != nil || opts.DryRun || opts.Keep {
		if err == nil {
			progress.finish(len(toDelete))
		}
		return rep, err
	}
	for _, e := range toDelete {
		if err := hostItems[e.HostPath].Delete(ctx); err != nil {
			e.Reason = "deleting the host copy: " + err.Error()
			rep.HostDeleteFailed = append(rep.HostDeleteFailed, e)
		}
		progress.step()
	}
	if ctx.Err() != nil && len(rep.HostDeleteFailed) > 0 {
		return rep, fmt.Errorf("hostmigrate: copied into the file, but deleting host items stopped: %w", ctx.Err())
	}
	return rep, nil
}

// find runs every query and returns the distinct matches, unlocked and
// locked, in the order the host listed them. Overlapping queries find the
// same item twice; the path says it is one item.
func find(ctx context.Context, host *dbusservice.Service, queries []secret.Attributes, collection string) (unlocked, locked []*dbusservice.Item, err error) {
	prefix := ""
	if collection != "" {
		c, err := host.Collection(ctx, collection)
		if err != nil {
			return nil, nil, fmt.Errorf("hostmigrate: host collection %q: %w", collection, err)
		}
		prefix = string(c.Path()) + "/"
	}
	seen := make(map[dbus.ObjectPath]bool)
	keep := func(dst []*dbusservice.Item, items []*dbusservice.Item) []*dbusservice.Item {
		for _, it := range items {
			p := it.Path()
			if seen[p] || !strings.HasPrefix(string(p), prefix) {
				continue
			}
			seen[p] = true
			dst = append(dst, it)
		}
		return dst
	}
	for _, q := range queries {
		u, l, err := host.SearchItems(ctx, q)
		if err != nil {
			return nil, nil, fmt.Errorf("hostmigrate: search host items %v: %w", q, err)
		}
		unlocked = keep(unlocked, u)
		locked = keep(locked, l)
	}
	return unlocked, locked, nil
}

// describe is the report entry of a host item whose secret was not read.
func describe(ctx context.Context, it *dbusservice.Item) Entry {
	e := Entry{HostPath: string(it.Path())}
	e.Label, _ = it.Label(ctx)
	if attrs, err := it.Attributes(ctx); err == nil {
		e.Attributes = ownAttributes(attrs, e.Label)
	}
	return e
}

// read fetches label, attributes and times of every item and their secrets
// in one GetSecrets call. An item the host fails to describe is reported and
// left out; an error of the call as a whole aborts the migration.
func read(ctx context.Context, host *dbusservice.Service, items []*dbusservice.Item, rep *Report, progress *progress) ([]*candidate, error) {
	if len(items) == 0 {
		return nil, nil
	}
	values, err := host.GetSecrets(ctx, items...)
	if err != nil {
		return nil, fmt.Errorf("hostmigrate: read host secrets: %w", err)
	}
	cands := make([]*candidate, 0, len(items))
	for _, it := range items {
		c, err := readItem(ctx, it, values[it.Path()])
		if err != nil {
			if ctx.Err() != nil {
				wipeAll(cands)
				wipeValues(values)
				return nil, fmt.Errorf("hostmigrate: read host items: %w", ctx.Err())
			}
			e := describe(ctx, it)
			e.Reason = err.Error()
			rep.Failed = append(rep.Failed, e)
			progress.step()
			continue
		}
		delete(values, it.Path())
		cands = append(cands, c)
	}
	wipeValues(values)
	return cands, nil
}

func readItem(ctx context.Context, it *dbusservice.Item, v *secret.Value) (*candidate, error) {
	if v == nil {
		return nil, errors.New("the host returned no secret for this item")
	}
	c := &candidate{entry: Entry{HostPath: string(it.Path())}, value: v}
	var err error
	if c.entry.Label, err = it.Label(ctx); err != nil {
		return nil, err
	}
	attrs, err := it.Attributes(ctx)
	if err != nil {
		return nil, err
	}
	c.entry.Attributes = ownAttributes(attrs, c.entry.Label)
	if c.created, err = it.Created(ctx); err != nil {
		return nil, err
	}
	if c.modified, err = it.Modified(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func wipeValues(m map[dbus.ObjectPath]*secret.Value) {
	for _, v := range m {
		v.Wipe()
	}
}
