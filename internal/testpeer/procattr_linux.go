package testpeer

import "syscall"

// childAttr makes the kernel kill a peer when the test process dies, so a
// crashed test run never leaves daemons behind on the machine.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
