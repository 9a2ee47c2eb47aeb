// Command moneypenny stores and looks up secrets from the shell. It is a
// drop-in for libsecret's secret-tool (same verbs, syntax, output and exit
// codes) that also works without a desktop session, inside Flatpak and Snap
// sandboxes, on the kernel keyring, the macOS Keychain and the Windows
// Credential Manager, and adds verbs for listing, repairing, migrating and
// diagnosing keyrings.
//
//	printf %s "$TOKEN" | moneypenny store --label='GitHub token' service github.com username alice
//	moneypenny lookup service github.com username alice
//	moneypenny search --all service github.com
//	moneypenny clear service github.com username alice
//
// The backend is chosen as keyring.Open does (sandbox portal, Keychain,
// Credential Manager, Secret Service), or forced with --backend or
// MONEYPENNY_BACKEND (secret-service, file, keyctl, keychain,
// credential-manager). The file keyring's password comes from
// MONEYPENNY_PASSWORD, the first line of --password-fd N, or a prompt on the
// terminal (asked twice when the keyring is created); it is never accepted
// as an argument, where other users could read it. An empty password is
// refused unless --allow-empty-password or MONEYPENNY_ALLOW_EMPTY_PASSWORD=1
// is given. change-password reads the new password from
// MONEYPENNY_NEW_PASSWORD and migrate --from-file the imported file's from
// MONEYPENNY_SOURCE_PASSWORD, each else from the terminal.
//
// Options go anywhere on the line; "--" ends them. `moneypenny help VERB`
// prints a verb's synopsis, options and an example, `moneypenny completion
// bash|zsh|fish` a completion script.
//
// Exit status: 0 on success; 1 when nothing matched (lookup, clear) or an
// operation failed; 2 for usage errors.
package main

import (
	"context"
	"os"
)

// Signals keep their default action (exit at once) except while a password
// is read from the terminal: see readHidden.
func main() {
	os.Exit(run(context.Background(), os.Args[1:], ioEnv{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		lookupEnv: os.LookupEnv,
	}))
}
