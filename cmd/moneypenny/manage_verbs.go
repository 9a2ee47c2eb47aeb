package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/keyctl"
	"github.com/moneypenny-go/keyring/secret"
)

// requestedBackend is the backend named by flag or environment, if any.
func (c *cli) requestedBackend() string {
	if c.g.backend != "" {
		return c.g.backend
	}
	return c.io.getenv("MONEYPENNY_BACKEND")
}

func cmdLock(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usageError{"lock takes no arguments"}
	}
	// Dropping every cached file-keyring key is the file backend's lock: the
	// next command must derive the key from the password again.
	cacheErr := keyctl.NewKeyCache().Clear(ctx)
	if c.requestedBackend() == keyring.File || c.g.appID != "" {
		if cacheErr != nil && !errors.Is(cacheErr, secret.ErrUnavailable) {
			return fmt.Errorf("lock: forget the cached key: %w", cacheErr)
		}
		return nil
	}
	kr, err := c.open(ctx, keyring.WithAutoUnlock(false))
	if err != nil {
		return err
	}
	defer kr.Close()
	if err := kr.Lock(ctx); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return nil
}

func cmdUnlock(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usageError{"unlock takes no arguments"}
	}
	kr, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer kr.Close()
	if err := kr.Unlock(ctx); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

func cmdList(ctx context.Context, c *cli, args []string) error {
	attrs, err := attrPairs(args, false)
	if err != nil {
		return err
	}
	kr, err := c.open(ctx, keyring.WithAutoUnlock(false))
	if err != nil {
		return err
	}
	defer kr.Close()
	items, err := kr.SearchItems(ctx, attrs)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	descs := describeItems(ctx, kr, items, false, false)
	if c.json {
		return writeJSON(c.io.stdout, descs)
	}
	out := c.io.stdout
	for _, d := range descs {
		path := d.Path
		if path == "" {
			path = "no path"
		}
		fmt.Fprintf(out, "[%s]\n", path)
		fmt.Fprintf(out, "label = %s\n", d.Label)
		if !d.created.IsZero() {
			fmt.Fprintf(out, "created = %s\n", d.created.Local().Format("2006-01-02 15:04:05"))
		}
		if !d.modified.IsZero() {
			fmt.Fprintf(out, "modified = %s\n", d.modified.Local().Format("2006-01-02 15:04:05"))
		}
		if d.Locked {
			fmt.Fprintln(out, "locked = true")
		}
		for _, k := range d.Attributes.Names() {
			fmt.Fprintf(out, "attribute.%s = %s\n", k, d.Attributes[k])
		}
	}
	return nil
}

// fileStore returns the file keyring behind kr, for the verbs only it has.
func fileStore(kr *keyring.Keyring, verb string) (*filekeyring.Keyring, error) {
	fk, ok := kr.Store().(*filekeyring.Keyring)
	if !ok {
		return nil, fmt.Errorf("%s works on the file keyring, not on %s (use --backend file or --app-id): %w",
			verb, kr.Backend().Name, keyring.ErrNotSupported)
	}
	return fk, nil
}

func cmdRepair(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usageError{"repair takes no arguments"}
	}
	kr, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer kr.Close()
	fk, err := fileStore(kr, "repair")
	if err != nil {
		return err
	}
	n, err := fk.Repair(ctx)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	fmt.Fprintf(c.io.stdout, "removed %d item(s) that do not decrypt with this password\n", n)
	return nil
}

func cmdChangePassword(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usageError{"change-password takes no arguments"}
	}
	kr, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer kr.Close()
	fk, err := fileStore(kr, "change-password")
	if err != nil {
		return err
	}
	// The current password is checked by key derivation even when the
	// unlock cache opened the keyring: a warm cache must not let whoever is
	// at the keyboard re-key the file.
	cur, from, err := c.currentPassword(ctx)
	if err != nil {
		return err
	}
	from = "the current password (" + from + ")"
	if err := fk.CheckPassword(ctx, cur); err != nil {
		return fmt.Errorf("change-password: %w", wrongPassword(err, from))
	}
	pw, err := c.newPassword(ctx)
	if err != nil {
		return err
	}
	defer secret.Wipe(pw)
	if err := fk.ChangePassword(ctx, cur, pw); err != nil {
		return fmt.Errorf("change-password: %w", wrongPassword(err, from))
	}
	return nil
}

func cmdDiagnose(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usageError{"diagnose takes no arguments"}
	}
	d, err := keyring.Diagnose(ctx, c.selection()...)
	if err != nil {
		return err
	}
	if c.json {
		return writeJSON(c.io.stdout, d)
	}
	out := c.io.stdout
	sb := "none"
	if d.Sandbox.Kind != "" {
		sb = d.Sandbox.Kind
		if d.Sandbox.AppID != "" {
			sb += " (app " + d.Sandbox.AppID + ")"
		}
	}
	fmt.Fprintf(out, "sandbox:  %s: %s\n", sb, d.Sandbox.Reason)
	fmt.Fprintf(out, "portal:   %s\n", d.Portal)
	for _, b := range d.Backends {
		state := "unavailable"
		if b.Available {
			state = "available"
		}
		persist := "persistent"
		if !b.Persistent {
			persist = "NOT persistent"
		}
		fmt.Fprintf(out, "%-19s %-11s %-14s %s\n", b.Name, state, persist, b.Reason)
		if b.Location != "" {
			fmt.Fprintf(out, "%-19s location: %s\n", "", b.Location)
		}
	}
	if d.Selected == "" {
		fmt.Fprintf(out, "selected: none: %s\n", d.Why)
	} else {
		fmt.Fprintf(out, "selected: %s (%s)\n", d.Selected, d.Why)
	}
	return nil
}
