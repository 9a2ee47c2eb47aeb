// Package keyctl is Moneypenny's Linux kernel keyring backend: a
// secret.Store whose items live in kernel memory, plus KeyCache, the
// short-lived unlock cache of the file keyring. It uses the add_key(2) and
// keyctl(2) system calls through golang.org/x/sys/unix, so it needs no cgo,
// no daemon and no D-Bus.
//
// # Not persistent
//
// Kernel keys never touch the disk. Every item is lost at reboot, and items
// in a session keyring are lost when that session keyring goes away.
// Info().Persistent is always false. Use this backend where there is no
// Secret Service and a password-protected file is not wanted: a CI job, a
// container, a login over SSH.
//
// # Where the items live
//
// Open finds or creates a keyring named "moneypenny" (WithName changes the
// name) and links it into one of the calling process's keyrings:
//
//   - the session keyring (@s) by default. A login through pam_keyinit gives
//     every process of the login the same session keyring, and so does
//     `keyctl session NAME cmd ...` for the process tree of cmd. Items vanish
//     when the session keyring does.
//   - the user keyring (@u) with WithUserKeyring: one per uid (per user
//     namespace), shared by every process of the user until reboot. All
//     processes of that uid on the machine see it, parallel CI jobs
//     included.
//
// The first case has a trap, measured on Linux 6.18. A process that nobody
// gave a session keyring (no pam_keyinit: most containers, CI runners and
// Debian logins) reads @s as the per-user "user-session" keyring
// _uid_ses.UID. But add_key(…, @s) makes the kernel create a new anonymous
// session keyring for it. That keyring dies with the process, so
// `moneypenny store` would put an item where the next `moneypenny lookup`
// can never find it. So Open resolves @s without ever asking the kernel to
// create it. If the answer is the user-session keyring, the process has no
// session of its own, and Open links into the user keyring instead.
// _uid_ses links _uid, so `keyctl show @s` in a shell shows our keyring, and
// every other process without a session keyring shares it. A login session
// made later by pam_keyinit also links @u into its new session keyring.
// Info().Location and Info().Note say which case applies.
//
// # Threads
//
// Linux keeps the session, process and thread keyrings in each thread's
// credentials, not in the process's. A Go program runs on many OS threads.
// After one goroutine's add_key(…, @s) made an anonymous session keyring,
// measurement showed that only that OS thread had it: the other threads
// still resolved @s to _uid_ses and got EACCES reading the new key.
// This package therefore:
//
//   - resolves the special keyring IDs once and then uses serial numbers,
//     which mean the same on every thread;
//   - gives every key and keyring it creates the permissions 0x003f0000:
//     everything for the owning uid, nothing for possessor, group or other.
//     The owner can use them from any thread or process, whether or not it
//     "possesses" them (can reach them from its own keyrings). Nobody else
//     can even see them. That includes a process of another uid that
//     shares the session keyring, for instance after dropping privileges,
//     which possessor bits would let in;
//   - creates each key in the calling thread's own thread keyring, with the
//     OS thread locked, sets its permissions and expiry there, and only then
//     links it into its keyring (see addStaged). Changing permissions needs
//     possession, which a thread has for its thread keyring but not always
//     for the destination. A cached key is also never visible without its
//     timeout.
//
// Tests that want a private session keyring must give it to the whole
// process. Joining a session keyring in one goroutine (even one locked to
// its thread) leaves the other threads where they were. The tests in this
// package join a fresh session keyring on a locked thread and then execve
// the test binary again from that thread, as `keyctl session` does.
//
// # Items
//
// Each item is one key of type "user" in our keyring. Its description is
// "moneypenny:" plus 24 random hex digits, and its payload is a small
// versioned record (label, attributes, creation and modification times,
// content type, secret) documented in payload.go. Its ID is the key serial.
// Searching reads every key of our keyring and matches attributes
// (secret.Attributes.Matches); other keys someone put in the keyring are
// skipped, never touched. Replace updates the key whose attributes are
// exactly the new set in place (KEYCTL_UPDATE), keeping its serial and
// creation time. Delete unlinks and invalidates the key, and the kernel
// zeroes the payload when it frees it.
//
// # Limits
//
// A user key holds at most 32767 bytes, so a secret can be a little less
// than that once the metadata is added; bigger is secret.ErrTooLarge. Keys
// also count against per-user kernel quotas (/proc/key-users; for non-root
// users the defaults are 200 keys and 20000 bytes, in
// /proc/sys/kernel/keys/maxkeys and maxbytes). Hitting a quota (EDQUOT)
// is secret.ErrTooLarge with a "kernel key quota" message. Where a seccomp
// filter blocks the system calls (Flatpak, Docker's default profile:
// EPERM or ENOSYS), Open and Probe fail with secret.ErrUnavailable. Lock,
// Unlock and Watch are secret.ErrNotSupported: kernel keys have no lock
// state, and this backend sets up no change notifications.
//
// # Unlock cache
//
// KeyCache keeps the file keyring's derived key (never the password) in a
// keyring named "moneypenny-cache", under the SHA-256 of an id the caller
// chooses, with a kernel-enforced expiry (default 5 minutes) and owner-only
// permissions. It uses the same session-or-user choice as Open, so a row of
// short-lived CLI processes shares it. A cache entry is a convenience: a
// missing one only costs a key derivation.
//
// On other operating systems everything compiles, Open, Probe and the
// KeyCache writes fail with secret.ErrUnavailable, and KeyCache.Key finds
// nothing.
package keyctl
