package keyctl

// Kernel ABI numbers from include/uapi/linux/keyctl.h and
// include/linux/key.h. They are spelled out here (rather than taken from
// golang.org/x/sys/unix) so that the OS-independent logic of this package
// compiles on every GOOS, and because x/sys lacks the KEY_USR_* permission
// bits.
const (
	// Special keyring IDs. They are resolved by the kernel against the
	// credentials of the calling *thread* (see the package doc), so this
	// package resolves them once to serial numbers and uses those.
	specThread      = -1 // KEY_SPEC_THREAD_KEYRING
	specSession     = -3 // KEY_SPEC_SESSION_KEYRING
	specUser        = -4 // KEY_SPEC_USER_KEYRING
	specUserSession = -5 // KEY_SPEC_USER_SESSION_KEYRING
)

// Permission bits: four bytes, from the top: possessor, user (owner uid),
// group, other. Each byte is view|read|write|search|link|setattr.
const (
	permView    = 0x01
	permRead    = 0x02
	permWrite   = 0x04
	permSearch  = 0x08
	permLink    = 0x10
	permSetattr = 0x20
	permAll     = permView | permRead | permWrite | permSearch | permLink | permSetattr

	userShift = 16

	// ownerOnly is what every key and keyring this package creates gets:
	// everything for the owning uid, nothing for possessor, group or other.
	//
	// Why not the possessor bits too: "possession" means being able to
	// reach the key from the calling thread's own keyrings, whatever its
	// uid. A process that changes uid (a daemon dropping privileges, su or
	// sudo without pam_keyinit's revoke) keeps its session keyring, so it
	// would possess, and read, everything in it. Measured: as uid 65534
	// in root's session keyring, `keyctl print` reads a 0x3f3f0000 key and
	// gets EACCES on a 0x003f0000 one. The user bits alone give the owner
	// every right from every thread and process, possessed or not.
	ownerOnly uint32 = permAll << userShift
)

// maxUserPayload is the kernel's limit for a key of type "user"
// (security/keys/user_defined.c: datalen > 32767 gives EINVAL).
const maxUserPayload = 32767
