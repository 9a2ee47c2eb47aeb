package keyctl

import "runtime"

// addStaged creates a key (or keyring) and links it into dest only once its
// permissions and expiry are set.
//
// Why not add_key straight into dest: a new key starts with the kernel's
// default permissions (possessor all, owner view only) and no expiry. Fixing
// them afterwards needs SETATTR, which only a *possessor* has, and a thread
// possesses dest only if dest hangs off its own session keyring. That is not
// the case for the user keyring under `keyctl session`, or for threads that
// sit on other session keyrings. And if the process died between add_key
// and KEYCTL_SET_TIMEOUT, a cached key would stay in the kernel until
// reboot.
//
// So the key is born in the calling thread's own thread keyring, which the
// thread always possesses and which dies with the thread. It gets its
// permissions and timeout there, is linked into dest (displacing a key of
// the same type and description, atomically), and is then unlinked from the
// thread keyring. The OS thread is locked throughout because the thread
// keyring belongs to one kernel task, not to the Go process.
//
// The cost: each OS thread that ever stores keeps an (empty) thread keyring
// for the rest of its life, one key of the per-user quota, and threads the
// runtime later clones from it get their own. Measured: 64 concurrent
// stores on 6 threads left 2 thread keyrings.
func addStaged(typ, desc string, payload []byte, perm uint32, timeoutSeconds int, dest int) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := addKey(typ, desc, payload, specThread)
	if err != nil {
		return 0, err
	}
	// On every path the staging link goes: on failure that destroys the
	// half-made key, on success dest holds the only link.
	defer func() { _ = unlinkKey(id, specThread) }()
	if err := setPerm(id, perm); err != nil {
		return 0, err
	}
	if timeoutSeconds > 0 {
		if err := setTimeout(id, timeoutSeconds); err != nil {
			return 0, err
		}
	}
	if err := linkKey(id, dest); err != nil {
		return 0, err
	}
	return id, nil
}
