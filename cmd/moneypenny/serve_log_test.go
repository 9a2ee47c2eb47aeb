//go:build linux

package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// TestServeLogHasNoSecrets: through a wrong and a right unlock password,
// stores, lookups, a refused store into a locked collection and a second
// keyring the password does not open (all of which the daemon logs or
// answers with errors), neither the passwords nor the secrets appear in
// the daemon's output or in the errors clients get.
func TestServeLogHasNoSecrets(t *testing.T) {
	const (
		rightPW  = "Right-Pw-5c1e"
		wrongPW  = "Wrong-Pw-0b7d"
		otherPW  = "Other-Pw-93aa"
		secretV  = "Secret-Value-4f02"
		secretV2 = "Secret-Value-e8c1"
	)
	b := testpeer.NewBus(t)
	ctx := context.Background()
	dir := filepath.Join(b.DataHome(), "keyrings")
	for name, pw := range map[string]string{"login": rightPW, "other": otherPW} {
		k, err := filekeyring.Open(ctx, filepath.Join(dir, name+".keyring"), []byte(pw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.CreateItem(ctx, name, secret.Attributes{"log": name}, secret.NewString(secretV+name), true); err != nil {
			t.Fatal(err)
		}
		k.Close()
	}
	var asked atomic.Int32
	b.StartPrompter(t, func(testpeer.Prompt) testpeer.Answer {
		if asked.Add(1) == 1 {
			return testpeer.Answer{Continue: true, Password: wrongPW}
		}
		return testpeer.Answer{Continue: true, Password: rightPW}
	})
	d := startServe(t, b, "", nil)
	var clientErrors []string
	c, err := dbusservice.OpenCollection(ctx, "login", dbusservice.WithAddress(b.Address))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateItem(ctx, "refused", secret.Attributes{"log": "locked"}, secret.NewString(secretV2), true); err != nil {
		clientErrors = append(clientErrors, err.Error())
	}
	if err := c.Unlock(ctx); err != nil {
		t.Fatalf("Unlock: %v\n%s", err, d.Log())
	}
	if r := stool(t, b.Env(), secretV2, "store", "--label=L", "log", "stored"); r.code != 0 {
		t.Fatalf("store: %+v", r)
	} else {
		clientErrors = append(clientErrors, r.stderr)
	}
	if r := stool(t, b.Env(), "", "lookup", "log", "stored"); r.stdout != secretV2 {
		t.Fatalf("lookup: %+v", r)
	}
	// other.keyring has another password: the login one fails on it, and
	// the prompter's answer (the login password again) too.
	o, err := dbusservice.OpenCollection(ctx, "/org/freedesktop/secrets/collection/other", dbusservice.WithAddress(b.Address))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := o.Unlock(ctx); err == nil {
		t.Fatal("other.keyring unlocked with the login password")
	} else {
		clientErrors = append(clientErrors, err.Error())
	}
	d.stop(t)
	out := d.Log() + strings.Join(clientErrors, "\n")
	for _, s := range []string{rightPW, wrongPW, otherPW, secretV, secretV2} {
		if strings.Contains(out, s) {
			t.Errorf("%q appears in the daemon's output or a client's error:\n%s", s, out)
		}
	}
	if !strings.Contains(d.Log(), "unlock other") {
		t.Errorf("the failed unlock was not logged, so the check proves little:\n%s", d.Log())
	}
}

// TestServeSessionBusOnly: the daemon takes the session bus from
// DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus, refuses the system bus
// however it is named, and never autolaunches one: without either it is
// ErrUnavailable.
func TestServeSessionBusOnly(t *testing.T) {
	run := t.TempDir()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if a, err := sessionBusAddress(env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/tmp/x/bus")); err != nil || a != "unix:path=/tmp/x/bus" {
		t.Errorf("explicit session bus: %q, %v", a, err)
	}
	if _, err := sessionBusAddress(env("XDG_RUNTIME_DIR", run)); !errors.Is(err, secret.ErrUnavailable) {
		t.Errorf("no bus at all: %v, want ErrUnavailable (never an autolaunch)", err)
	}
	l, err := net.Listen("unix", filepath.Join(run, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if a, err := sessionBusAddress(env("XDG_RUNTIME_DIR", run)); err != nil || a != "unix:path="+filepath.Join(run, "bus") {
		t.Errorf("$XDG_RUNTIME_DIR/bus: %q, %v", a, err)
	}
	for _, sys := range []string{"unix:path=/run/dbus/system_bus_socket", "unix:path=/var/run/dbus/system_bus_socket,guid=1"} {
		if _, err := sessionBusAddress(env("DBUS_SESSION_BUS_ADDRESS", sys)); err == nil || !strings.Contains(err.Error(), "system bus") {
			t.Errorf("%s taken as the session bus: %v", sys, err)
		}
	}
	if _, err := sessionBusAddress(env("DBUS_SESSION_BUS_ADDRESS", "tcp:host=x", "DBUS_SYSTEM_BUS_ADDRESS", "tcp:host=x")); err == nil {
		t.Error("the bus named by DBUS_SYSTEM_BUS_ADDRESS taken as the session bus")
	}
}

// TestServeAutoPrompter: --prompter=auto (the default) takes gcr's system
// prompter when one answers on the bus, else the SSH_ASKPASS program the
// session names, and says which at start.
func TestServeAutoPrompter(t *testing.T) {
	script := filepath.Join(t.TempDir(), "askpass")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	b := testpeer.NewBus(t)
	d := startServe(t, b, "", []string{"--ephemeral"}, "SSH_ASKPASS="+script)
	// The line comes just after the name is owned.
	logged := func(s string) bool {
		return testpeer.WaitFor(testpeer.StartTimeout, func() bool { return strings.Contains(d.Log(), s) })
	}
	if !logged("prompter: askpass " + script) {
		t.Fatalf("without gcr, auto did not pick SSH_ASKPASS: %s", d.Log())
	}
	d.stop(t)
	b.StartPrompter(t, testpeer.DismissPrompts)
	d = startServe(t, b, "", []string{"--ephemeral"}, "SSH_ASKPASS="+script)
	if !logged("prompter: gcr") {
		t.Fatalf("with gcr on the bus, auto did not pick it over SSH_ASKPASS: %s", d.Log())
	}
}
