package main

import "flag"

// serveOptions are the options of `moneypenny serve`.
type serveOptions struct {
	ephemeral bool
	replace   bool
	prompter  string
	portal    bool
}

func serveFlags(fs *flag.FlagSet, c *cli) {
	fs.BoolVar(&c.serve.ephemeral, "ephemeral", false, "serve an unlocked in-memory keyring and write nothing (CI)")
	fs.BoolVar(&c.serve.replace, "replace", false, "take org.freedesktop.secrets over from the running provider")
	fs.StringVar(&c.serve.prompter, "prompter", "auto", "ask unlock passwords through `KIND`: auto, gcr, askpass, terminal or none")
	fs.BoolVar(&c.serve.portal, "portal", true, "also serve the Secrets portal backend (org.freedesktop.impl.portal.Secret)")
}

// serveCommand is the verb table's entry for serve.
func serveCommand() *command {
	return &command{
		name:     "serve",
		synopsis: "[--ephemeral] [--replace] [--prompter=KIND] [--password-fd N]",
		summary:  "Be the desktop's Secret Service (org.freedesktop.secrets) and Secrets portal backend, backed by libsecret-format keyring files.",
		details: "Each collection is one file in $XDG_DATA_HOME/keyrings/ (login.keyring; the file `default` names the\n" +
			"default collection, as gnome-keyring writes it); the `session` collection lives in memory. A gnome-keyring\n" +
			"login.keyring (format 0) is converted on first unlock and the original kept as login.keyring.gnome-keyring-v0.\n" +
			"The unlock password comes from MONEYPENNY_PASSWORD, the first line of --password-fd N, or\n" +
			"$CREDENTIALS_DIRECTORY/moneypenny.keyring-password (systemd LoadCredential=), or later from a prompter: gcr's system prompter, $MONEYPENNY_ASKPASS or\n" +
			"$SSH_ASKPASS, or the terminal (--prompter=auto picks the first the session has). Without one the\n" +
			"collections stay locked until a client's Unlock prompt is answered; until then they list no items, in\n" +
			"SearchItems' locked list either (the format hashes attribute values with the password), so a lookup finds\n" +
			"nothing and shows no prompt.\n" +
			"Runs until SIGTERM or SIGINT, or until another provider takes the name with --replace.\n" +
			"Core dumps are disabled and memory is locked where RLIMIT_MEMLOCK allows (a warning says when not).",
		example: "moneypenny serve --ephemeral &    # CI: an empty, unlocked keyring in a few milliseconds",
		flags:   serveFlags,
		run:     cmdServe,
	}
}
