package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// withoutBackend is env without MONEYPENNY_BACKEND, so only a --backend on
// the command line selects the file keyring (there is no bus).
func withoutBackend(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MONEYPENNY_BACKEND=") {
			out = append(out, kv)
		}
	}
	return out
}

// TestOptionsAfterOperands: options are options wherever they stand (the
// usage promises "before or after the verb"); they used to become
// attributes once an attribute had been given. "--" ends them, so a value
// that starts with "-" can be passed.
func TestOptionsAfterOperands(t *testing.T) {
	env := withoutBackend(fileEnv(t, filepath.Join(t.TempDir(), "k.keyring"), "pw"))
	must(t, mp(t, env, "v1", "store", "service", "s", "--label=L", "user", "u", "--backend", "file"), 0)
	if got := must(t, mp(t, env, "", "lookup", "service", "s", "user", "u", "--backend", "file"), 0).stdout; got != "v1" {
		t.Fatalf("lookup with --backend after the attributes = %q", got)
	}
	if got := must(t, mp(t, env, "", "lookup", "service", "s", "--backend=file", "user", "u"), 0).stdout; got != "v1" {
		t.Fatalf("lookup with --backend=file between the attributes = %q", got)
	}
	r := must(t, mp(t, env, "", "search", "service", "s", "--all", "--backend", "file", "--json"), 0)
	if !strings.Contains(r.stdout, `"secret": "v1"`) || strings.Contains(r.stdout, "--") {
		t.Fatalf("search with trailing options: %s", r.stdout)
	}
	r = must(t, mp(t, env, "", "list", "--backend", "file"), 0)
	if strings.Contains(r.stdout, "attribute.--") || strings.Count(r.stdout, "attribute.") != 2 {
		t.Fatalf("the item has attributes it was not given:\n%s", r.stdout)
	}

	// "--" ends the options: "-1" is a value there, an unknown option before.
	must(t, mp(t, env, "negative", "--backend", "file", "store", "--label=N", "--", "n", "-1"), 0)
	if got := must(t, mp(t, env, "", "lookup", "--backend", "file", "--", "n", "-1"), 0).stdout; got != "negative" {
		t.Fatalf("lookup -- n -1 = %q", got)
	}
	if got := must(t, mp(t, env, "", "--backend", "file", "--", "lookup", "n", "-1"), 0).stdout; got != "negative" {
		t.Fatalf("moneypenny -- lookup n -1 = %q", got)
	}
	r = must(t, mp(t, env, "", "lookup", "--backend", "file", "n", "-1"), 2)
	if !strings.Contains(r.stderr, "unknown option -1") || !strings.Contains(r.stderr, "--") {
		t.Fatalf("an operand that looks like an option: %q", r.stderr)
	}
	r = must(t, mp(t, env, "", "lookup", "--backend", "file", "--"), 2)
	if !strings.Contains(r.stderr, "attribute and value") {
		t.Fatalf("lookup -- without attributes: %q", r.stderr)
	}
	r = must(t, mp(t, env, "", "store", "--backend", "file", "a", "b", "--label"), 2)
	if !strings.Contains(r.stderr, "--label needs a value") {
		t.Fatalf("an option without its value: %q", r.stderr)
	}
	// An unknown option's value may be a password typed in the wrong place:
	// it is never echoed.
	r = must(t, mp(t, env, "", "lookup", "--pasword=hunter2", "a", "b"), 2)
	if !strings.Contains(r.stderr, "unknown option --pasword") || strings.Contains(r.stderr, "hunter2") {
		t.Fatalf("unknown option: %q", r.stderr)
	}
	r = must(t, mp(t, env, "", "lookup", "--timeout", "soon", "a", "b"), 2)
	if !strings.Contains(r.stderr, "invalid value for --timeout") {
		t.Fatalf("bad option value: %q", r.stderr)
	}
}

// TestParseOptions covers the parser alone: options anywhere, values
// attached or following, booleans, "--", "-" as an operand.
func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		stop     bool
		operands []string
		label    string
		all      bool
		err      string
	}{
		{args: []string{"a", "--label", "L", "b"}, operands: []string{"a", "b"}, label: "L"},
		{args: []string{"a", "-label=L", "b", "--all"}, operands: []string{"a", "b"}, label: "L", all: true},
		{args: []string{"--all=false", "a"}, operands: []string{"a"}},
		{args: []string{"a", "--", "--label", "-x", "--"}, operands: []string{"a", "--label", "-x", "--"}},
		{args: []string{"-", "a"}, operands: []string{"-", "a"}},
		{args: []string{"--label", "--", "a"}, operands: []string{"a"}, label: "--"},
		{args: []string{"--all", "verb", "--label", "L"}, stop: true, operands: []string{"verb", "--label", "L"}, all: true},
		{args: []string{"--", "verb", "-x"}, stop: true, operands: []string{"verb", "--", "-x"}},
		{args: []string{"a", "---label", "L"}, err: "unknown option ---label"},
		{args: []string{"a", "--nope"}, err: "unknown option --nope"},
		{args: []string{"a", "--label"}, err: "--label needs a value"},
		{args: []string{"a", "--all=maybe"}, err: "invalid value for --all"},
		{args: []string{"a", "--help", "--nope"}, err: errHelp.Error()},
		{args: []string{"-h"}, err: errHelp.Error()},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		label := fs.String("label", "", "")
		all := fs.Bool("all", false, "")
		got, err := parseOptions(fs, tc.args, tc.stop)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.operands) || *label != tc.label || *all != tc.all {
			t.Errorf("%q: operands %q label %q all %v err %v; want %q %q %v",
				tc.args, got, *label, *all, err, tc.operands, tc.label, tc.all)
		}
	}
}

// testRun runs the CLI in-process on table.
func testRun(t *testing.T, table []*command, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runTable(context.Background(), table, args, ioEnv{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(string) string { return "" },
	})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// vaultTable is the real verb table plus a verb with sub-verbs, as `vault
// set|get` will be: the parser, help and completion must handle it from the
// entry alone.
func vaultTable(got *[]string) []*command {
	var scope, ttl string
	record := func(name string) func(context.Context, *cli, []string) error {
		return func(_ context.Context, _ *cli, args []string) error {
			*got = append([]string{name, "scope=" + scope, "ttl=" + ttl}, args...)
			return nil
		}
	}
	vault := &command{
		name:    "vault",
		summary: "Named secrets.",
		example: "moneypenny vault get db/password",
		flags:   func(fs *flag.FlagSet, _ *cli) { fs.StringVar(&scope, "scope", "", "the `SCOPE` of the names") },
		subs: []*command{
			{
				name: "set", synopsis: "[--ttl DURATION] NAME", summary: "Set a named secret.",
				example: "moneypenny vault set --ttl 1h db/password",
				flags:   func(fs *flag.FlagSet, _ *cli) { fs.StringVar(&ttl, "ttl", "", "expire after `DURATION`") },
				run:     record("set"),
			},
			{name: "get", synopsis: "NAME", summary: "Print a named secret.", example: "moneypenny vault get db/password", run: record("get")},
		},
	}
	// The real vault verb gives way to this stand-in, which records what
	// the parser hands it.
	var table []*command
	for _, c := range commands() {
		if c.name != vault.name {
			table = append(table, c)
		}
	}
	return append(table, vault)
}

// TestSubVerbs: a verb with sub-verbs parses, helps and completes from its
// entry in the table.
func TestSubVerbs(t *testing.T) {
	var got []string
	table := vaultTable(&got)
	r := testRun(t, table, "--backend", "file", "vault", "--scope", "prod", "set", "db", "--ttl", "1h", "--", "-x")
	if r.code != 0 || !reflect.DeepEqual(got, []string{"set", "scope=prod", "ttl=1h", "db", "-x"}) {
		t.Fatalf("vault set: %+v, ran %q", r, got)
	}
	table = vaultTable(&got) // fresh option variables
	r = testRun(t, table, "vault", "get", "db", "--scope=s")
	if r.code != 0 || !reflect.DeepEqual(got, []string{"get", "scope=s", "ttl=", "db"}) {
		t.Fatalf("vault get: %+v, ran %q", r, got)
	}
	// set's option is not get's.
	if r := testRun(t, table, "vault", "get", "db", "--ttl", "1h"); r.code != 2 || !strings.Contains(r.stderr, "unknown option --ttl") {
		t.Fatalf("vault get --ttl: %+v", r)
	}
	r = testRun(t, table, "vault")
	if r.code != 2 || !strings.Contains(r.stderr, "missing sub-command") || !strings.Contains(r.stderr, "usage: moneypenny vault set [--ttl DURATION] NAME") {
		t.Fatalf("vault alone: %+v", r)
	}
	if r := testRun(t, table, "vault", "nosuch"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "nosuch"`) {
		t.Fatalf("vault nosuch: %+v", r)
	}
	for _, args := range [][]string{{"help", "vault", "set"}, {"vault", "set", "--help"}, {"vault", "--scope", "x", "set", "-h"}} {
		r := testRun(t, table, args...)
		for _, want := range []string{"usage: moneypenny vault set [--ttl DURATION] NAME", "Set a named secret.",
			"--ttl DURATION", "--scope SCOPE", "--backend NAME", "example:\n  moneypenny vault set --ttl 1h db/password"} {
			if r.code != 0 || !strings.Contains(r.stdout, want) {
				t.Errorf("%q: exit %d, output lacks %q:\n%s%s", args, r.code, want, r.stdout, r.stderr)
			}
		}
	}
	r = testRun(t, table, "help", "vault")
	if r.code != 0 || !strings.Contains(r.stdout, "sub-verbs:") || !strings.Contains(r.stdout, "\n       moneypenny vault get NAME\n") {
		t.Fatalf("help vault: %+v", r)
	}
	if r := testRun(t, table, "help", "vault", "nosuch"); r.code != 2 {
		t.Fatalf("help vault nosuch: %+v", r)
	}
	r = testRun(t, table, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "moneypenny vault set [--ttl DURATION] NAME\n") {
		t.Fatalf("the usage does not list the sub-verbs: %s", r.stdout)
	}
	nodes := completionNodes(table)
	var vaultNode, setNode *completionNode
	for i := range nodes {
		switch nodes[i].path {
		case "vault":
			vaultNode = &nodes[i]
		case "vault set":
			setNode = &nodes[i]
		}
	}
	if vaultNode == nil || setNode == nil || !reflect.DeepEqual(vaultNode.subs, []string{"set", "get"}) ||
		!contains(setNode.valopts, "--ttl") || !contains(setNode.valopts, "--scope") || !contains(setNode.opts, "--backend") {
		t.Fatalf("completion nodes: vault %+v, vault set %+v", vaultNode, setNode)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestNonUTF8Attributes: an attribute name or value that is not UTF-8 is a
// usage error for every verb that takes attributes, and nothing is
// written. It used to be stored, then shown with replacement characters.
func TestNonUTF8Attributes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.keyring")
	env := fileEnv(t, path, "pw")
	for _, args := range [][]string{
		{"store", "--label=L", "service", "caf\xe9"},
		{"store", "--label=L", "n\xff", "v"},
		{"store", "--label=caf\xe9", "n", "v"},
		{"lookup", "service", "caf\xe9"},
		{"search", "--all", "service", "caf\xe9"},
		{"clear", "service", "caf\xe9"},
		{"list", "service", "caf\xe9"},
	} {
		r := must(t, mp(t, env, "s", args...), 2)
		if !strings.Contains(r.stderr, "not valid UTF-8") {
			t.Errorf("%q: %q", args, r.stderr)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused store wrote the keyring: %v", err)
	}
	must(t, mp(t, env, "s", "store", "--label=L", "service", "café"), 0)
	if got := must(t, mp(t, env, "", "lookup", "service", "café"), 0).stdout; got != "s" {
		t.Fatalf("UTF-8 attribute: %q", got)
	}
}
