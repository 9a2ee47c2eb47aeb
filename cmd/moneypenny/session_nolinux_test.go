//go:build !linux

package main

import "testing"

// Kernel keyrings are Linux's: elsewhere there is no session to isolate.
func runAsSessionWrapper() {}

func privateSession(_ *testing.T, env []string) []string { return env }

func commandFor(*testing.T, []string) string { return moneypennyBin }
