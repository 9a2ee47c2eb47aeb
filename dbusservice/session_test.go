package dbusservice

import (
	"errors"
	"reflect"
	"sync"
	"testing"
	"unsafe"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

// sessionKey returns the DH session's AES key where the cipher keeps it
// (an alias, not a copy), so a test can watch it being wiped.
func sessionKey(t *testing.T, ss *session) []byte {
	t.Helper()
	if ss == nil || ss.cipher == nil {
		t.Fatal("no DH session")
	}
	v := reflect.ValueOf(ss.cipher).Elem().FieldByName("key")
	if !v.IsValid() || v.Kind() != reflect.Slice || v.Len() != dhsession.KeySize {
		t.Fatalf("dhsession.Cipher keeps no %d-byte key field: %v", dhsession.KeySize, v)
	}
	return unsafe.Slice((*byte)(v.UnsafePointer()), v.Len())
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// storedItem creates an item in the default collection of s.
func storedItem(t *testing.T, s *Service, value string) *Item {
	t.Helper()
	it, err := defaultCollection(t, testCtx(t), s).Create(testCtx(t), "session key test",
		secret.Attributes{"session": "key"}, secret.NewString(value), true)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// TestSessionKeyWipedOnClose: Close zeroes the DH session key, and the ended
// session refuses to encode rather than sending the secret in the clear.
func TestSessionKeyWipedOnClose(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	it := storedItem(t, s, "wiped with the session")
	ss := s.currentSession()
	key := sessionKey(t, ss)
	if allZero(key) {
		t.Fatal("the session key is zero before Close")
	}
	if v, err := it.Secret(testCtx(t)); err != nil || string(v.Bytes()) != "wiped with the session" {
		t.Fatalf("Secret: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !allZero(key) {
		t.Fatalf("the session key survived Close")
	}
	if _, err := ss.encode(secret.NewString("x")); !errors.Is(err, secret.ErrClosed) {
		t.Fatalf("encode on an ended session: %v, want ErrClosed", err)
	}
}

// TestSessionKeyWipedOnReopen: when gnome-keyring no longer knows the
// session (here it was closed behind the client's back), the client opens a
// new one and wipes the old key.
func TestSessionKeyWipedOnReopen(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	ctx := testCtx(t)
	it := storedItem(t, s, "across sessions")
	old := s.currentSession()
	oldKey := sessionKey(t, old)
	if err := s.conn.Object(busName, old.path).CallWithContext(ctx, ifaceSession+".Close", 0).Err; err != nil {
		t.Fatalf("close the session on the service: %v", err)
	}
	v, err := it.Secret(ctx)
	if err != nil || string(v.Bytes()) != "across sessions" {
		t.Fatalf("Secret after the service dropped the session: %v", err)
	}
	cur := s.currentSession()
	if cur == old || cur.path == old.path {
		t.Fatal("the session was not reopened")
	}
	if !allZero(oldKey) {
		t.Fatal("the old session key survived the reopen")
	}
	if allZero(sessionKey(t, cur)) {
		t.Fatal("the new session key is zero")
	}
}

// TestSessionEndWhileInUse: secrets read while Close ends the session come
// back right or fail with ErrClosed; the race detector watches the key.
func TestSessionEndWhileInUse(t *testing.T) {
	k := startKeyring(t, peerConfig{})
	s := k.connect()
	it := storedItem(t, s, "concurrent")
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	read := make(chan struct{}, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				v, err := s.Item(it.Path()).Secret(ctx)
				if err != nil {
					if !errors.Is(err, secret.ErrClosed) && !errors.Is(err, secret.ErrUnavailable) {
						errs <- err
					}
					return
				}
				if string(v.Bytes()) != "concurrent" {
					errs <- errors.New("a secret decoded wrong")
					return
				}
				select {
				case read <- struct{}{}:
				default:
				}
			}
		}()
	}
	<-read // Close while reads are under way
	_ = s.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("read during Close: %v", err)
	}
}
