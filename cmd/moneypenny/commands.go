package main

import (
	"context"
	"flag"
)

// command is one entry of the verb table: what runs and the help that
// describes it. The usage text, `help VERB`, `VERB --help` and the shell
// completion scripts are all generated from these entries, so a new verb
// documents itself by filling its own.
type command struct {
	// name is the word on the command line.
	name string
	// synopsis is what follows "moneypenny NAME" in the usage line, such as
	// "[--all] [--json] attribute value ...". For a verb with sub-verbs it
	// is built from theirs and may stay empty.
	synopsis string
	// summary is one sentence on what the verb does.
	summary string
	// details is optional further text for `help VERB`: inputs read from
	// the environment, what the output looks like, exit codes.
	details string
	// example is one or more shell lines.
	example string
	// flags registers the verb's own options; they are accepted anywhere
	// after the verb (the global options anywhere at all). Options of a
	// verb with sub-verbs apply to all of them.
	flags func(fs *flag.FlagSet, c *cli)
	// choices are the words the shell offers for the first operand (the
	// shells of `completion`); nil: nothing to offer.
	choices func(table []*command) []string
	// run runs the verb with its operands; nil for a verb with sub-verbs.
	run func(ctx context.Context, c *cli, args []string) error
	// subs are the sub-verbs (`vault set`, `vault get`, ...): the word after
	// the verb chooses one, and its entry is built like this one.
	subs []*command
	// hidden keeps an internal verb out of the usage, help and completion.
	hidden bool
}

// portalSecretVerb is internal: --app-id runs it inside a bubblewrap
// sandbox to ask the Secrets portal for the app's secret (appsecret_linux.go).
const portalSecretVerb = "__portal-secret"

// commands is the verb table, in the order the usage lists it. It is a
// function, not a variable, because help and completion read the table they
// are part of, and so that no invocation can change another's table.
func commands() []*command {
	return []*command{
		{
			name:     "store",
			synopsis: "--label=LABEL attribute value ...",
			summary:  "Store a secret read from stdin under the given attributes, replacing an item with exactly these attributes.",
			details: "The secret is every byte of stdin when it is piped (newlines kept, as secret-tool does),\n" +
				"or one hidden line when stdin is a terminal.",
			example: "printf %s \"$TOKEN\" | moneypenny store --label='GitHub token' service github.com username alice",
			flags:   storeFlags,
			run:     cmdStore,
		},
		{
			name:     "lookup",
			synopsis: "attribute value ...",
			summary:  "Print the secret of the first item whose attributes include the given ones.",
			details:  "Nothing matched: exit 1, no output. A newline follows the secret only on a terminal.",
			example:  "moneypenny lookup service github.com username alice",
			run:      cmdLookup,
		},
		{
			name:     "clear",
			synopsis: "attribute value ...",
			summary:  "Delete every item whose attributes include the given ones.",
			details:  "Nothing matched: exit 1.",
			example:  "moneypenny clear service github.com username alice",
			run:      cmdClear,
		},
		{
			name:     "search",
			synopsis: "[--all] [--unlock] [--json] attribute value ...",
			summary:  "Print the items whose attributes include the given ones, with their secrets, as secret-tool does.",
			details:  "The attributes go to stderr, the rest to stdout; --json prints one array on stdout.",
			example:  "moneypenny search --all service github.com",
			flags:    searchFlags,
			run:      cmdSearch,
		},
		{
			name:    "lock",
			summary: "Lock the keyring (for the file keyring: forget the cached key).",
			example: "moneypenny lock",
			run:     cmdLock,
		},
		{
			name:    "unlock",
			summary: "Unlock the keyring (may prompt).",
			example: "moneypenny unlock",
			run:     cmdUnlock,
		},
		{
			name:     "list",
			synopsis: "[--json] [attribute value ...]",
			summary:  "List the items (all, or those whose attributes include the given ones) without their secrets.",
			example:  "moneypenny list --json",
			flags:    jsonFlag,
			run:      cmdList,
		},
		{
			name:    "repair",
			summary: "Remove the items of the file keyring that do not decrypt with its password.",
			example: "moneypenny --backend file repair",
			run:     cmdRepair,
		},
		{
			name:    "change-password",
			summary: "Re-encrypt the file keyring under a new password.",
			details: "The new password comes from MONEYPENNY_NEW_PASSWORD or is asked twice on the terminal;\n" +
				"the current one as for every verb (MONEYPENNY_PASSWORD, --password-fd N, a prompt).",
			example: "moneypenny --backend file change-password",
			run:     cmdChangePassword,
		},
		{
			name:     "migrate",
			synopsis: "[--dry-run] [--keep] [--replace] [--from-file PATH] [--json] attribute value ...",
			summary:  "Move the host Secret Service's matching items (or a keyring file's items) into the file keyring.",
			details: "Inside Flatpak or Snap the destination is the sandbox's own keyring; on the host it is the\n" +
				"file keyring named by --backend file, --keyring or --app-id. The password of a --from-file\n" +
				"source comes from MONEYPENNY_SOURCE_PASSWORD or a prompt.",
			example: "moneypenny migrate --dry-run service github.com",
			flags:   migrateFlags,
			run:     cmdMigrate,
		},
		{
			name:     "diagnose",
			synopsis: "[--json]",
			summary:  "Say which backends are available, why, and which one would be used.",
			example:  "moneypenny diagnose",
			flags:    jsonFlag,
			run:      cmdDiagnose,
		},
		vaultCommand(),
		readCommand(),
		runCommand(),
		injectCommand(),
		rotationCommand(),
		serveCommand(),
		{
			name:     "help",
			synopsis: "[VERB [SUB-VERB]]",
			summary:  "Print the usage, or a verb's synopsis, options and example.",
			example:  "moneypenny help store",
			choices:  commandNames,
			run:      cmdHelp,
		},
		{
			name:     "completion",
			synopsis: "bash|zsh|fish",
			summary:  "Print a completion script for the shell.",
			details: "bash: source <(moneypenny completion bash)   (or save it in ~/.local/share/bash-completion/completions/moneypenny)\n" +
				"zsh:  source <(moneypenny completion zsh)    (or save it as _moneypenny in a directory of $fpath)\n" +
				"fish: moneypenny completion fish > ~/.config/fish/completions/moneypenny.fish",
			example: "source <(moneypenny completion bash)",
			choices: func([]*command) []string { return []string{"bash", "zsh", "fish"} },
			run:     cmdCompletion,
		},
		{name: portalSecretVerb, hidden: true, run: cmdPortalSecret},
	}
}

// lookupCommand finds name in table, hidden verbs included.
func lookupCommand(table []*command, name string) *command {
	for _, c := range table {
		if c.name == name {
			return c
		}
	}
	return nil
}

// commandNames are the visible verbs of table.
func commandNames(table []*command) []string {
	var names []string
	for _, c := range table {
		if !c.hidden {
			names = append(names, c.name)
		}
	}
	return names
}
