package provider

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// TestPromptWindowID: the window_id a client passes to Prompt reaches the
// Unlock function through WindowID(ctx), so a dialog can be parented to
// the client's window; a second Prompt call neither restarts the prompt
// nor changes the window.
func TestPromptWindowID(t *testing.T) {
	windows := make(chan string, 4)
	s := serve(t, nil, Options{Unlock: func(ctx context.Context, id string, st secret.Store) error {
		windows <- WindowID(ctx)
		return st.Unlock(ctx)
	}})
	c := s.client(t)
	login := dbus.ObjectPath(collectionBase + "login")
	for _, window := range []string{"x11:0x4e00003", ""} {
		var paths []dbus.ObjectPath
		var prompt dbus.ObjectPath
		must(t, call(t, c, servicePath, ifaceService+".Lock", []dbus.ObjectPath{login}).Store(&paths, &prompt))
		must(t, call(t, c, servicePath, ifaceService+".Unlock", []dbus.ObjectPath{login}).Store(&paths, &prompt))
		ch := waitCompleted(t, c, prompt)
		must(t, call(t, c, prompt, ifacePrompt+".Prompt", window).Err)
		_ = call(t, c, prompt, ifacePrompt+".Prompt", "other").Err // ignored, or gone already
		select {
		case got := <-windows:
			if got != window {
				t.Errorf("WindowID %q, want %q", got, window)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the Unlock function did not run")
		}
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Fatal("no Completed")
		}
		if len(windows) != 0 {
			t.Fatalf("the prompt ran %d more times", len(windows))
		}
	}
	if WindowID(context.Background()) != "" {
		t.Error("WindowID outside a prompt is not empty")
	}
}
