package main

import "os"

// forwardedSignals: Windows delivers Ctrl-C to every process of the console
// itself, and os.Process.Signal can only kill, so `run` catches the
// interrupt (to outlive its child) and forwards nothing.
var forwardedSignals = []os.Signal{os.Interrupt}

func terminalSignal(os.Signal) bool { return true }

func exitStatus(ps *os.ProcessState) int { return ps.ExitCode() }
