package provider

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

const algorithmPlain = "plain"

// wireSecret is the Secret struct (oayays).
type wireSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// session is one client's transfer session. It belongs to the connection
// that opened it (owner): a secret encoded for it is accepted only from that
// connection, as gnome-keyring does.
//
// A DH session keeps two keys when the shared secret has a leading zero
// byte: the one derived from the padded secret (what the spec, libsecret and
// gnome-keyring use) and the one a client that forgot the padding derives.
// Secrets go out under the padded key until a secret the client sent
// decrypts only under the other; from then on the session uses that one.
type session struct {
	path  dbus.ObjectPath
	owner string
	// ready is closed once a DH session's keys are derived (nil for
	// plain): OpenSession answers with the public key at once and the
	// shared secret is computed while the client makes its next calls.
	ready chan struct{}
	// refill starts the next spare key pair (once; nil for plain).
	refill func()

	mu     sync.Mutex
	plain  bool
	cipher *dhsession.Cipher
	alt    *dhsession.Cipher // nil unless the unpadded key differs
	keyErr error             // why the keys could not be derived
	closed bool
}

var errSessionClosed = errors.New("session closed")

// refillDelay is how long a session may stay open before the key pair it
// took is replaced anyway (Server.refillDelay; tests change it).
const refillDelay = 100 * time.Millisecond

// newDHSession checks the client's public key and answers with a key pair
// from spare; the shared secret, the half of the exchange that depends on
// the client, is derived in the background, and encode and decode wait for
// it.
//
// The spare is replaced when the session closes, or delay after it opened
// if that comes first: a client like secret-tool lookup closes its
// session (by leaving the bus) a few milliseconds after opening it, and
// generating the next pair while it still runs would take a core from it
// and from the bus on a small machine; after it has gone, the next
// client's start-up leaves a core free.
func newDHSession(path dbus.ObjectPath, owner string, clientKey []byte, spare *dhsession.Spare, delay time.Duration) (*session, []byte, error) {
	if err := dhsession.Oakley1024().CheckPeerKey(clientKey); err != nil {
		return nil, nil, err
	}
	priv, err := spare.Take()
	if err != nil {
		return nil, nil, err
	}
	pub := priv.PublicKey()
	ss := &session{path: path, owner: owner, ready: make(chan struct{}), refill: sync.OnceFunc(spare.Refill)}
	time.AfterFunc(delay, ss.refill)
	clientKey = append([]byte(nil), clientKey...)
	go func() {
		defer close(ss.ready)
		cipher, alt, err := deriveCiphers(priv, clientKey)
		priv.Wipe()
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if ss.closed {
			cipher.Wipe()
			alt.Wipe()
			return
		}
		ss.cipher, ss.alt, ss.keyErr = cipher, alt, err
	}()
	return ss, pub, nil
}

// deriveCiphers makes the session's cipher, and the one of a client that
// hashes the shared secret unpadded when that key differs.
func deriveCiphers(priv *dhsession.PrivateKey, clientKey []byte) (cipher, alt *dhsession.Cipher, err error) {
	padded, unpadded, err := priv.SharedKeys(clientKey)
	if err != nil {
		return nil, nil, err
	}
	defer secret.Wipe(padded)
	defer secret.Wipe(unpadded)
	if cipher, err = dhsession.NewCipher(padded); err != nil {
		return nil, nil, err
	}
	if unpadded != nil {
		if alt, err = dhsession.NewCipher(unpadded); err != nil {
			cipher.Wipe()
			return nil, nil, err
		}
	}
	return cipher, alt, nil
}

// lock waits for the session's keys and locks it; it fails when the session
// is closed or its keys could not be derived.
func (ss *session) lock() error {
	if ss.ready != nil {
		<-ss.ready
	}
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return errSessionClosed
	}
	if ss.keyErr != nil {
		ss.mu.Unlock()
		return ss.keyErr
	}
	return nil
}

// close wipes the keys; encode and decode fail afterwards.
func (ss *session) close() {
	ss.mu.Lock()
	ss.closed = true
	ss.cipher.Wipe()
	ss.alt.Wipe()
	ss.cipher, ss.alt = nil, nil
	ss.mu.Unlock()
	if ss.refill != nil {
		ss.refill()
	}
}

// encode wraps plaintext for the client. The caller wipes plaintext; the
// returned Value is a new buffer (ciphertext, or a copy for plain) that the
// caller wipes once it is sent.
//
// random supplies the IV (crypto/rand when nil): GetSecrets reads the IVs of
// a whole batch at once.
func (ss *session) encode(random io.Reader, plaintext []byte, contentType string) (wireSecret, error) {
	if err := ss.lock(); err != nil {
		return wireSecret{}, err
	}
	defer ss.mu.Unlock()
	ws := wireSecret{Session: ss.path, Parameters: []byte{}, ContentType: contentType}
	if ss.plain {
		ws.Value = append([]byte{}, plaintext...)
		return ws, nil
	}
	iv, ct, err := ss.cipher.Encrypt(random, plaintext)
	if err != nil {
		return wireSecret{}, err
	}
	ws.Parameters, ws.Value = iv, ct
	return ws, nil
}

// decode opens a secret the client sent. The result is a new buffer.
func (ss *session) decode(ws wireSecret) ([]byte, error) {
	if err := ss.lock(); err != nil {
		return nil, err
	}
	defer ss.mu.Unlock()
	if ss.plain {
		return append([]byte{}, ws.Value...), nil
	}
	plain, err := ss.cipher.Decrypt(ws.Parameters, ws.Value)
	if err == nil || ss.alt == nil {
		return plain, err
	}
	plain, altErr := ss.alt.Decrypt(ws.Parameters, ws.Value)
	if altErr != nil {
		return nil, err
	}
	// The client hashed the unpadded shared secret: speak its dialect.
	ss.cipher.Wipe()
	ss.cipher, ss.alt = ss.alt, nil
	return plain, nil
}
