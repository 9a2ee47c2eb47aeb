// Package testpeer starts the real components Moneypenny's tests talk to, each
// private to one test: a dbus-daemon with its own config (nothing is
// auto-activated), gnome-keyring-daemon unlocked with a known password, a
// scripted prompter, xdg-desktop-portal with gnome-keyring's Secret portal, and
// a bubblewrap "fake Flatpak".
//
// Every peer gets throwaway HOME and XDG directories, so a developer's real
// keyring is never touched, and is killed when the test ends.
//
// A test that needs a program which is not installed is skipped on a
// developer's machine and fails under CI=true: in CI a missing peer is a
// broken setup, never a reason to pass.
package testpeer
