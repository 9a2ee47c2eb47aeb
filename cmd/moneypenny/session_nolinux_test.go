//go:build !linux

package main

import "testing"

// Kernel keyrings are Linux's: elsewhere there is no session to isolate.
func runAsSessionWrapper() {}

func privateSession(_ testing.TB, env []string) []string { return env }

func commandFor(testing.TB, []string) string { return moneypennyBin }
