// Package gcrprompt asks for a password through gcr's system prompter, the
// desktop dialog gnome-keyring shows ("Unlock Keyring"): the D-Bus name
// org.gnome.keyring.SystemPrompter, served by /usr/libexec/gcr-prompter on
// GNOME and by other desktops' replacements.
//
// The protocol is gcr's private one. The caller exports a callback object
// and calls BeginPrompting(callback) on the prompter; the prompter answers
// PromptReady("", {}, exchange) with its half of a key exchange; the caller
// calls PerformPrompt(callback, "password", properties, exchange) with its
// own half; the prompter shows the dialog and answers PromptReady(reply,
// changed, exchange), reply "yes" or "no", the password encrypted in the
// exchange; StopPrompting ends the conversation with PromptDone.
//
// The exchange ("sx-aes-1") is a GKeyFile group with base64 fields public,
// secret and iv: DH in the 1536-bit MODP group of RFC 3526 (g = 2), the AES
// key HKDF-SHA256 of the shared secret's minimal big-endian bytes (no salt,
// no info, 16 bytes), the password AES-128-CBC with PKCS#7. So the password
// never crosses the bus in the clear.
package gcrprompt

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/internal/sxaes"
	"github.com/moneypenny-go/keyring/secret"
)

// Names of the prompter on the bus.
const (
	Name                 = "org.gnome.keyring.SystemPrompter"
	Path dbus.ObjectPath = "/org/gnome/keyring/Prompter"

	iface         = "org.gnome.keyring.internal.Prompter"
	callbackIface = "org.gnome.keyring.internal.Prompter.Callback"
)

// Prompt is what the dialog shows.
type Prompt struct {
	Title, Message, Description string
	// Warning is shown in red, e.g. after a wrong password.
	Warning string
	// ContinueLabel and CancelLabel name the buttons ("Unlock", "Cancel").
	ContinueLabel, CancelLabel string
	// CallerWindow is the window the dialog belongs to, as the client
	// named it in the Secret Service's Prompt(window_id): gcr parents the
	// dialog to it. "" leaves the property unset, as gcr does.
	CallerWindow string
}

// Available reports whether a prompter answers on conn's bus now, or can be
// started for a session that has a display.
func Available(ctx context.Context, conn *dbus.Conn, hasDisplay bool) bool {
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, Name).Store(&owned); err == nil && owned {
		return true
	}
	if !hasDisplay {
		return false
	}
	var names []string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
		return false
	}
	for _, n := range names {
		if n == Name {
			return true
		}
	}
	return false
}

type ready struct {
	reply    string
	exchange string
}

// Password shows a password dialog and returns what was typed. Cancel
// gives an error wrapping secret.ErrDismissed; so does ctx ending, after
// the dialog was taken down.
func Password(ctx context.Context, conn *dbus.Conn, p Prompt) ([]byte, error) {
	sx, err := newExchange()
	if err != nil {
		return nil, err
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	cb := dbus.ObjectPath("/org/moneypenny/Prompt/p" + hex.EncodeToString(rnd[:]))
	readies := make(chan ready, 4)
	done := make(chan struct{}, 1)
	prompter := conn.Object(Name, Path)
	err = conn.ExportMethodTable(map[string]any{
		"PromptReady": func(msg dbus.Message, reply string, _ map[string]dbus.Variant, exchange string) *dbus.Error {
			select {
			case readies <- ready{reply, exchange}:
			default:
			}
			return nil
		},
		"PromptDone": func(msg dbus.Message) *dbus.Error {
			select {
			case done <- struct{}{}:
			default:
			}
			return nil
		},
	}, cb, callbackIface)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.ExportMethodTable(nil, cb, callbackIface) }()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if prompter.CallWithContext(sctx, iface+".StopPrompting", 0, cb).Err == nil {
			select {
			case <-done:
			case <-sctx.Done():
			}
		}
	}
	if err := prompter.CallWithContext(ctx, iface+".BeginPrompting", 0, cb).Err; err != nil {
		return nil, fmt.Errorf("gcrprompt: BeginPrompting: %w", err)
	}
	defer stop()
	wait := func() (ready, error) {
		select {
		case r := <-readies:
			return r, nil
		case <-ctx.Done():
			return ready{}, fmt.Errorf("gcrprompt: %w: %w", secret.ErrDismissed, ctx.Err())
		}
	}
	first, err := wait()
	if err != nil {
		return nil, err
	}
	if err := sx.receive(first.exchange); err != nil {
		return nil, err
	}
	props := map[string]dbus.Variant{
		"title": dbus.MakeVariant(p.Title), "message": dbus.MakeVariant(p.Message),
		"description": dbus.MakeVariant(p.Description), "warning": dbus.MakeVariant(p.Warning),
		"password-new": dbus.MakeVariant(false), "choice-label": dbus.MakeVariant(""),
		"continue-label": dbus.MakeVariant(orDefault(p.ContinueLabel, "Continue")),
		"cancel-label":   dbus.MakeVariant(orDefault(p.CancelLabel, "Cancel")),
	}
	if p.CallerWindow != "" {
		props["caller-window"] = dbus.MakeVariant(p.CallerWindow)
	}
	if err := prompter.CallWithContext(ctx, iface+".PerformPrompt", 0, cb, "password", props, sx.begin()).Err; err != nil {
		return nil, fmt.Errorf("gcrprompt: PerformPrompt: %w", err)
	}
	answer, err := wait()
	if err != nil {
		return nil, err
	}
	if answer.reply != "yes" {
		return nil, fmt.Errorf("gcrprompt: the prompt was cancelled: %w", secret.ErrDismissed)
	}
	return sx.open(answer.exchange)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// exchange is the caller's side of sx-aes-1.
type exchange struct {
	p, priv, pub *big.Int
	key          []byte
	short        bool // the shared secret has a zero top byte (tests)
}

func newExchange() (*exchange, error) {
	p, _ := new(big.Int).SetString(sxaes.Prime1536, 16)
	x, err := rand.Int(rand.Reader, new(big.Int).Sub(p, big.NewInt(3)))
	if err != nil {
		return nil, err
	}
	x.Add(x, big.NewInt(2))
	return &exchange{p: p, priv: x, pub: new(big.Int).Exp(big.NewInt(2), x, p)}, nil
}

func (x *exchange) begin() string {
	return sxaes.Format(map[string][]byte{"public": x.pub.Bytes()})
}

// receive derives the key from the prompter's public value.
func (x *exchange) receive(msg string) error {
	f, err := sxaes.Parse(msg)
	if err != nil {
		return err
	}
	peer := new(big.Int).SetBytes(f["public"])
	if peer.Cmp(big.NewInt(1)) <= 0 || peer.Cmp(new(big.Int).Sub(x.p, big.NewInt(1))) >= 0 {
		return errors.New("gcrprompt: the prompter's public value is invalid")
	}
	z := new(big.Int).Exp(peer, x.priv, x.p)
	zb := z.Bytes()
	defer secret.Wipe(zb)
	x.short = len(zb) < (x.p.BitLen()+7)/8
	x.key, err = hkdf.Key(sha256.New, zb, nil, "", dhsession.KeySize)
	return err
}

// open decrypts the password in the prompter's last message.
func (x *exchange) open(msg string) ([]byte, error) {
	f, err := sxaes.Parse(msg)
	if err != nil {
		return nil, err
	}
	if len(f["secret"]) == 0 {
		return []byte{}, nil
	}
	c, err := dhsession.NewCipher(x.key)
	secret.Wipe(x.key)
	if err != nil {
		return nil, err
	}
	defer c.Wipe()
	pw, err := c.Decrypt(f["iv"], f["secret"])
	if err != nil {
		return nil, fmt.Errorf("gcrprompt: the password does not decrypt: %w", err)
	}
	return pw, nil
}
