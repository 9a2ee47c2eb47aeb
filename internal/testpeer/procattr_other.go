//go:build !linux

package testpeer

import "syscall"

// childAttr has nothing to add where Pdeathsig does not exist; peers are
// still stopped by the test's cleanup.
func childAttr() *syscall.SysProcAttr { return nil }

// childAttrAs cannot change users here; PostgreSQL tests run as the
// current user.
func childAttrAs(uid, gid uint32) *syscall.SysProcAttr { return nil }
