package portal

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
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
// is heard too, and it is removed again when the request is over.
type subscription struct {
	conn *dbus.Conn
	path dbus.ObjectPath
}

func (s *subscription) rule(path dbus.ObjectPath) []dbus.MatchOption {
	return []dbus.MatchOption{
		dbus.WithMatchObjectPath(path),
		dbus.WithMatchInterface(ifaceRequest),
		dbus.WithMatchMember("Response"),
	}
}

func subscribe(ctx context.Context, conn *dbus.Conn, path dbus.ObjectPath) (*subscription, error) {
	s := &subscription{conn: conn}
	if err := conn.AddMatchSignalContext(ctx, s.rule(path)...); err != nil {
		return nil, err
	}
	s.path = path
	return s, nil
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

// remove drops the match rule. It runs on cleanup, often after the caller's
// context is done, so it gets its own short deadline.
func (s *subscription) remove() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_ = s.conn.RemoveMatchSignalContext(ctx, s.rule(s.path)...)
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

// waitResponse waits for the Response of the request at path, sent by the
// portal's unique name owner. Signals from other senders or for other paths
// are ignored: another peer could otherwise end our request with a forged
// Response, and GDBus (libsecret) filters on the owner of the well-known name
// in the same way.
func waitResponse(ctx context.Context, signals <-chan *dbus.Signal, path dbus.ObjectPath, owner string) (uint32, error) {
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case sig, ok := <-signals:
			if !ok {
				return 0, fmt.Errorf("portal: the bus connection closed while waiting for the portal's response: %w", secret.ErrUnavailable)
			}
			if sig.Path != path || sig.Name != ifaceRequest+".Response" || sig.Sender != owner {
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
