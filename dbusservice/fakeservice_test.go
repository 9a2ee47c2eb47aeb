package dbusservice

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

// A service without the DH algorithm answers NotSupported; only then does
// the client fall back to plain, and secrets still round-trip.
func TestFakePlainFallbackOnNotSupported(t *testing.T) {
	f := startFake(t, false, nil)
	s := f.mustConnect()
	ctx := testCtx(t)
	if alg, _ := s.Algorithm(ctx); alg != algorithmPlain {
		t.Fatalf("Algorithm = %q, want plain after NotSupported", alg)
	}
	want := []string{"OpenSession " + dhsession.Algorithm, "OpenSession plain"}
	if got := f.called(); !slices.Equal(got[:2], want) {
		t.Fatalf("calls %v, want %v first", got, want)
	}
	v, err := s.Item(fakeItem).Secret(ctx)
	if err != nil || string(v.Bytes()) != fakeSecret {
		t.Fatalf("plain secret: %v", err)
	}
	c, err := s.Collection(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateItem(ctx, "x", secret.Attributes{"a": "b"},
		secret.NewWithContentType([]byte("raw bytes"), secret.ContentTypeBinary), true); err != nil {
		t.Fatal(err)
	}
	received, _, _ := f.seen()
	got := received[0]
	if got.Session != fakeSession || len(got.Parameters) != 0 || string(got.Value) != "raw bytes" ||
		got.ContentType != secret.ContentTypeBinary {
		t.Fatalf("plain secret on the wire: session %s, %d parameter bytes, content type %q",
			got.Session, len(got.Parameters), got.ContentType)
	}
}

// Any other OpenSession failure must not talk the client down to plain.
func TestFakeNoPlainFallbackOnOtherErrors(t *testing.T) {
	f := startFake(t, true, func(*fakeService) map[string]any {
		return map[string]any{
			"Service.OpenSession": func(alg string, in dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
				return dbus.Variant{}, "", dbus.NewError(errInvalidArgs, []any{"nope"})
			},
		}
	})
	ctx := testCtx(t)
	if _, err := f.connect(ctx); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("Connect = %v, want the InvalidArgs error", err)
	}
	if _, err := f.connect(ctx, WithPlainSession()); !errors.Is(err, secret.ErrInvalidArgument) {
		t.Fatalf("plain: %v", err)
	}
}

// The DH session against an independent service side: our key goes out as
// 128 bytes, the service's 126-byte key is accepted, each secret has its own
// IV, and both directions decrypt.
func TestFakeDHSession(t *testing.T) {
	f := startFake(t, true, nil)
	s := f.mustConnect()
	ctx := testCtx(t)
	if alg, _ := s.Algorithm(ctx); alg != dhsession.Algorithm {
		t.Fatalf("Algorithm = %q", alg)
	}
	if _, pub, _ := f.seen(); len(pub) != 128 {
		t.Fatalf("client public key sent as %d bytes, want 128", len(pub))
	}
	v, err := s.Item(fakeItem).Secret(ctx)
	if err != nil || string(v.Bytes()) != fakeSecret {
		t.Fatalf("DH secret: %v", err)
	}
	m, err := s.GetSecrets(ctx, s.Item(fakeItem))
	if err != nil || string(m[fakeItem].Bytes()) != fakeSecret {
		t.Fatalf("GetSecrets over DH: %v", err)
	}
	it := s.Item(fakeItem)
	for i := 0; i < 2; i++ {
		if err := it.SetSecret(ctx, secret.NewString("sixteen bytes!!!")); err != nil {
			t.Fatal(err)
		}
	}
	received, _, serviceCipher := f.seen()
	a, b := received[0], received[1]
	if len(a.Parameters) != 16 || bytes.Equal(a.Parameters, b.Parameters) {
		t.Fatalf("IVs %x and %x: want fresh 16-byte IVs", a.Parameters, b.Parameters)
	}
	if len(a.Value) != 32 {
		t.Fatalf("16-byte secret encrypted to %d bytes, want 32 (a full padding block)", len(a.Value))
	}
	plain, err := serviceCipher.Decrypt(a.Parameters, a.Value)
	if err != nil || string(plain) != "sixteen bytes!!!" {
		t.Fatalf("service could not decrypt our secret: %v", err)
	}
}

// A prompt that never completes: the wait ends with ctx, and the client
// dismisses the prompt on its way out.
func TestFakePromptNeverCompletes(t *testing.T) {
	f := startFake(t, false, nil)
	s := f.mustConnect(WithWindowID("x11:0x42"))
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := s.Unlock(ctx, fakeColl)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Unlock with a hanging prompt: %v, want DeadlineExceeded", err)
	}
	select {
	case <-f.dismissed:
	case <-time.After(10 * time.Second):
		t.Fatal("the prompt was not dismissed")
	}
	if !slices.Contains(f.called(), "Prompt x11:0x42") {
		t.Fatalf("Prompt not called with the window id: %v", f.called())
	}
	// The connection is still fine afterwards, with no subscription left.
	if _, err := s.ReadAlias(testCtx(t), "default"); err != nil {
		t.Fatal(err)
	}
	noMatchRulesLeft(t, s)
}

// Completed sent before the reply to Prompt (as gnome-keyring does when it
// cannot show a dialog) is not lost, because the client subscribes first.
func TestFakeCompletedBeforePromptReturns(t *testing.T) {
	mode := make(chan func(), 1)
	f := startFake(t, false, func(*fakeService) map[string]any {
		return map[string]any{"Prompt.Prompt": func(string) *dbus.Error { (<-mode)(); return nil }}
	})
	s := f.mustConnect()
	ctx := testCtx(t)

	mode <- func() { f.complete(false, []dbus.ObjectPath{fakeColl}) }
	paths, err := s.Unlock(ctx, fakeColl)
	if err != nil || !slices.Equal(paths, []dbus.ObjectPath{fakeColl}) {
		t.Fatalf("Unlock = %v, %v", paths, err)
	}
	mode <- func() { f.complete(true, []dbus.ObjectPath{}) }
	if _, err := s.Unlock(ctx, fakeColl); !errors.Is(err, secret.ErrDismissed) {
		t.Fatalf("dismissed prompt: %v, want ErrDismissed", err)
	}
	mode <- func() { f.complete(false, fakeColl) }
	c, err := s.CreateCollection(ctx, "New", "")
	if err != nil || c.Path() != fakeColl {
		t.Fatalf("CreateCollection through a prompt: %v %v", c, err)
	}
	// An empty result variant is tolerated for Unlock (the state is what
	// counts); for CreateCollection it is malformed.
	mode <- func() { f.complete(false, "") }
	if _, err := s.Unlock(ctx, fakeColl); err != nil {
		t.Fatalf("Unlock with an empty result: %v", err)
	}
	mode <- func() { f.complete(false, "") }
	if _, err := s.CreateCollection(ctx, "New", ""); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("CreateCollection with a non-path result: %v, want ErrCorrupt", err)
	}
	noMatchRulesLeft(t, s)
}

// The service leaving the bus while a prompt is up ends the wait with
// ErrUnavailable instead of waiting for ctx.
func TestFakeServiceVanishesDuringPrompt(t *testing.T) {
	f := startFake(t, false, func(f *fakeService) map[string]any {
		return map[string]any{"Prompt.Prompt": func(string) *dbus.Error {
			// Leave right after answering, with the prompt still up.
			go func() {
				time.Sleep(100 * time.Millisecond)
				_ = f.conn.Close()
			}()
			return nil
		}}
	})
	s := f.mustConnect()
	ctx := testCtx(t)
	if _, err := s.Unlock(ctx, fakeColl); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Unlock while the service vanished: %v, want ErrUnavailable", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the prompt wait only ended with the test's deadline")
	}
	noMatchRulesLeft(t, s)
}

// TestFakeMalformedReplies answers each method with the wrong shape: every
// one must become an error wrapping ErrCorrupt, never a panic or a
// half-decoded value.
func TestFakeMalformedReplies(t *testing.T) {
	op := func(f func(ctx context.Context, s *Service) error) func(context.Context, *Service) error { return f }
	promptWith := func(body ...any) func(*fakeService) any {
		return func(f *fakeService) any {
			return func(string) *dbus.Error {
				_ = f.conn.Emit(fakePrompt, ifacePrompt+".Completed", body...)
				return nil
			}
		}
	}
	cases := []struct {
		name     string
		method   string
		dh       bool
		override func(*fakeService) any
		connect  bool // the failure shows in Connect
		do       func(context.Context, *Service) error
	}{
		{name: "ReadAlias string", method: "Service.ReadAlias",
			override: func(*fakeService) any {
				return func(string) (string, *dbus.Error) { return "/org/freedesktop/secrets/collection/x", nil }
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.ReadAlias(ctx, "default"); return err })},
		{name: "ReadAlias two values", method: "Service.ReadAlias",
			override: func(*fakeService) any {
				return func(string) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) { return fakeColl, fakeColl, nil }
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.DefaultCollection(ctx); return err })},
		{name: "SearchItems one array", method: "Service.SearchItems",
			override: func(*fakeService) any {
				return func(map[string]string) ([]dbus.ObjectPath, *dbus.Error) { return nil, nil }
			},
			do: op(func(ctx context.Context, s *Service) error {
				_, _, err := s.SearchItems(ctx, secret.Attributes{"a": "b"})
				return err
			})},
		{name: "SearchItems strings", method: "Service.SearchItems",
			override: func(*fakeService) any {
				return func(map[string]string) ([]string, []string, *dbus.Error) { return []string{"/a"}, nil, nil }
			},
			do: op(func(ctx context.Context, s *Service) error {
				_, _, err := s.SearchItems(ctx, secret.Attributes{"a": "b"})
				return err
			})},
		{name: "GetSecrets strings", method: "Service.GetSecrets",
			override: func(*fakeService) any {
				return func([]dbus.ObjectPath, dbus.ObjectPath) (map[dbus.ObjectPath]string, *dbus.Error) {
					return map[dbus.ObjectPath]string{fakeItem: "x"}, nil
				}
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.GetSecrets(ctx, s.Item(fakeItem)); return err })},
		{name: "GetSecrets short struct", method: "Service.GetSecrets",
			override: func(*fakeService) any {
				type short struct {
					S    dbus.ObjectPath
					P, V []byte
				}
				return func([]dbus.ObjectPath, dbus.ObjectPath) (map[dbus.ObjectPath]short, *dbus.Error) {
					return map[dbus.ObjectPath]short{fakeItem: {fakeSession, nil, []byte("x")}}, nil
				}
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.GetSecrets(ctx, s.Item(fakeItem)); return err })},
		{name: "GetSecret other session", method: "Item.GetSecret",
			override: func(*fakeService) any {
				return func(dbus.ObjectPath) (wireSecret, *dbus.Error) {
					return wireSecret{Session: "/org/freedesktop/secrets/session/other", Parameters: []byte{}, Value: []byte("x")}, nil
				}
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Item(fakeItem).Secret(ctx); return err })},
		{name: "GetSecret bad ciphertext", method: "Item.GetSecret", dh: true,
			override: func(f *fakeService) any {
				return func(dbus.ObjectPath) (wireSecret, *dbus.Error) {
					return wireSecret{Session: fakeSession, Parameters: make([]byte, 16), Value: f.badCiphertext()}, nil
				}
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Item(fakeItem).Secret(ctx); return err })},
		{name: "GetSecret short IV", method: "Item.GetSecret", dh: true,
			override: func(*fakeService) any {
				return func(dbus.ObjectPath) (wireSecret, *dbus.Error) {
					return wireSecret{Session: fakeSession, Parameters: make([]byte, 8), Value: make([]byte, 16)}, nil
				}
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Item(fakeItem).Secret(ctx); return err })},
		{name: "GetSecret not a struct", method: "Item.GetSecret",
			override: func(*fakeService) any {
				return func(dbus.ObjectPath) (string, *dbus.Error) { return "secret", nil }
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Item(fakeItem).Secret(ctx); return err })},
		{name: "OpenSession key as string", method: "Service.OpenSession", dh: true, connect: true,
			override: func(*fakeService) any {
				return func(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
					return dbus.MakeVariant("not a key"), fakeSession, nil
				}
			}},
		{name: "OpenSession degenerate key", method: "Service.OpenSession", dh: true, connect: true,
			override: func(*fakeService) any {
				return func(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
					return dbus.MakeVariant([]byte{1}), fakeSession, nil
				}
			}},
		{name: "OpenSession one value", method: "Service.OpenSession", connect: true,
			override: func(*fakeService) any {
				return func(string, dbus.Variant) (dbus.Variant, *dbus.Error) { return dbus.MakeVariant([]byte{}), nil }
			}},
		{name: "OpenSession no session path", method: "Service.OpenSession", connect: true,
			override: func(*fakeService) any {
				return func(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
					return dbus.MakeVariant(""), noObject, nil
				}
			}},
		{name: "Unlock prompt as string", method: "Service.Unlock",
			override: func(*fakeService) any {
				return func([]dbus.ObjectPath) ([]dbus.ObjectPath, string, *dbus.Error) { return nil, "/", nil }
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Unlock(ctx, fakeColl); return err })},
		{name: "Completed wrong body", method: "Prompt.Prompt", override: promptWith("done"),
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Unlock(ctx, fakeColl); return err })},
		{name: "Completed three values", method: "Prompt.Prompt", override: promptWith(false, dbus.MakeVariant(""), "x"),
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Unlock(ctx, fakeColl); return err })},
		{name: "Created as int32", method: "Properties.Get",
			override: func(*fakeService) any {
				return func(string, string) (dbus.Variant, *dbus.Error) { return dbus.MakeVariant(int32(5)), nil }
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Item(fakeItem).Created(ctx); return err })},
		{name: "Label as number", method: "Properties.Get",
			override: func(*fakeService) any {
				return func(string, string) (dbus.Variant, *dbus.Error) { return dbus.MakeVariant(uint32(65)), nil }
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Item(fakeItem).Label(ctx); return err })},
		{name: "Attributes as a{sv}", method: "Properties.Get",
			override: func(*fakeService) any {
				return func(string, string) (dbus.Variant, *dbus.Error) {
					return dbus.MakeVariant(map[string]dbus.Variant{"a": dbus.MakeVariant("b")}), nil
				}
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Item(fakeItem).Attributes(ctx); return err })},
		{name: "Collections as strings", method: "Properties.Get",
			override: func(*fakeService) any {
				return func(string, string) (dbus.Variant, *dbus.Error) { return dbus.MakeVariant([]string{"/x"}), nil }
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Collections(ctx); return err })},
		{name: "Get returns no variant", method: "Properties.Get",
			override: func(*fakeService) any {
				return func(string, string) (string, *dbus.Error) { return "Fake", nil }
			},
			do: op(func(ctx context.Context, s *Service) error { _, err := s.Item(fakeItem).IsLocked(ctx); return err })},
		{name: "CreateItem neither item nor prompt", method: "Collection.CreateItem",
			override: func(*fakeService) any {
				return func(map[string]dbus.Variant, wireSecret, bool) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
					return noObject, noObject, nil
				}
			},
			do: op(func(ctx context.Context, s *Service) error {
				c := &Collection{svc: s, path: fakeColl}
				_, err := c.CreateItem(ctx, "x", nil, secret.NewString("x"), false)
				return err
			})},
		{name: "Collection.SearchItems map", method: "Collection.SearchItems",
			override: func(*fakeService) any {
				return func(map[string]string) (map[string]string, *dbus.Error) { return map[string]string{}, nil }
			},
			do: op(func(ctx context.Context, s *Service) error {
				// A non-empty query: an empty one reads the Items property.
				_, err := (&Collection{svc: s, path: fakeColl}).SearchItems(ctx, secret.Attributes{"a": "b"})
				return err
			})},
		{name: "Item.Delete bool", method: "Item.Delete",
			override: func(*fakeService) any { return func() (bool, *dbus.Error) { return true, nil } },
			do:       op(func(ctx context.Context, s *Service) error { return s.Item(fakeItem).Delete(ctx) })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake(t, tc.dh, func(f *fakeService) map[string]any {
				return map[string]any{tc.method: tc.override(f)}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s, err := f.connect(ctx)
			if tc.connect {
				if !errors.Is(err, secret.ErrCorrupt) {
					t.Fatalf("Connect = %v, want ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			err = tc.do(ctx, s)
			if !errors.Is(err, secret.ErrCorrupt) {
				t.Fatalf("got %v, want an error wrapping ErrCorrupt", err)
			}
			if ctx.Err() != nil {
				t.Fatal("the malformed reply made the call wait for the deadline")
			}
		})
	}
}
