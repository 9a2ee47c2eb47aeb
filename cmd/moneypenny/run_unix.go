//go:build !windows

package main

import (
	"os"
	"syscall"
)

// forwardedSignals are passed on to `run`'s child.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

// terminalSignal: the terminal delivers these to the child itself.
func terminalSignal(s os.Signal) bool { return s == syscall.SIGINT || s == syscall.SIGQUIT }

// exitStatus is the child's status as a shell reports it: its exit code,
// or 128+N when signal N ended it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
