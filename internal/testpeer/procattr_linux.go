package testpeer

import "syscall"

// childAttr makes the kernel kill a peer when the test process dies, so a
// crashed test run never leaves daemons behind on the machine.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// childAttrAs is childAttr for a child that runs as uid:gid (PostgreSQL
// refuses to run as root). Go sets the parent-death signal after changing
// the credentials, so it survives the change.
func childAttrAs(uid, gid uint32) *syscall.SysProcAttr {
	a := childAttr()
	a.Credential = &syscall.Credential{Uid: uid, Gid: gid}
	return a
}
