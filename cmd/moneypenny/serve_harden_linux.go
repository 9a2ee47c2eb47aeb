package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// harden makes the process a poor place to find secrets in: no core dumps
// and no ptrace by other processes of the user (PR_SET_DUMPABLE 0), and its
// memory locked so secrets never reach swap. Locking needs an unlimited
// RLIMIT_MEMLOCK (DefaultLimitMEMLOCK= in systemd's system.conf, memlock in
// limits.conf) or root; below that mlockall would make later allocations of the Go
// runtime fail, so the daemon does not lock and says so. Returns the
// warnings to print.
func harden() []string {
	var warn []string
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		warn = append(warn, fmt.Sprintf("core dumps not disabled: prctl(PR_SET_DUMPABLE): %v", err))
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return append(warn, fmt.Sprintf("memory not locked: getrlimit(RLIMIT_MEMLOCK): %v", err))
	}
	if lim.Cur != unix.RLIM_INFINITY && unix.Geteuid() != 0 {
		return append(warn, fmt.Sprintf("memory not locked: RLIMIT_MEMLOCK is %d KiB, less than the Go runtime maps; "+
			"secrets may reach swap (raise the memlock limit to unlimited, or use encrypted swap)", lim.Cur/1024))
	}
	// MCL_ONFAULT locks pages as they are touched: the runtime's address
	// space reservations stay unbacked, so the resident size does not grow.
	// MCL_FUTURE covers every mapping made from now on, the heap's growth
	// among them; lockCurrent then locks the mappings there already.
	if err := unix.Mlockall(unix.MCL_FUTURE | unix.MCL_ONFAULT); err != nil {
		return append(warn, fmt.Sprintf("memory not locked: mlockall: %v; secrets may reach swap", err))
	}
	if err := lockCurrent(); err != nil {
		warn = append(warn, fmt.Sprintf("memory partly locked: %v; secrets may reach swap", err))
	}
	return warn
}

// lockCurrent locks, as their pages are touched, the mappings of the
// process that can hold data: every one but the private read-only mappings
// of files. Those are the executable's code and read-only data (and the C
// library's, when cgo links one): clean pages of the file, which the kernel
// drops and reads again but never writes to swap, and which hold no
// secret. Locking them would only pin them; unlocked, the pages that only
// start-up ran can be dropped (releaseFilePages). That is most of what
// mlockall(MCL_CURRENT) would lock: about 9 MB of the executable.
func lockCurrent() error {
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return fmt.Errorf("read /proc/self/maps: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		if m, ok := parseMapsLine(line); !ok || m != nil {
			continue // not a mapping, or a read-only file mapping
		}
		name := ""
		if len(f) >= 6 {
			name = f[5]
		}
		// Writable mappings, and anonymous ones whatever their protection
		// now; not the kernel's [vdso], [vvar] and [vsyscall].
		if !strings.Contains(f[1], "w") && name != "" {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		l, _ := strconv.ParseUint(lo, 16, 64)
		h, _ := strconv.ParseUint(hi, 16, 64)
		_, _, e := unix.Syscall(unix.SYS_MLOCK2, uintptr(l), uintptr(h-l), unix.MLOCK_ONFAULT)
		// ENOMEM: unmapped since we read the list.
		if e != 0 && e != unix.ENOMEM {
			return fmt.Errorf("mlock2 %s %s: %w", f[0], name, e)
		}
	}
	return nil
}
