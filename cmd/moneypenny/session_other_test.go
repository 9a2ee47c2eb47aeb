//go:build !unix

package main

import "syscall"

// newSession: Windows has no controlling terminal to leave.
func newSession() *syscall.SysProcAttr { return nil }
