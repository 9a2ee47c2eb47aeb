package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// The usage, `help` and `--version`, generated from the verb table.

// writeUsage writes the usage lines of the command at path (every verb's
// when path is empty) and where to read more.
func writeUsage(w io.Writer, table, path []*command) {
	if len(path) == 0 {
		writeUsageLines(w, usageLines("moneypenny", table))
		fmt.Fprintln(w, "global options (anywhere on the line; -- ends the options):")
		writeOptions(w, globalOptions())
		fmt.Fprint(w, passwordsHelp)
		fmt.Fprintln(w, "Run 'moneypenny help VERB' for a verb's options and an example.")
		return
	}
	prefix := "moneypenny " + pathName(path[:len(path)-1])
	writeUsageLines(w, usageLines(strings.TrimSpace(prefix), path[len(path)-1:]))
	fmt.Fprintf(w, "Run 'moneypenny help %s' for its options and an example.\n", pathName(path))
}

// writeUsageLines writes lines under one "usage:", aligned.
func writeUsageLines(w io.Writer, lines []string) {
	for i, l := range lines {
		if i == 0 {
			fmt.Fprintf(w, "usage: %s\n", l)
		} else {
			fmt.Fprintf(w, "       %s\n", l)
		}
	}
}

// usageLines are "prefix name synopsis" for each visible command of table,
// one per sub-verb for a verb that has them.
func usageLines(prefix string, table []*command) []string {
	var lines []string
	for _, c := range table {
		if c.hidden {
			continue
		}
		if len(c.subs) > 0 {
			lines = append(lines, usageLines(prefix+" "+c.name, c.subs)...)
			continue
		}
		l := prefix + " " + c.name
		if c.synopsis != "" {
			l += " " + c.synopsis
		}
		lines = append(lines, l)
	}
	return lines
}

// writeHelp writes the full help of the command at path: its usage,
// description, options, the global options and an example. With an empty
// path it is the usage of every verb.
func writeHelp(w io.Writer, table, path []*command) {
	if len(path) == 0 {
		writeUsage(w, table, nil)
		return
	}
	cmd := path[len(path)-1]
	prefix := strings.TrimSpace("moneypenny " + pathName(path[:len(path)-1]))
	writeUsageLines(w, usageLines(prefix, []*command{cmd}))
	fmt.Fprintf(w, "\n%s\n", cmd.summary)
	if cmd.details != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.details)
	}
	if len(cmd.subs) > 0 {
		fmt.Fprintln(w, "\nsub-verbs:")
		for _, s := range cmd.subs {
			if !s.hidden {
				fmt.Fprintf(w, "  %-24s %s\n", s.name, s.summary)
			}
		}
	}
	if own := verbOptions(path); hasFlags(own) {
		fmt.Fprintln(w, "\noptions:")
		writeOptions(w, own)
	}
	fmt.Fprintln(w, "\nglobal options:")
	writeOptions(w, globalOptions())
	if cmd.example != "" {
		fmt.Fprintln(w, "\nexample:")
		for _, l := range strings.Split(cmd.example, "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if len(cmd.subs) > 0 {
		fmt.Fprintf(w, "\nRun 'moneypenny help %s SUB-VERB' for a sub-verb's options and an example.\n", pathName(path))
	}
}

// pathName is the command words of path: "vault set".
func pathName(path []*command) string {
	names := make([]string, len(path))
	for i, c := range path {
		names[i] = c.name
	}
	return strings.Join(names, " ")
}

// globalOptions is a flag set holding only the global options, for help.
func globalOptions() *flag.FlagSet {
	fs := flag.NewFlagSet("moneypenny", flag.ContinueOnError)
	g := globals{passwordFD: -1}
	g.register(fs)
	return fs
}

// verbOptions is a flag set holding the options of the commands on path
// (a verb's and its sub-verb's), registered on a throwaway cli.
func verbOptions(path []*command) *flag.FlagSet {
	fs := flag.NewFlagSet("moneypenny", flag.ContinueOnError)
	scratch := &cli{}
	for _, c := range path {
		if c.flags != nil {
			c.flags(fs, scratch)
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// writeOptions lists fs's options, one a line: "--name VALUE  usage".
func writeOptions(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(w, "  %-24s %s\n", optionSpelling(f), optionUsage(f))
	})
}

// optionSpelling is "--name" or "--name VALUE", VALUE being the usage's
// backquoted placeholder.
func optionSpelling(f *flag.Flag) string {
	placeholder, _ := flag.UnquoteUsage(f)
	if isBool(f) || placeholder == "" {
		return dashed(f.Name)
	}
	return dashed(f.Name) + " " + strings.ToUpper(placeholder)
}

// dashed spells an option as the help shows it: "--name", or "-i" for a
// one-letter option (inject's -i and -o). Both spellings parse.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func optionUsage(f *flag.Flag) string {
	_, usage := flag.UnquoteUsage(f)
	return usage
}

// cmdHelp prints the usage, or the help of the verb (and sub-verb) named.
func cmdHelp(_ context.Context, c *cli, args []string) error {
	var path []*command
	table := c.table
	for _, name := range args {
		cmd := lookupCommand(table, name)
		if cmd == nil || cmd.hidden {
			return usageError{fmt.Sprintf("no help for %q: unknown command", strings.Join(args, " "))}
		}
		path = append(path, cmd)
		table = cmd.subs
	}
	writeHelp(c.io.stdout, c.table, path)
	return nil
}

// version is the module version the binary was built from: a tag or
// pseudo-version for `go install …@version`, else "(devel)" followed by the
// commit when the build recorded one.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := bi.Main.Version
	if v != "" && v != "(devel)" {
		return v
	}
	v = "(devel)"
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev
		if modified == "true" {
			v += "+dirty"
		}
	}
	return v
}
