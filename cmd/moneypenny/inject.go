package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/moneypenny-go/keyring/internal/atomicfile"
	"github.com/moneypenny-go/keyring/secret"
)

func injectCommand() *command {
	return &command{
		name:     "inject",
		synopsis: "[-i TEMPLATE] [-o OUT]",
		summary:  "Write TEMPLATE with every vault:// reference replaced by its secret.",
		details: "References are vault://SCOPE/NAME, or {{ vault://SCOPE/NAME }} where the text after one\n" +
			"could be read as part of the path. Any reference that does not resolve is an error naming it,\n" +
			"and nothing is written. OUT is created mode 0600 and replaced atomically (a reader sees the old\n" +
			"file or the new one); without -o the result goes to stdout, without -i the template is stdin.\n" +
			vaultDetails,
		example: "moneypenny inject -i config.tmpl.toml -o config.toml",
		flags:   injectFlags,
		run:     cmdInject,
	}
}

func injectFlags(fs *flag.FlagSet, c *cli) {
	vaultEngineFlags(fs, c)
	fs.StringVar(&c.vault.in, "i", "", "read the template from `FILE` (default stdin)")
	fs.StringVar(&c.vault.out, "o", "", "write the result to `FILE`, mode 0600, atomically (default stdout)")
}

// maxTemplate bounds the template read.
const maxTemplate = 16 << 20

func cmdInject(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usageError{"inject takes -i TEMPLATE and -o OUT, no operands"}
	}
	var r io.Reader = c.io.stdin
	name := "stdin"
	if c.vault.in != "" && c.vault.in != "-" {
		f, err := os.Open(c.vault.in)
		if err != nil {
			return fmt.Errorf("inject: %w", err)
		}
		defer f.Close()
		r, name = f, c.vault.in
	}
	tmpl, err := io.ReadAll(io.LimitReader(r, maxTemplate+1))
	if err != nil {
		return fmt.Errorf("inject: read %s: %w", name, err)
	}
	if len(tmpl) > maxTemplate {
		return fmt.Errorf("inject: %s is over %d bytes", name, maxTemplate)
	}
	v, err := c.openVault(ctx)
	if err != nil {
		return err
	}
	defer v.Close()
	out, err := v.Expand(ctx, tmpl)
	if err != nil {
		return err
	}
	defer secret.Wipe(out)
	if c.vault.out == "" || c.vault.out == "-" {
		_, err := c.io.stdout.Write(out)
		return err
	}
	if err := atomicfile.Write(c.vault.out, out); err != nil {
		return fmt.Errorf("inject: %w", err)
	}
	return nil
}
