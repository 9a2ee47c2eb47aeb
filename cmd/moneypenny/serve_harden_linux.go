package main

import (
	"fmt"

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
	if err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE | unix.MCL_ONFAULT); err != nil {
		warn = append(warn, fmt.Sprintf("memory not locked: mlockall: %v; secrets may reach swap", err))
	}
	return warn
}
