//go:build unix

package main

import "syscall"

// newSession starts a child in a session of its own, without a controlling
// terminal, so that a prompt on /dev/tty fails wherever the tests run.
func newSession() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
