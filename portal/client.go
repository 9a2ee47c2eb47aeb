package portal

import (
	"context"
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/moneypenny-go/keyring/secret"
)

// Client asks the Secrets portal for the application's secret once and then
// remembers it, like oo7's Keyring, which keeps the secret for its lifetime.
// Each request may create state in the portal backend and, with some
// backends, show a dialog, so a program should hold one Client (or one
// keyring built from it) rather than ask again and again.
//
// A Client is safe for concurrent use. Its connection is opened on the first
// call to Secret, not by NewClient.
type Client struct {
	opts options
	// sem serialises fetches, so concurrent first calls ask the portal once,
	// while still letting a waiting caller give up through its context.
	sem chan struct{}

	mu     sync.Mutex // guards the fields below
	conn   *dbus.Conn
	cached *secret.Value
	closed bool
}

// NewClient returns a Client. It does no I/O.
func NewClient(opts ...Option) *Client {
	return &Client{opts: newOptions(opts), sem: make(chan struct{}, 1)}
}

// Secret returns the application's secret: the first 64 bytes the portal
// writes. The first successful call asks the portal; later calls return the
// cached secret. Each call returns a fresh copy, which the caller should Wipe
// when done. A failed request is not cached: the next call asks again.
func (c *Client) Secret(ctx context.Context) (*secret.Value, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("portal: %w", ctx.Err())
	}
	defer func() { <-c.sem }()

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, fmt.Errorf("portal: client: %w", secret.ErrClosed)
	}
	if c.cached != nil {
		v := c.cached.Clone()
		c.mu.Unlock()
		return v, nil
	}
	conn := c.conn
	c.mu.Unlock()

	if conn == nil || !conn.Connected() {
		fresh, err := connect(ctx, c.opts)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			_ = fresh.Close()
			return nil, fmt.Errorf("portal: client: %w", secret.ErrClosed)
		}
		if c.conn != nil {
			_ = c.conn.Close()
		}
		c.conn = fresh
		c.mu.Unlock()
		conn = fresh
	}

	v, err := retrieve(ctx, conn, c.opts)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		v.Wipe()
		return nil, fmt.Errorf("portal: client: %w", secret.ErrClosed)
	}
	c.cached = v
	return v.Clone(), nil
}

// Close wipes the cached secret and closes the connection. Copies already
// returned by Secret are the caller's to wipe. Close is idempotent; Secret
// fails with secret.ErrClosed afterwards.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.cached.Wipe()
	c.cached = nil
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}
