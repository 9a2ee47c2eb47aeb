package provider

import (
	"errors"
	"io"
	"sync"

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

	mu     sync.Mutex
	plain  bool
	cipher *dhsession.Cipher
	alt    *dhsession.Cipher // nil unless the unpadded key differs
	closed bool
}

var errSessionClosed = errors.New("session closed")

func newDHSession(path dbus.ObjectPath, owner string, clientKey []byte) (*session, []byte, error) {
	priv, err := dhsession.GenerateKey(dhsession.Oakley1024(), nil)
	if err != nil {
		return nil, nil, err
	}
	defer priv.Wipe()
	padded, unpadded, err := priv.SharedKeys(clientKey)
	if err != nil {
		return nil, nil, err
	}
	defer secret.Wipe(padded)
	defer secret.Wipe(unpadded)
	ss := &session{path: path, owner: owner}
	if ss.cipher, err = dhsession.NewCipher(padded); err != nil {
		return nil, nil, err
	}
	if unpadded != nil {
		if ss.alt, err = dhsession.NewCipher(unpadded); err != nil {
			ss.cipher.Wipe()
			return nil, nil, err
		}
	}
	return ss, priv.PublicKey(), nil
}

// close wipes the keys; encode and decode fail afterwards.
func (ss *session) close() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	ss.cipher.Wipe()
	ss.alt.Wipe()
	ss.cipher, ss.alt = nil, nil
}

// encode wraps plaintext for the client. The caller wipes plaintext; the
// returned Value is a new buffer (ciphertext, or a copy for plain) that the
// caller wipes once it is sent.
//
// random supplies the IV (crypto/rand when nil): GetSecrets reads the IVs of
// a whole batch at once.
func (ss *session) encode(random io.Reader, plaintext []byte, contentType string) (wireSecret, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return wireSecret{}, errSessionClosed
	}
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
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return nil, errSessionClosed
	}
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
