package dbusservice

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/secret"
)

// prompt runs the prompt object at path and returns the result variant of
// its Completed signal.
//
// The order matters. The match rule for Completed and the signal channel are
// in place before Prompt is called: gnome-keyring may emit Completed before
// (or instead of) the reply to Prompt, for instance at once when no prompter
// can be shown, and a client that subscribes afterwards waits forever. Both
// are removed on every way out. When ctx ends first the prompt is dismissed,
// so no dialog stays on screen for an operation nobody waits for, and ctx's
// error is returned.
//
// Completed is believed only from the unique name that owned
// org.freedesktop.secrets when the prompt started: any other peer can send
// us a Completed(false, …) for the same path, and a service that restarted
// (or was replaced, gnome-keyring-daemon --replace) does not know the prompt.
// If that owner loses the name meanwhile the wait ends with
// secret.ErrUnavailable.
func (s *Service) prompt(ctx context.Context, path dbus.ObjectPath) (dbus.Variant, error) {
	if !validPath(path) {
		return dbus.Variant{}, malformed("prompt", "a prompt object path")
	}
	if err := ctx.Err(); err != nil {
		return dbus.Variant{}, err
	}
	completed := []dbus.MatchOption{
		dbus.WithMatchSender(busName),
		dbus.WithMatchObjectPath(path),
		dbus.WithMatchInterface(ifacePrompt),
		dbus.WithMatchMember("Completed"),
	}
	sub, err := s.subscribe(ctx, 8, completed)
	if err != nil {
		return dbus.Variant{}, wrapf(err, "prompt %s: subscribe", path)
	}
	defer sub.close()
	service := sub.owner.Owner()
	if service == "" {
		return dbus.Variant{}, fmt.Errorf("dbusservice: prompt %s: the Secret Service left the bus: %w", path, secret.ErrUnavailable)
	}

	if _, err := s.call(ctx, path, ifacePrompt+".Prompt", s.o.windowID); err != nil {
		if ctx.Err() != nil {
			s.dismiss(path)
		}
		return dbus.Variant{}, err
	}
	for {
		select {
		case sig, ok := <-sub.ch:
			if !ok {
				return dbus.Variant{}, fmt.Errorf("dbusservice: prompt %s: connection closed: %w", path, s.closedOr(secret.ErrUnavailable))
			}
			change, changed, trusted := sub.sort(sig)
			switch {
			case changed && change.Old == service && change.New == "":
				return dbus.Variant{}, fmt.Errorf("dbusservice: prompt %s: the Secret Service left the bus: %w", path, secret.ErrUnavailable)
			case changed && change.Old == service:
				return dbus.Variant{}, fmt.Errorf("dbusservice: prompt %s: the Secret Service was replaced by another process, which does not know the prompt: %w", path, secret.ErrUnavailable)
			case trusted && sig.Sender == service && sig.Name == ifacePrompt+".Completed" && sig.Path == path:
				dismissed, ok1 := arg[bool](sig.Body, 0)
				result, ok2 := arg[dbus.Variant](sig.Body, 1)
				if !ok1 || !ok2 || !exactly(sig.Body, 2) {
					return dbus.Variant{}, malformed("prompt Completed signal", "(b, v)")
				}
				if dismissed {
					return dbus.Variant{}, fmt.Errorf("dbusservice: prompt %s: %w", path, secret.ErrDismissed)
				}
				return result, nil
			}
		case <-ctx.Done():
			s.dismiss(path)
			return dbus.Variant{}, fmt.Errorf("dbusservice: prompt %s: %w", path, ctx.Err())
		}
	}
}

// objectOrPrompt reads the (o, o) reply of a method that creates an object:
// the new object's path, or "/" and a prompt whose result holds the path.
// method names the call in errors, what the object ("an item").
func (s *Service) objectOrPrompt(ctx context.Context, method, what string, body []any) (dbus.ObjectPath, error) {
	path, ok1 := arg[dbus.ObjectPath](body, 0)
	prompt, ok2 := arg[dbus.ObjectPath](body, 1)
	if !ok1 || !ok2 || !exactly(body, 2) || !path.IsValid() || !prompt.IsValid() {
		return "", malformed(method, "(o, o)")
	}
	if path != noObject {
		return path, nil
	}
	if prompt == noObject {
		return "", malformed(method, what+" or a prompt")
	}
	res, err := s.prompt(ctx, prompt)
	if err != nil {
		return "", err
	}
	if path, ok1 = variantOf[dbus.ObjectPath](res); !ok1 || !validPath(path) {
		return "", malformed(method+" prompt result", "a variant holding o")
	}
	return path, nil
}

// promptIfAny reads the o reply of a method that may need a prompt ("/"
// when it does not) and runs the prompt.
func (s *Service) promptIfAny(ctx context.Context, method string, body []any) error {
	prompt, ok := arg[dbus.ObjectPath](body, 0)
	if !ok || !exactly(body, 1) || !prompt.IsValid() {
		return malformed(method, "o")
	}
	if prompt == noObject {
		return nil
	}
	_, err := s.prompt(ctx, prompt)
	return err
}

// dismiss asks the service to close a prompt nobody waits for any more. It
// races with Completed by design (the API allows either); errors are ignored.
func (s *Service) dismiss(path dbus.ObjectPath) {
	s.cleanupCall(path, ifacePrompt+".Dismiss")
}

// cleanupCall makes a best-effort call after the caller's context may have
// ended, bounded by cleanupTimeout; its errors are of no use to anyone.
func (s *Service) cleanupCall(path dbus.ObjectPath, method string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_, _ = s.call(ctx, path, method)
}

func (s *Service) removeMatch(rule []dbus.MatchOption) {
	if s.isClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_ = s.conn.RemoveMatchSignalContext(ctx, rule...)
}

// closedOr is secret.ErrClosed after Close, otherwise fallback.
func (s *Service) closedOr(fallback error) error {
	if s.isClosed() {
		return secret.ErrClosed
	}
	return fallback
}

// Unlock unlocks collections or items and returns the paths that are now
// unlocked. The service may show a prompt (for a collection's password);
// ctx bounds the wait, and a dismissed prompt returns the paths unlocked
// without it together with secret.ErrDismissed.
func (s *Service) Unlock(ctx context.Context, paths ...dbus.ObjectPath) ([]dbus.ObjectPath, error) {
	return s.lockOrUnlock(ctx, "Unlock", paths)
}

// unlockOne unlocks one collection or item (iface names which) and checks
// that it is unlocked afterwards. The service's answer lists what it
// unlocked; only when path is missing there (some services answer a prompt
// with an empty result) is the Locked property asked, one more round trip.
func (s *Service) unlockOne(ctx context.Context, path dbus.ObjectPath, iface, what string) error {
	done, err := s.Unlock(ctx, path)
	if err != nil {
		return err
	}
	if slices.Contains(done, path) {
		return nil
	}
	locked, err := s.boolProperty(ctx, path, iface, "Locked")
	if err != nil {
		return err
	}
	if locked {
		return fmt.Errorf("dbusservice: %s %s is still locked after Unlock: %w", what, path, secret.ErrLocked)
	}
	return nil
}

// Lock locks collections or items. gnome-keyring never prompts for it.
func (s *Service) Lock(ctx context.Context, paths ...dbus.ObjectPath) error {
	_, err := s.lockOrUnlock(ctx, "Lock", paths)
	return err
}

func (s *Service) lockOrUnlock(ctx context.Context, method string, paths []dbus.ObjectPath) ([]dbus.ObjectPath, error) {
	for _, p := range paths {
		if !validPath(p) {
			return nil, fmt.Errorf("dbusservice: %s: %q is not an object path: %w", method, p, secret.ErrInvalidArgument)
		}
	}
	if len(paths) == 0 {
		return []dbus.ObjectPath{}, nil
	}
	body, err := s.call(ctx, servicePath, ifaceService+"."+method, paths)
	if err != nil {
		return nil, err
	}
	done, ok1 := arg[[]dbus.ObjectPath](body, 0)
	prompt, ok2 := arg[dbus.ObjectPath](body, 1)
	if !ok1 || !ok2 || !exactly(body, 2) || !prompt.IsValid() {
		return nil, malformed(method, "(ao, o)")
	}
	if prompt == noObject {
		return done, nil
	}
	res, err := s.prompt(ctx, prompt)
	if err != nil {
		return done, wrapf(err, "%s", method)
	}
	// The result is an ao of the objects the prompt dealt with. Some
	// services send an empty variant instead; that is not an error, the
	// caller (and unlockAndRetry) learns the state by retrying.
	if more, ok := variantOf[[]dbus.ObjectPath](res); ok {
		done = append(done, more...)
	}
	return done, nil
}

// unlockAndRetry runs op; if the service refused it as locked and
// auto-unlock is on, it unlocks target (prompting if need be) and runs op
// once more.
func (s *Service) unlockAndRetry(ctx context.Context, target dbus.ObjectPath, op func() error) error {
	err := op()
	if err == nil || !errors.Is(err, secret.ErrLocked) || !s.o.autoUnlock {
		return err
	}
	if _, uerr := s.Unlock(ctx, target); uerr != nil {
		return wrapf(uerr, "%s is locked and unlocking it failed", target)
	}
	return op()
}
