package dbusservice

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

// algorithmPlain is the unencrypted transfer algorithm.
const algorithmPlain = "plain"

// session is an open Secret Service session: the object path the service
// gave it, and the AES cipher for DH sessions (nil for plain). Secrets are
// encoded and decoded only through the session that carried them, on the
// connection that opened it (gnome-keyring checks both).
//
// The session key is wiped when the session ends (Close, or a reopen after
// the service forgot it). Other calls may still hold the session then, so
// the cipher is used under mu's read lock and wiped under its write lock;
// afterwards encode and decode fail with errSessionEnded, never fall back to
// plain.
type session struct {
	path dbus.ObjectPath
	dh   bool

	mu     sync.RWMutex
	cipher *dhsession.Cipher // nil for plain and once ended
	ended  bool
}

// errSessionEnded is what encode and decode return on a session whose key
// is gone. withSession retries on the current session unless the Service is
// closed.
var errSessionEnded = fmt.Errorf("dbusservice: the transfer session has ended: %w", secret.ErrClosed)

func newSession(path dbus.ObjectPath, c *dhsession.Cipher) *session {
	return &session{path: path, dh: c != nil, cipher: c}
}

// end wipes the session key. It waits for encodes and decodes in flight.
func (ss *session) end() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.ended = true
	ss.cipher.Wipe()
	ss.cipher = nil
}

// algorithm reports the negotiated algorithm name.
func (ss *session) algorithm() string {
	if !ss.dh {
		return algorithmPlain
	}
	return dhsession.Algorithm
}

// encode wraps v in the Secret struct. The plaintext bytes are copied (plain)
// or encrypted under a fresh IV (DH); the caller keeps ownership of v and
// should wipe the returned Value field after the call (see wipe).
func (ss *session) encode(v *secret.Value) (wireSecret, error) {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	if ss.ended {
		return wireSecret{}, errSessionEnded
	}
	ws := wireSecret{Session: ss.path, Parameters: []byte{}, ContentType: v.ContentType()}
	if !ss.dh {
		ws.Value = append([]byte{}, v.Bytes()...)
		return ws, nil
	}
	iv, ct, err := ss.cipher.Encrypt(nil, v.Bytes())
	if err != nil {
		return wireSecret{}, fmt.Errorf("dbusservice: encrypt secret: %w", err)
	}
	ws.Parameters, ws.Value = iv, ct
	return ws, nil
}

// wipe zeroes the wire copy of a secret (the plaintext itself for plain).
func (ws *wireSecret) wipe() { secret.Wipe(ws.Value) }

// decode opens a Secret struct the service sent. The result owns fresh
// memory; the wire buffers are wiped.
func (ss *session) decode(ws wireSecret) (*secret.Value, error) {
	defer ws.wipe()
	if ws.Session != ss.path {
		return nil, fmt.Errorf("dbusservice: secret encoded for session %s, ours is %s: %w", ws.Session, ss.path, secret.ErrCorrupt)
	}
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	if ss.ended {
		return nil, errSessionEnded
	}
	// An empty content type reads as text: secret.Value.ContentType says so.
	if !ss.dh {
		return secret.NewWithContentType(append([]byte{}, ws.Value...), ws.ContentType), nil
	}
	plain, err := ss.cipher.Decrypt(ws.Parameters, ws.Value)
	if err != nil {
		return nil, fmt.Errorf("dbusservice: decrypt secret: %w", err)
	}
	return secret.NewWithContentType(plain, ws.ContentType), nil
}

// openSession negotiates DH unless plain was forced, and falls back to plain
// only when the service answers NotSupported (what libsecret does): any other
// failure, including a DH reply that does not verify, is an error, so a
// misbehaving service cannot talk us down to cleartext.
func (s *Service) openSession(ctx context.Context) (*session, error) {
	if !s.o.plain {
		ss, err := s.openDH(ctx)
		if err == nil || !errors.Is(err, secret.ErrNotSupported) {
			return ss, err
		}
	}
	body, err := s.call(ctx, servicePath, ifaceService+".OpenSession", algorithmPlain, dbus.MakeVariant(""))
	if err != nil {
		return nil, err
	}
	path, ok := arg[dbus.ObjectPath](body, 1)
	if _, okv := arg[dbus.Variant](body, 0); !okv || !ok || !exactly(body, 2) || !validPath(path) {
		return nil, malformed("OpenSession(plain)", "(v, o)")
	}
	return newSession(path, nil), nil
}

// dhAttempts bounds how often openDH redoes an exchange whose shared
// secret begins with a zero byte; each attempt has a 1 in 256 chance of
// that, so eight in a row means something else is wrong.
const dhAttempts = 8

// openDH opens a DH session. An exchange whose shared secret begins with a
// zero byte is redone with a fresh key pair: gnome-keyring derives the key
// from the padded secret and kwalletd 5 from the unpadded one, so only the
// other exchanges give a key every provider agrees on (see
// dhsession.PrivateKey.SharedKeyUnambiguous).
func (s *Service) openDH(ctx context.Context) (*session, error) {
	for range dhAttempts {
		ss, again, err := s.openDHOnce(ctx)
		if !again {
			return ss, err
		}
	}
	return nil, fmt.Errorf("dbusservice: open session: %d exchanges in a row gave a shared secret with a leading zero byte: %w", dhAttempts, secret.ErrCorrupt)
}

// openDHOnce makes one exchange; again reports an ambiguous shared secret,
// whose session it has closed.
func (s *Service) openDHOnce(ctx context.Context) (ss *session, again bool, err error) {
	key, err := generateDHKey()
	if err != nil {
		return nil, false, err
	}
	defer key.Wipe()
	// The input must be a variant holding ay: gnome-keyring answers
	// InvalidArgs to anything else.
	body, err := s.call(ctx, servicePath, ifaceService+".OpenSession", dhsession.Algorithm, dbus.MakeVariant(key.PublicKey()))
	if err != nil {
		return nil, false, err
	}
	out, ok1 := arg[dbus.Variant](body, 0)
	path, ok2 := arg[dbus.ObjectPath](body, 1)
	if !ok1 || !ok2 || !exactly(body, 2) || !validPath(path) {
		return nil, false, malformed("OpenSession", "(v, o)")
	}
	c, unambiguous, err := dhCipher(key, out)
	if err != nil || !unambiguous {
		s.closeSessionPath(path)
		return nil, err == nil, err
	}
	return newSession(path, c), false, nil
}

// generateDHKey picks a key pair whose public key does not begin with the
// byte 0xff. kwalletd 5 misreads such a key (measured on 5.103: in 4 of
// 1,500 sessions, exactly those, no derivation of the shared secret
// decrypted its answer; every other first byte worked), so it is not
// offered: the exponent is drawn again, which costs nothing on the wire and
// removes one key in 256 from a space of 2^1024.
func generateDHKey() (*dhsession.PrivateKey, error) {
	return generateDHKeyWith(func() (*dhsession.PrivateKey, error) {
		return dhsession.GenerateKey(dhsession.Oakley1024(), nil)
	})
}

// generateDHKeyWith is generateDHKey drawing keys from generate.
func generateDHKeyWith(generate func() (*dhsession.PrivateKey, error)) (*dhsession.PrivateKey, error) {
	for {
		key, err := generate()
		if err != nil {
			return nil, err
		}
		if key.PublicKey()[0] != 0xff {
			return key, nil
		}
		key.Wipe()
	}
}

// dhCipher derives the session's AES key from the service's OpenSession
// output, its public key; unambiguous is false (and the cipher nil) when
// services could disagree on the key.
func dhCipher(key *dhsession.PrivateKey, out dbus.Variant) (c *dhsession.Cipher, unambiguous bool, err error) {
	peer, ok := variantOf[[]byte](out)
	if !ok {
		return nil, false, malformed("OpenSession", "the service's public key as a variant holding ay")
	}
	aesKey, unambiguous, err := key.SharedKeyUnambiguous(peer)
	if err != nil {
		return nil, false, wrapf(err, "open session")
	}
	defer secret.Wipe(aesKey)
	if !unambiguous {
		return nil, false, nil
	}
	c, err = dhsession.NewCipher(aesKey)
	return c, err == nil, err
}

// closeSessionPath closes a session the client will not use. It is cleanup:
// best effort, and the service drops sessions with the connection anyway.
func (s *Service) closeSessionPath(path dbus.ObjectPath) {
	s.cleanupCall(path, ifaceSession+".Close")
}

// session returns the connection's session, opening it on first use.
func (s *Service) session(ctx context.Context) (*session, error) {
	if ss := s.currentSession(); ss != nil {
		return ss, nil
	}
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if ss := s.currentSession(); ss != nil { // opened while we waited
		return ss, nil
	}
	if s.isClosed() {
		return nil, fmt.Errorf("dbusservice: %w", secret.ErrClosed)
	}
	ss, err := s.openSession(ctx)
	if err != nil {
		return nil, err
	}
	s.sessMu.Lock()
	ended := s.sessEnded
	if !ended {
		s.sess = ss
	}
	s.sessMu.Unlock()
	if ended { // Close ran while the session was being opened
		ss.end()
		return nil, fmt.Errorf("dbusservice: %w", secret.ErrClosed)
	}
	return ss, nil
}

func (s *Service) currentSession() *session {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	return s.sess
}

// withSession runs f with the session. If the service no longer knows the
// session (NoSession: it restarted, or closed it), the session is reopened
// once and f retried.
func (s *Service) withSession(ctx context.Context, f func(*session) error) error {
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	err = f(ss)
	switch {
	case errors.Is(err, errSessionEnded):
		// Another call reopened the session (or Close ended it) while
		// this one used it: retry on the current one.
		if s.isClosed() {
			return fmt.Errorf("dbusservice: %w", secret.ErrClosed)
		}
	case sessionLost(err):
		s.dropSession(ss)
	default:
		return err
	}
	if ss, err = s.session(ctx); err != nil {
		return err
	}
	return f(ss)
}

// dropSession forgets ss if it is still the current session and wipes its
// key; calls that still hold it fail with errSessionEnded and retry.
func (s *Service) dropSession(ss *session) {
	s.sessMu.Lock()
	current := s.sess == ss
	if current {
		s.sess = nil
	}
	s.sessMu.Unlock()
	if current {
		ss.end()
	}
}

// Algorithm returns the transfer algorithm of the connection's session:
// "dh-ietf1024-sha256-aes128-cbc-pkcs7" or "plain".
func (s *Service) Algorithm(ctx context.Context) (string, error) {
	ss, err := s.session(ctx)
	if err != nil {
		return "", err
	}
	return ss.algorithm(), nil
}
