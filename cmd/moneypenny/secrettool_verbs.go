package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/moneypenny-go/keyring"
)

// The four verbs secret-tool has, with its syntax, output and exit codes.

func cmdStore(ctx context.Context, c *cli, args []string) error {
	attrs, err := attrPairs(args, true)
	if err != nil {
		return err
	}
	if c.label == "" {
		return usageError{"must specify a label for the new item"}
	}
	if !utf8.ValidString(c.label) {
		return usageError{"the label is not valid UTF-8"}
	}
	kr, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer kr.Close()
	b, err := c.readSecretInput(ctx)
	if err != nil {
		return err
	}
	v := secretFromInput(b)
	defer v.Wipe()
	c.warnIfVolatile(kr)
	if _, err := kr.CreateItem(ctx, c.label, attrs, v, keyring.Replace); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// secretFromInput labels what store read: text/plain for UTF-8 text, as
// secret-tool sends, and application/octet-stream for anything else (bytes
// that are not UTF-8, or a NUL byte). Providers store text as text:
// KeePassXC turns invalid UTF-8 into U+FFFD and kwalletd cuts a text secret
// at its first NUL, while both keep octet-stream secrets byte for byte.
func secretFromInput(b []byte) *keyring.Secret {
	if utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 {
		return keyring.NewSecret(b)
	}
	return keyring.NewBinarySecret(b)
}

func cmdLookup(ctx context.Context, c *cli, args []string) error {
	attrs, err := attrPairs(args, true)
	if err != nil {
		return err
	}
	kr, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer kr.Close()
	v, err := kr.Lookup(ctx, attrs)
	if errors.Is(err, keyring.ErrNotFound) {
		return errQuiet
	}
	if err != nil {
		return fmt.Errorf("lookup: %w", err)
	}
	defer v.Wipe()
	if _, err := c.io.stdout.Write(v.Bytes()); err != nil {
		return err
	}
	if isTerminal(c.io.stdout) {
		fmt.Fprintln(c.io.stdout)
	}
	return nil
}

func cmdClear(ctx context.Context, c *cli, args []string) error {
	attrs, err := attrPairs(args, true)
	if err != nil {
		return err
	}
	kr, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer kr.Close()
	n, err := kr.Delete(ctx, attrs)
	if err != nil {
		return fmt.Errorf("clear: %w", err)
	}
	if n == 0 {
		return errQuiet
	}
	return nil
}

func cmdSearch(ctx context.Context, c *cli, args []string) error {
	attrs, err := attrPairs(args, true)
	if err != nil {
		return err
	}
	kr, err := c.open(ctx, keyring.WithAutoUnlock(c.unlock))
	if err != nil {
		return err
	}
	defer kr.Close()
	items, err := kr.SearchItems(ctx, attrs)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	c.warnUnreadable(ctx, kr)
	if !c.all && len(items) > 1 {
		items = items[:1]
	}
	descs := describeItems(ctx, kr, items, true, c.unlock)
	if c.json {
		return writeJSON(c.io.stdout, descs)
	}
	for _, d := range descs {
		writeItemBlock(c, d)
	}
	return nil
}

// writeItemBlock prints one item as secret-tool does: the path, label,
// secret, times and schema on stdout, the attributes on stderr.
func writeItemBlock(c *cli, d itemDescription) {
	out := c.io.stdout
	fmt.Fprintf(out, "[%s]\n", d.header)
	fmt.Fprintf(out, "label = %s\n", d.Label)
	// An empty secret prints no line.
	if d.Secret != nil && *d.Secret != "" {
		fmt.Fprintf(out, "secret = %s\n", *d.Secret)
	}
	if !d.created.IsZero() {
		fmt.Fprintf(out, "created = %s\n", d.created.Local().Format("2006-01-02 15:04:05"))
	}
	if !d.modified.IsZero() {
		fmt.Fprintf(out, "modified = %s\n", d.modified.Local().Format("2006-01-02 15:04:05"))
	}
	if s, ok := d.Attributes["xdg:schema"]; ok {
		fmt.Fprintf(out, "schema = %s\n", s)
	}
	for _, k := range d.Attributes.Names() {
		if k == "xdg:schema" {
			continue
		}
		fmt.Fprintf(c.io.stderr, "attribute.%s = %s\n", k, d.Attributes[k])
	}
}

// printable reports whether a secret can be shown as text (secret-tool shows
// only UTF-8 secrets).
func printable(b []byte) bool { return utf8.Valid(b) }
