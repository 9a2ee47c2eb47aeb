package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/hostmigrate"
	"github.com/moneypenny-go/keyring/secret"
)

// cmdMigrate moves host Secret Service items (or a keyring file's items)
// into the file keyring: the sandbox's own keyring when run inside Flatpak or
// Snap, or the file named with --backend file / --keyring / --app-id.
func cmdMigrate(ctx context.Context, c *cli, args []string) error {
	query, err := attrPairs(args, c.fromFile == "")
	if err != nil {
		return err
	}
	kr, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer kr.Close()
	dst, err := fileStore(kr, "migrate")
	if err != nil {
		return err
	}
	opts := hostmigrate.Options{
		Collection: c.g.collection,
		Keep:       c.keep,
		Replace:    c.replace,
		DryRun:     c.dryRun,
	}
	var bar *progressBar
	if !c.json && isTerminal(c.io.stderr) {
		bar = &progressBar{w: c.io.stderr}
		opts.Progress = bar.update
	}

	var report hostmigrate.Report
	if c.fromFile != "" {
		pw, from, perr := c.sourcePassword(ctx)
		if perr != nil {
			return perr
		}
		report, err = hostmigrate.ImportFile(ctx, dst, c.fromFile, pw, opts)
		secret.Wipe(pw)
		err = wrongPassword(err, from)
	} else {
		var svc *dbusservice.Service
		svc, err = dbusservice.Connect(ctx, c.hostBusOptions()...)
		if err != nil {
			return fmt.Errorf("migrate: the host Secret Service: %w", err)
		}
		report, err = hostmigrate.Migrate(ctx, svc, dst, []secret.Attributes{query}, opts)
		svc.Close()
	}
	bar.done()
	if c.json {
		if jerr := writeJSON(c.io.stdout, newMigrateJSON(report, c.dryRun)); jerr != nil {
			return jerr
		}
	} else {
		writeReport(c.io.stdout, report, c.dryRun)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(report.Failed) > 0 || len(report.HostDeleteFailed) > 0 {
		return fmt.Errorf("migrate: %d item(s) failed, %d copied but not deleted from the host",
			len(report.Failed), len(report.HostDeleteFailed))
	}
	return nil
}

// migrateJSON is the report as `migrate --json` prints it: snake_case
// names like the other verbs' JSON, and every list present ([] when empty),
// so a script can index it without checking for null.
type migrateJSON struct {
	DryRun           bool               `json:"dry_run"`
	Moved            []migrateEntryJSON `json:"moved"`
	AlreadyPresent   []migrateEntryJSON `json:"already_present"`
	Skipped          []migrateEntryJSON `json:"skipped"`
	Failed           []migrateEntryJSON `json:"failed"`
	HostDeleteFailed []migrateEntryJSON `json:"host_delete_failed"`
}

type migrateEntryJSON struct {
	Label      string            `json:"label"`
	Attributes secret.Attributes `json:"attributes"`
	// HostPath is the host item's object path, or the source file.
	HostPath string `json:"host_path,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func newMigrateJSON(r hostmigrate.Report, dryRun bool) migrateJSON {
	list := func(entries []hostmigrate.Entry) []migrateEntryJSON {
		out := make([]migrateEntryJSON, 0, len(entries))
		for _, e := range entries {
			out = append(out, migrateEntryJSON{Label: e.Label, Attributes: e.Attributes.Clone(), HostPath: e.HostPath, Reason: e.Reason})
		}
		return out
	}
	return migrateJSON{
		DryRun:           dryRun,
		Moved:            list(r.Moved),
		AlreadyPresent:   list(r.AlreadyPresent),
		Skipped:          list(r.Skipped),
		Failed:           list(r.Failed),
		HostDeleteFailed: list(r.HostDeleteFailed),
	}
}

// hostBusOptions connect to the session bus from the environment the CLI was
// given.
func (c *cli) hostBusOptions() []dbusservice.Option {
	var opts []dbusservice.Option
	if a := c.io.getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		opts = append(opts, dbusservice.WithAddress(a))
	}
	return opts
}

func writeReport(w io.Writer, r hostmigrate.Report, dryRun bool) {
	for _, e := range r.Failed {
		fmt.Fprintf(w, "failed: %s %v: %s\n", e.Label, e.Attributes, e.Reason)
	}
	for _, e := range r.HostDeleteFailed {
		fmt.Fprintf(w, "copied but still on the host: %s %v: %s\n", e.Label, e.Attributes, e.Reason)
	}
	verb := "moved"
	if dryRun {
		verb = "would move"
	}
	fmt.Fprintf(w, "%s %d, already present %d, skipped %d, failed %d\n",
		verb, len(r.Moved), len(r.AlreadyPresent), len(r.Skipped), len(r.Failed))
}

// progressBar draws "migrating [=====     ] 12/40" on a terminal.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (p *progressBar) update(done, total int) {
	if total <= 0 {
		return
	}
	const width = 30
	n := done * width / total
	fmt.Fprintf(p.w, "\rmigrating [%s%s] %d/%d", strings.Repeat("=", n), strings.Repeat(" ", width-n), done, total)
	p.drawn = true
}

func (p *progressBar) done() {
	if p != nil && p.drawn {
		fmt.Fprintln(p.w)
	}
}
