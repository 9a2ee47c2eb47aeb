package provider

import (
	"context"
	"sync"

	"github.com/godbus/dbus/v5"
)

// prompt is one Prompt object. It belongs to the connection whose call made
// it; it runs when that connection calls Prompt, and ends (and disappears)
// with Completed, when it is dismissed, or when its owner leaves the bus.
type prompt struct {
	name    string
	owner   string
	empty   dbus.Variant // the result sent with dismissed=true
	run     func(ctx context.Context) (dbus.Variant, error)
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	started bool
	window  string // the window_id of Prompt
}

type windowKey struct{}

// WindowID returns the window_id the client passed to Prompt.Prompt, ""
// for none, from the context an Options.Unlock function runs with. A
// function that shows a dialog hands it on (gcr's system prompter takes it
// as the caller-window property, as gnome-keyring passes it), so that the
// desktop puts the dialog above the client's window. It is the client's
// word: an X11 window id ("x11:0x…" or a bare number) or a Wayland
// exported handle ("wayland:…").
func WindowID(ctx context.Context) string {
	w, _ := ctx.Value(windowKey{}).(string)
	return w
}

func (s *Server) newPrompt(owner, prefix string, empty dbus.Variant, run func(context.Context) (dbus.Variant, error)) dbus.ObjectPath {
	ctx, cancel := context.WithCancel(s.ctx)
	p := &prompt{owner: owner, empty: empty, run: run, ctx: ctx, cancel: cancel}
	s.mu.Lock()
	p.name = s.nextName(prefix)
	s.prompts[p.name] = p
	s.mu.Unlock()
	return dbus.ObjectPath(promptBase + p.name)
}

func (p *prompt) path() dbus.ObjectPath { return dbus.ObjectPath(promptBase + p.name) }

// takePrompt removes the prompt at path if it belongs to owner: whoever
// takes it sends its one Completed.
func (s *Server) takePrompt(name string) *prompt {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.prompts[name]
	delete(s.prompts, name)
	return p
}

func (s *Server) findPrompt(msg dbus.Message) (*prompt, *dbus.Error) {
	t := parsePath(msgPath(msg))
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prompts[t.name]
	if t.kind != targetPrompt || !ok {
		return nil, noSuchObject(msgPath(msg))
	}
	if p.owner != sender(msg) {
		// Prompts belong to the caller's connection.
		return nil, noSuchObject(msgPath(msg))
	}
	return p, nil
}

func (s *Server) promptMethods() map[string]any {
	return map[string]any{
		"Prompt": func(msg dbus.Message, windowID string) *dbus.Error {
			p, e := s.findPrompt(msg)
			if e != nil {
				return e
			}
			p.mu.Lock()
			started := p.started
			if !started {
				p.started, p.window = true, windowID
			}
			p.mu.Unlock()
			if started {
				return nil
			}
			go s.runPrompt(p)
			return nil
		},
		"Dismiss": func(msg dbus.Message) *dbus.Error {
			p, e := s.findPrompt(msg)
			if e != nil {
				return e
			}
			p.cancel()
			if s.takePrompt(p.name) == p {
				s.emit(p.path(), ifacePrompt+".Completed", true, p.empty)
			}
			return nil
		},
	}
}

func (s *Server) runPrompt(p *prompt) {
	p.mu.Lock()
	ctx := context.WithValue(p.ctx, windowKey{}, p.window)
	p.mu.Unlock()
	result, err := p.run(ctx)
	p.cancel()
	if s.takePrompt(p.name) != p {
		return // dismissed meanwhile: Dismiss sent Completed
	}
	if err != nil {
		s.emit(p.path(), ifacePrompt+".Completed", true, p.empty)
		return
	}
	s.emit(p.path(), ifacePrompt+".Completed", false, result)
}
