package gcrprompt

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/internal/testpeer"
	"github.com/moneypenny-go/keyring/secret"
)

// TestAgainstScriptedPrompter asks the harness's gcr prompter (which speaks
// the protocol as gcr-prompter does, and which gnome-keyring accepts): the
// password arrives through the exchange, the texts as sent, and a cancel
// is ErrDismissed.
func TestAgainstScriptedPrompter(t *testing.T) {
	b := testpeer.NewBus(t)
	p := b.StartPrompter(t, testpeer.AcceptPrompts("typed pw"))
	conn := b.Conn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if !Available(ctx, conn, false) {
		t.Fatal("the prompter is not seen")
	}
	for i := range 5 { // several key pairs: short shared secrets too, now and then
		pw, err := Password(ctx, conn, Prompt{Title: "Unlock Keyring", Message: "Authentication required", Description: "login"})
		if err != nil || string(pw) != "typed pw" {
			t.Fatalf("round %d: %q, %v", i, pw, err)
		}
	}
	got := p.Prompts()
	if len(got) != 5 || got[0].Title != "Unlock Keyring" || got[0].Type != testpeer.PasswordPrompt || got[0].PasswordNew {
		t.Fatalf("prompts seen: %+v", got)
	}
	p.SetAnswer(testpeer.DismissPrompts)
	if _, err := Password(ctx, conn, Prompt{Title: "x"}); !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("cancelled: %v, want ErrDismissed", err)
	}
}

// TestCallerWindow: the window a Secret Service client named reaches the
// prompter as the caller-window property, so that the desktop parents the
// dialog to the client's window; without one the property is not sent at
// all (gcr sends only the properties that were set).
func TestCallerWindow(t *testing.T) {
	b := testpeer.NewBus(t)
	p := b.StartPrompter(t, testpeer.AcceptPrompts("pw"))
	conn := b.Conn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := Password(ctx, conn, Prompt{Title: "a", CallerWindow: "x11:0x3a00007"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Password(ctx, conn, Prompt{Title: "b"}); err != nil {
		t.Fatal(err)
	}
	got := p.Prompts()
	if len(got) != 2 {
		t.Fatalf("%d prompts, want 2", len(got))
	}
	if got[0].CallerWindow != "x11:0x3a00007" {
		t.Errorf("caller-window %q, want x11:0x3a00007", got[0].CallerWindow)
	}
	if v, ok := got[1].Properties["caller-window"]; ok {
		t.Errorf("caller-window sent without a window: %q", v)
	}
}
