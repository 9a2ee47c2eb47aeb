package testpeer

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// The system prompter protocol, as gcr defines it (gcr-dbus-constants.h):
// gnome-keyring, as the client, calls BeginPrompting(callback) on the
// prompter; the prompter answers through PromptReady on the callback object,
// the client calls PerformPrompt(callback, type, properties, exchange) for
// each password or confirmation it wants, the prompter replies PromptReady
// again, and StopPrompting ends the session with PromptDone.
const (
	// PrompterName is the bus name gnome-keyring asks for prompts
	// (gcr's system prompter; the real one is /usr/libexec/gcr-prompter).
	PrompterName = "org.gnome.keyring.SystemPrompter"
	// PrompterPath is the prompter's object.
	PrompterPath dbus.ObjectPath = "/org/gnome/keyring/Prompter"

	prompterIface = "org.gnome.keyring.internal.Prompter"
	callbackIface = "org.gnome.keyring.internal.Prompter.Callback"
)

// Kinds of Prompt.
const (
	// PasswordPrompt asks for a password: to unlock a collection, or, with
	// PasswordNew, to create one.
	PasswordPrompt = "password"
	// ConfirmPrompt asks yes or no, e.g. gnome-keyring's "Store passwords
	// unencrypted?" after a new keyring got an empty or weak password.
	ConfirmPrompt = "confirm"
)

// MaxAttempts is how many prompts the Prompter answers in one prompt session
// before it cancels on its own, as a user would give up. gnome-keyring asks
// again after a wrong unlock password, so without a cap a wrong answer would
// loop for ever.
const MaxAttempts = 3

// Prompt is one prompt gnome-keyring asked the Prompter to show. gcr sends
// only the properties that changed since the previous prompt of a session;
// Prompt holds them all, as a prompter window would show them.
type Prompt struct {
	// Type is PasswordPrompt or ConfirmPrompt.
	Type string
	// Title, Message, Description and Warning are the texts of the
	// dialog; Warning is set on a retry after a wrong password.
	Title, Message, Description, Warning string
	// PasswordNew is true when the password is being chosen (a new
	// collection), false when it is checked (unlock).
	PasswordNew bool
	// ChoiceLabel is the label of the dialog's checkbox, "" if it has
	// none; gnome-keyring's unlock prompt offers "Automatically unlock …
	// whenever I'm logged in".
	ChoiceLabel string
	// CallerWindow is the window the dialog is to be parented to (the
	// caller-window property: the window_id the Secret Service client
	// passed to Prompt), "" when the property was not sent.
	CallerWindow string
	// Attempt counts the prompts of this prompt session, from 1.
	Attempt int
	// Properties are all properties as sent (title, message, description,
	// warning, password-new, choice-label, choice-chosen, caller-window,
	// continue-label, cancel-label, …), their values unwrapped.
	Properties map[string]any
}

// Answer is what the Prompter does with one Prompt.
type Answer struct {
	// Continue presses the dialog's OK/Continue button; false cancels.
	Continue bool
	// Password is typed into a password prompt.
	Password string
	// Choice is the state the checkbox is left in, if the dialog has one.
	// gnome-keyring pre-ticks "automatically unlock"; left ticked, it
	// keeps the collection's password in the login keyring and later
	// unlocks need no prompt.
	Choice bool
}

// AcceptPrompts answers every prompt with Continue, typing password into
// password prompts and unticking the checkbox.
func AcceptPrompts(password string) func(Prompt) Answer {
	return func(Prompt) Answer { return Answer{Continue: true, Password: password} }
}

// DismissPrompts cancels every prompt, as a user closing the dialog.
func DismissPrompts(Prompt) Answer { return Answer{} }

// Prompter is a headless, scripted system prompter on a Bus: it owns
// org.gnome.keyring.SystemPrompter, so gnome-keyring-daemon's Unlock and
// CreateCollection prompts (Secret Service Prompt.Prompt) reach it instead of
// failing for want of a display, and an answer function decides each one.
// Every prompt is recorded for tests to assert on.
type Prompter struct {
	conn   *dbus.Conn
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	answer   func(Prompt) Answer
	prompts  []Prompt
	sessions map[sessionKey]*promptSession
	trace    []string
}

type sessionKey struct {
	sender   string
	callback dbus.ObjectPath
}

// promptSession is one BeginPrompting..StopPrompting conversation.
type promptSession struct {
	exchange *secretExchange
	props    map[string]dbus.Variant // accumulated: gcr sends only changes
	attempts int
}

// StartPrompter starts a prompter on b that answers prompts with answer
// (AcceptPrompts, DismissPrompts, or a function of the Prompt). It can be
// started before or after gnome-keyring-daemon: the daemon looks the name up
// when it needs a prompt. It stops when the test ends.
//
// The password travels as the real prompter sends it, in gcr's sx-aes-1
// secret exchange (DH + AES), so the daemon cannot tell the difference.
func (b *Bus) StartPrompter(t testing.TB, answer func(Prompt) Answer) *Prompter {
	t.Helper()
	conn, err := dbus.Connect(b.Address, dbus.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("testpeer: prompter: connect: %v", err)
	}
	reply, err := conn.RequestName(PrompterName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		_ = conn.Close()
		t.Fatalf("testpeer: prompter: cannot own %s (%v, %v); is another prompter running?", PrompterName, reply, err)
	}
	// The protocol needs the reply to BeginPrompting on the wire before our
	// PromptReady call (gcr ignores a PromptReady it is not yet waiting
	// for), and godbus's Export sends replies from its own goroutine after
	// the handler returns. So the prompter takes every incoming message raw
	// and sends replies and calls itself, from one goroutine, in order.
	msgs := make(chan *dbus.Message, 256)
	conn.Eavesdrop(msgs)
	ctx, cancel := context.WithCancel(context.Background())
	p := &Prompter{conn: conn, cancel: cancel, done: make(chan struct{}), answer: answer,
		sessions: map[sessionKey]*promptSession{}}
	go p.serve(ctx, msgs)
	t.Cleanup(p.stop)
	return p
}

// SetAnswer replaces the answer function for prompts from now on.
func (p *Prompter) SetAnswer(answer func(Prompt) Answer) {
	p.mu.Lock()
	p.answer = answer
	p.mu.Unlock()
}

// Prompts returns the prompts seen so far, oldest first.
func (p *Prompter) Prompts() []Prompt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Prompt(nil), p.prompts...)
}

// Trace is what the prompter received and sent, in order, one line each
// (method, callback object, reply; never a secret), for a test to print
// when a prompt did not end as expected.
func (p *Prompter) Trace() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.trace...)
}

func (p *Prompter) note(format string, args ...any) {
	p.mu.Lock()
	p.trace = append(p.trace, time.Now().Format("15:04:05.000000 ")+fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

func (p *Prompter) stop() {
	p.cancel()
	<-p.done
	_ = p.conn.Close()
}

func (p *Prompter) serve(ctx context.Context, msgs <-chan *dbus.Message) {
	defer close(p.done)
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-msgs:
			if !ok {
				return // godbus closes the channel with the connection
			}
			if msg.Type == dbus.TypeMethodCall {
				p.handle(msg)
			}
		}
	}
}

func (p *Prompter) handle(msg *dbus.Message) {
	path, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	iface, _ := msg.Headers[dbus.FieldInterface].Value().(string)
	member, _ := msg.Headers[dbus.FieldMember].Value().(string)
	sender, _ := msg.Headers[dbus.FieldSender].Value().(string)
	if iface == "org.freedesktop.DBus.Peer" && member == "Ping" {
		p.reply(msg)
		return
	}
	if path != PrompterPath || (iface != "" && iface != prompterIface) {
		p.replyError(msg, "org.freedesktop.DBus.Error.UnknownMethod", "no such method "+iface+"."+member)
		return
	}
	var callback dbus.ObjectPath
	if len(msg.Body) > 0 {
		callback, _ = msg.Body[0].(dbus.ObjectPath)
	}
	if callback == "" {
		p.replyError(msg, "org.freedesktop.DBus.Error.InvalidArgs", "no callback object")
		return
	}
	key := sessionKey{sender, callback}
	p.note("<- %s %s from %s", member, callback, sender)
	switch member {
	case "BeginPrompting":
		p.begin(msg, key)
	case "PerformPrompt":
		p.perform(msg, key)
	case "StopPrompting":
		p.mu.Lock()
		delete(p.sessions, key)
		p.mu.Unlock()
		p.reply(msg)
		p.callback(key, "PromptDone")
	default:
		p.replyError(msg, "org.freedesktop.DBus.Error.UnknownMethod", "no such method "+member)
	}
}

// begin opens a session and sends our half of the key exchange.
func (p *Prompter) begin(msg *dbus.Message, key sessionKey) {
	p.mu.Lock()
	_, busy := p.sessions[key]
	p.mu.Unlock()
	if busy {
		p.replyError(msg, "org.freedesktop.DBus.Error.Failed", "already prompting for this callback")
		return
	}
	x, err := newSecretExchange()
	if err != nil {
		p.replyError(msg, "org.freedesktop.DBus.Error.Failed", err.Error())
		return
	}
	p.mu.Lock()
	p.sessions[key] = &promptSession{exchange: x, props: map[string]dbus.Variant{}}
	p.mu.Unlock()
	p.reply(msg)
	p.callback(key, "PromptReady", "", map[string]dbus.Variant{}, x.begin())
}

// perform answers one PerformPrompt(callback, type, properties, exchange).
func (p *Prompter) perform(msg *dbus.Message, key sessionKey) {
	if len(msg.Body) != 4 {
		p.replyError(msg, "org.freedesktop.DBus.Error.InvalidArgs", "PerformPrompt takes (osa{sv}s)")
		return
	}
	typ, _ := msg.Body[1].(string)
	props, _ := msg.Body[2].(map[string]dbus.Variant)
	exchange, _ := msg.Body[3].(string)
	p.mu.Lock()
	s := p.sessions[key]
	p.mu.Unlock()
	if s == nil {
		p.replyError(msg, "org.freedesktop.DBus.Error.Failed", "not prompting for this callback")
		return
	}
	if err := s.exchange.receive(exchange); err != nil {
		p.replyError(msg, "org.freedesktop.DBus.Error.InvalidArgs", err.Error())
		return
	}
	p.reply(msg)

	maps.Copy(s.props, props)
	s.attempts++
	prompt := newPrompt(typ, s.props, s.attempts)
	p.mu.Lock()
	p.prompts = append(p.prompts, prompt)
	answer := p.answer
	p.mu.Unlock()
	a := Answer{}
	if s.attempts <= MaxAttempts && answer != nil {
		a = answer(prompt)
	}

	var secret []byte
	changed := map[string]dbus.Variant{}
	if typ == PasswordPrompt && a.Continue {
		secret = []byte(a.Password)
		if prompt.PasswordNew {
			// gcr-prompter reports the new password's strength;
			// gnome-keyring takes 0 for an empty password and then asks
			// whether to store passwords unencrypted.
			strength := int32(0)
			if a.Password != "" {
				strength = int32(min(100, 10*len(a.Password)))
			}
			changed["password-strength"] = boxed(strength)
		}
	}
	if prompt.ChoiceLabel != "" {
		changed["choice-chosen"] = boxed(a.Choice)
		s.props["choice-chosen"] = dbus.MakeVariant(a.Choice)
	}
	sent, err := s.exchange.send(secret)
	if err != nil {
		// Cannot happen after a successful receive; cancel rather than
		// leave the daemon waiting.
		a.Continue, sent = false, s.exchange.begin()
	}
	reply := "no"
	if a.Continue {
		reply = "yes"
	}
	p.note("-> PromptReady %q to %s (secret sent: %v)", reply, key.callback, secret != nil)
	p.callback(key, "PromptReady", reply, changed, sent)
}

// boxed wraps a property value the way a prompter must send it. The
// protocol is not symmetric: the client sends a{sv} with the values as they
// are, but unboxes twice what comes back (g_variant_get_variant in gcr's
// update_properties_from_iter), so the prompter's values are variants of
// variants. Boxed once, the value is dropped with a GLib-CRITICAL in the
// daemon's log and a NULL stored in its place.
func boxed(v any) dbus.Variant { return dbus.MakeVariant(dbus.MakeVariant(v)) }

func newPrompt(typ string, props map[string]dbus.Variant, attempt int) Prompt {
	pr := Prompt{Type: typ, Attempt: attempt, Properties: make(map[string]any, len(props))}
	for k, v := range props {
		pr.Properties[k] = v.Value()
	}
	str := func(k string) string { s, _ := pr.Properties[k].(string); return s }
	pr.Title, pr.Message, pr.Description, pr.Warning = str("title"), str("message"), str("description"), str("warning")
	pr.ChoiceLabel, pr.CallerWindow = str("choice-label"), str("caller-window")
	pr.PasswordNew, _ = pr.Properties["password-new"].(bool)
	return pr
}

// callback calls a method of the client's callback object. No reply is
// asked for: replies would arrive on the raw channel and nobody waits for
// them.
func (p *Prompter) callback(key sessionKey, method string, args ...any) {
	p.conn.Object(key.sender, key.callback).Go(callbackIface+"."+method,
		dbus.FlagNoReplyExpected|dbus.FlagNoAutoStart, nil, args...)
}

func (p *Prompter) reply(call *dbus.Message, body ...any) {
	if call.Flags&dbus.FlagNoReplyExpected != 0 {
		return
	}
	m := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldDestination: call.Headers[dbus.FieldSender],
		dbus.FieldReplySerial: dbus.MakeVariant(call.Serial()),
	}, Body: body}
	if len(body) > 0 {
		m.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body...))
	}
	p.conn.Send(m, nil)
}

func (p *Prompter) replyError(call *dbus.Message, name, text string) {
	p.note("-> error %s: %s", name, text)
	if call.Flags&dbus.FlagNoReplyExpected != 0 {
		return
	}
	p.conn.Send(&dbus.Message{Type: dbus.TypeError, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldDestination: call.Headers[dbus.FieldSender],
		dbus.FieldReplySerial: dbus.MakeVariant(call.Serial()),
		dbus.FieldErrorName:   dbus.MakeVariant(name),
		dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(text)),
	}, Body: []any{text}}, nil)
}
