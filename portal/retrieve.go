package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/moneypenny-go/keyring/secret"
)

// SecretLen is how many bytes of the portal's secret are used: libsecret reads
// exactly this many, gnome-keyring and oo7-portal generate exactly this many,
// and fewer is an error.
const SecretLen = 64

// RetrieveSecret asks the Secrets portal for this application's master secret
// on a connection of its own, and closes it again. Programs that need the
// secret more than once use a Client, which asks once.
//
// Errors: ErrNoPortal (no bus, portal or Secret interface), secret.ErrDismissed
// (the request was cancelled, Response 1), ErrRequestFailed (Response 2),
// secret.ErrCorrupt (fewer than 64 bytes arrived), or the context's error after
// the request was closed.
func RetrieveSecret(ctx context.Context, opts ...Option) (*secret.Value, error) {
	c := NewClient(opts...)
	defer c.Close()
	return c.Secret(ctx)
}

// retrieve runs one RetrieveSecret request on conn, the way libsecret does.
func retrieve(ctx context.Context, conn *dbus.Conn, o options) (*secret.Value, error) {
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	if !conn.SupportsUnixFDs() {
		return nil, fmt.Errorf("portal: the bus connection cannot pass file descriptors: %w", secret.ErrUnavailable)
	}
	names := conn.Names()
	if len(names) == 0 {
		return nil, fmt.Errorf("portal: the bus connection has no unique name: %w", secret.ErrUnavailable)
	}
	token := newToken()
	predicted := requestPath(names[0], token)

	// Listen before calling: the portal may answer before we have even read
	// the method reply. The channel is buffered, and godbus queues what does
	// not fit, so a Response that beats the reply is kept, not lost.
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	sub, err := subscribe(ctx, conn, predicted)
	if err != nil {
		return nil, wrapCallError("subscribe to the request's Response", err)
	}
	defer sub.remove()

	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("portal: pipe: %v: %w", err, secret.ErrUnavailable)
	}
	defer r.Close()
	options := map[string]dbus.Variant{"handle_token": dbus.MakeVariant(token)}
	call := conn.Object(busName, objectPath).CallWithContext(ctx, ifaceSecret+".RetrieveSecret", 0,
		dbus.UnixFD(int32(w.Fd())), options)
	// The message, and with it a duplicate of the write end, has been sent
	// (or never will be). Our copy must go now: the read below only sees
	// end-of-file once every copy of the write end is closed.
	_ = w.Close()
	var handle dbus.ObjectPath
	if err := call.Store(&handle); err != nil {
		if ctx.Err() != nil {
			// The portal may have created the request already; it lives at
			// the predicted path unless that was taken.
			closeRequest(conn, predicted)
		}
		return nil, wrapCallError("RetrieveSecret", err)
	}
	if err := sub.move(ctx, handle); err != nil {
		closeRequest(conn, handle)
		return nil, wrapCallError("follow the request to "+string(handle), err)
	}

	if err := sub.pin(ctx); err != nil {
		closeRequest(conn, handle)
		if errors.Is(err, ErrNoPortal) {
			return nil, err
		}
		return nil, wrapCallError("ask the bus who owns "+busName, err)
	}
	code, err := waitResponse(ctx, signals, sub)
	if err != nil {
		if ctx.Err() != nil {
			closeRequest(conn, handle)
			return nil, fmt.Errorf("portal: waiting for the Secrets portal: %w", ctx.Err())
		}
		return nil, err
	}
	if err := responseError(code); err != nil {
		return nil, err
	}
	return readSecret(ctx, r)
}

// readSecret reads the first SecretLen bytes from the pipe, as libsecret
// does: it stops after SecretLen bytes (anything after them is never used)
// and fails on end-of-file before them. The portal backend closes its end
// after writing, so a short secret is noticed at once.
func readSecret(ctx context.Context, r *os.File) (*secret.Value, error) {
	// os.Pipe files use the runtime poller on Unix, so a deadline interrupts
	// a read that would otherwise wait for a writer that never writes.
	stop := context.AfterFunc(ctx, func() { _ = r.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, SecretLen)
	n, err := io.ReadFull(r, buf)
	if err == nil {
		return secret.NewWithContentType(buf, secret.ContentTypeBinary), nil
	}
	secret.Wipe(buf)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("portal: the portal sent %d secret bytes, want %d: %w", n, SecretLen, secret.ErrCorrupt)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("portal: reading the secret: %w", ctx.Err())
	default:
		return nil, fmt.Errorf("portal: reading the secret: %v: %w", err, secret.ErrUnavailable)
	}
}
