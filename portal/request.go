package portal

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/moneypenny-go/keyring/internal/nameowner"
	"github.com/moneypenny-go/keyring/secret"
)

// Portal methods are asynchronous: they return the object path of a Request
// at once, and the result arrives later as that Request's Response signal.
// This file holds that half of the protocol, which every portal shares.

// Response codes of org.freedesktop.portal.Request.Response.
const (
	responseSuccess   = 0
	responseCancelled = 1
	responseOther     = 2
)

// newToken returns a fresh handle_token. The portal accepts only
// [A-Za-z0-9_]; rand.Text gives A-Z and 2-7.
func newToken() string { return "moneypenny_" + rand.Text() }

// requestPath predicts the Request object the portal will create for a call
// from the connection with unique name unique and the given handle_token:
// /org/freedesktop/portal/desktop/request/SENDER/TOKEN, where SENDER is the
// unique name without its ':' and with '.' replaced by '_'.
func requestPath(unique, token string) dbus.ObjectPath {
	sender := strings.ReplaceAll(strings.TrimPrefix(unique, ":"), ".", "_")
	return dbus.ObjectPath(requestPrefix + sender + "/" + token)
}

// subscription is the match rule for Response on one request path. The
// portal sends Response as a unicast signal, which reaches us without any
// match rule; the rule is still added so that a portal which broadcasts it
// is heard too, and it is removed again when the request is over. A second
// rule follows the owner of the portal's name, so that only the process
// that took the request is believed and its leaving the bus ends the wait.
type subscription struct {
	conn   *dbus.Conn
	path   dbus.ObjectPath
	owner  *nameowner.Tracker
	portal string // the unique name that took the request (see pin)
}

func (s *subscription) rule(path dbus.ObjectPath) []dbus.MatchOption {
	return []dbus.MatchOption{
		dbus.WithMatchObjectPath(path),
		dbus.WithMatchInterface(ifaceRequest),
		dbus.WithMatchMember("Response"),
	}
}

// subscribe adds the rules and starts following the owner of the portal's
// name; the signal channel must be registered already.
func subscribe(ctx context.Context, conn *dbus.Conn, path dbus.ObjectPath) (*subscription, error) {
	s := &subscription{conn: conn}
	if err := conn.AddMatchSignalContext(ctx, nameowner.Rule(busName)...); err != nil {
		return nil, err
	}
	if err := conn.AddMatchSignalContext(ctx, s.rule(path)...); err != nil {
		s.removeOwnerRule()
		return nil, err
	}
	s.path = path
	owner, err := nameowner.New(ctx, conn, busName)
	if err != nil {
		s.remove()
		return nil, err
	}
	s.owner = owner
	return s, nil
}

// pin records which process took the request, once the call has returned:
// before it, the portal may not even be running (the bus starts it on
// demand). Nobody owning the name by then is ErrNoPortal.
func (s *subscription) pin(ctx context.Context) error {
	owner, err := nameowner.Lookup(ctx, s.conn, busName)
	if err != nil {
		return err
	}
	if owner == "" {
		return fmt.Errorf("portal: the portal left the bus before it answered: %w", ErrNoPortal)
	}
	s.portal = owner
	return nil
}

// move re-targets the subscription when the portal chose another path than
// the predicted one (it appends a suffix when the predicted path is taken).
// The new rule is added before the old one goes, so nothing is missed.
func (s *subscription) move(ctx context.Context, path dbus.ObjectPath) error {
	if path == s.path {
		return nil
	}
	if err := s.conn.AddMatchSignalContext(ctx, s.rule(path)...); err != nil {
		return err
	}
	old := s.path
	s.path = path
	return s.conn.RemoveMatchSignalContext(ctx, s.rule(old)...)
}

// remove drops the match rules. It runs on cleanup, often after the
// caller's context is done, so it gets its own short deadline.
func (s *subscription) remove() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_ = s.conn.RemoveMatchSignalContext(ctx, s.rule(s.path)...)
	s.removeOwnerRule()
}

func (s *subscription) removeOwnerRule() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_ = s.conn.RemoveMatchSignalContext(ctx, nameowner.Rule(busName)...)
}

// cleanupTimeout bounds the calls made while giving up or cleaning up.
const cleanupTimeout = 5 * time.Second

// closeRequest tells the portal to abandon a request. No Response follows.
// Errors are ignored: the request may already be gone, and closing our bus
// connection ends it as well.
func closeRequest(conn *dbus.Conn, path dbus.ObjectPath) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_ = conn.Object(busName, path).CallWithContext(ctx, ifaceRequest+".Close", 0).Err
}

// waitResponse waits for the Response of the request at sub.path, sent by
// the process that took the request (sub.portal). Signals
// from other senders or for other paths are ignored: another peer could
// otherwise end our request with a forged Response, and GDBus (libsecret)
// filters on the owner of the well-known name in the same way. If that
// process loses the name (it exited, or was replaced), no Response will
// come and the wait ends with ErrNoPortal.
func waitResponse(ctx context.Context, signals <-chan *dbus.Signal, sub *subscription) (uint32, error) {
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case sig, ok := <-signals:
			if !ok {
				return 0, fmt.Errorf("portal: the bus connection closed while waiting for the portal's response: %w", secret.ErrUnavailable)
			}
			if c, changed := sub.owner.Observe(sig); changed {
				if c.Old == sub.portal {
					return 0, fmt.Errorf("portal: the portal left the bus before it answered: %w", ErrNoPortal)
				}
				continue
			}
			if sig.Path != sub.path || sig.Name != ifaceRequest+".Response" || sig.Sender != sub.portal {
				continue
			}
			var (
				code    uint32
				results map[string]dbus.Variant
			)
			if err := dbus.Store(sig.Body, &code, &results); err != nil {
				return 0, fmt.Errorf("portal: malformed Response signal: %v: %w", err, ErrRequestFailed)
			}
			return code, nil
		}
	}
}

// responseError maps a non-zero response code to an error.
func responseError(code uint32) error {
	switch code {
	case responseSuccess:
		return nil
	case responseCancelled:
		return fmt.Errorf("portal: the Secrets request was cancelled: %w", secret.ErrDismissed)
	case responseOther:
		return fmt.Errorf("portal: response code 2: %w", ErrRequestFailed)
	default:
		return fmt.Errorf("portal: unknown response code %d: %w", code, ErrRequestFailed)
	}
}
