package keyctl

import (
	"errors"
	"fmt"
	"os"

	"github.com/moneypenny-go/keyring/secret"
)

// home is the keyring our own named keyring is linked into.
type home struct {
	id   int
	kind homeKind
}

type homeKind int

const (
	// homeSession: the process has a session keyring of its own (a login
	// session set up by pam_keyinit, or `keyctl session`).
	homeSession homeKind = iota
	// homeUser: the caller asked for the user keyring.
	homeUser
	// homeUserNoSession: session scope was asked for, but the process has
	// no session keyring of its own, so the user keyring is used.
	homeUserNoSession
)

// describe says where items live and how long, for Info.
func (h home) describe() (where, lifetime string) {
	switch h.kind {
	case homeSession:
		return fmt.Sprintf("session keyring %d", h.id),
			"kept in kernel memory only: lost when the session keyring goes (logout, or the end of the `keyctl session` process tree) and at reboot"
	case homeUser:
		return fmt.Sprintf("user keyring %d", h.id),
			"kept in kernel memory only: shared by every process of this user, lost at reboot"
	}
	return fmt.Sprintf("user keyring %d (the process has no session keyring of its own)", h.id),
		"kept in kernel memory only: shared by every process of this user that has no session keyring, lost at reboot"
}

// findHome decides where our keyring hangs.
//
// With user it is the user keyring. Otherwise it is the session keyring,
// resolved WITHOUT asking the kernel to create one: a process that has no
// session keyring (no pam_keyinit, as in most containers, CI jobs and
// Debian logins) would otherwise get a brand-new anonymous session keyring
// that only the calling OS thread sees and that dies with the process, so a
// later `moneypenny lookup` could never find what `moneypenny store` put
// there. Such a process falls back on the user-session keyring
// (_uid_ses.UID) when it reads @s; we detect that case and link into the
// user keyring instead. The user-session keyring links the user keyring, so
// `keyctl show @s` in a shell shows our keyring, and so does a later login
// session started by pam_keyinit, which links the user keyring into every
// new session keyring too.
func findHome(user bool) (home, error) {
	if user {
		id, err := keyringID(specUser, true)
		return home{id: id, kind: homeUser}, err
	}
	ses, err := keyringID(specSession, false)
	if err != nil {
		return home{}, err
	}
	userSes, err := keyringID(specUserSession, false)
	if err != nil {
		return home{}, err
	}
	if ses != userSes {
		return home{id: ses, kind: homeSession}, nil
	}
	id, err := keyringID(specUser, true)
	return home{id: id, kind: homeUserNoSession}, err
}

// findKeyring looks for a keyring named name that we own, linked directly
// into parent. It does not use KEYCTL_SEARCH, which recurses: a session
// keyring usually links the user keyring, and the session scope must not
// pick up the user scope's keyring of the same name.
func findKeyring(parent int, name string) (int, bool, error) {
	ids, err := listKeyring(parent)
	if err != nil {
		return 0, false, err
	}
	uid := os.Geteuid()
	for _, id := range ids {
		d, err := describeKey(id)
		if err != nil {
			continue // gone meanwhile, or not ours to see
		}
		if d.Type == "keyring" && d.Description == name && d.UID == uid {
			return id, true, nil
		}
	}
	return 0, false, nil
}

// findOrCreateKeyring returns our keyring in parent, creating it (owner-only
// permissions, via addStaged) when absent.
//
// Linking a keyring displaces another of the same name, so two processes
// creating it at the same moment would each make one and the second would
// orphan the first. Looking again after linking and adopting whatever is
// linked then makes both end up on the survivor.
func findOrCreateKeyring(parent int, name string) (int, error) {
	if id, ok, err := findKeyring(parent, name); err != nil || ok {
		if ok {
			err = ensurePerm(id)
		}
		return id, err
	}
	if _, err := addStaged("keyring", name, nil, ownerOnly, 0, parent); err != nil {
		return 0, err
	}
	id, ok, err := findKeyring(parent, name)
	if err == nil && !ok {
		err = fmt.Errorf("keyring %q vanished right after it was created: %w", name, secret.ErrNotFound)
	}
	return id, err
}

// ensurePerm gives a keyring we found (perhaps made with `keyctl newring`)
// our owner-only permissions, so that every thread of the owner can use it
// whatever session keyring the thread has.
func ensurePerm(id int) error {
	d, err := describeKey(id)
	if err != nil {
		return err
	}
	if d.Perm == ownerOnly {
		return nil
	}
	if err := setPerm(id, ownerOnly); err != nil && !errors.Is(err, secret.ErrNotFound) {
		return fmt.Errorf("keyring %d has permissions %08x and they cannot be set to %08x: %w", id, d.Perm, ownerOnly, err)
	}
	return nil
}
