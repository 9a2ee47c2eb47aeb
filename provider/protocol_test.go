package provider

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

// rawDH is a client's half of a DH session done by hand, so a test can be
// the client that forgets to pad the shared secret.
type rawDH struct {
	path   dbus.ObjectPath
	cipher *dhsession.Cipher
	zLen   int // length of Z's minimal encoding
}

func openRawDH(t *testing.T, conn *dbus.Conn, padZ bool) rawDH {
	t.Helper()
	g := dhsession.Oakley1024()
	x, _ := rand.Int(rand.Reader, new(big.Int).Sub(g.P, big.NewInt(3)))
	x.Add(x, big.NewInt(2))
	pub := new(big.Int).Exp(g.G, x, g.P).FillBytes(make([]byte, 128))
	var out dbus.Variant
	var path dbus.ObjectPath
	must(t, call(t, conn, servicePath, ifaceService+".OpenSession", dhsession.Algorithm, dbus.MakeVariant(pub)).Store(&out, &path))
	y := new(big.Int).SetBytes(out.Value().([]byte))
	z := new(big.Int).Exp(y, x, g.P)
	ikm := z.Bytes()
	if padZ {
		ikm = z.FillBytes(make([]byte, 128))
	}
	key, err := hkdf.Key(sha256.New, ikm, nil, "", 16)
	must(t, err)
	c, err := dhsession.NewCipher(key)
	must(t, err)
	return rawDH{path: path, cipher: c, zLen: len(z.Bytes())}
}

func (r rawDH) encode(t *testing.T, plain string) wireSecret {
	iv, ct, err := r.cipher.Encrypt(nil, []byte(plain))
	must(t, err)
	return wireSecret{Session: r.path, Parameters: iv, Value: ct, ContentType: "text/plain"}
}

func newItemProps(label string, attrs map[string]string) map[string]dbus.Variant {
	return map[string]dbus.Variant{
		ifaceItem + ".Label":      dbus.MakeVariant(label),
		ifaceItem + ".Attributes": dbus.MakeVariant(attrs),
	}
}

// TestUnpaddedClient is a client that hashes Z's minimal bytes (the bug of
// keybase's go-keychain): in the sessions where Z has a leading zero byte
// its key differs from the spec's. The provider must still accept its
// secret, and once it has, answer GetSecret under the client's key.
func TestUnpaddedClient(t *testing.T) {
	s := serve(t, nil, Options{})
	conn := s.client(t)
	var r rawDH
	for i := 0; ; i++ {
		if i == 3000 {
			t.Fatal("no short shared secret in 3000 sessions")
		}
		r = openRawDH(t, conn, false)
		if r.zLen < 128 {
			break
		}
		call(t, conn, r.path, ifaceSession+".Close")
	}
	var item, prompt dbus.ObjectPath
	must(t, call(t, conn, aliasBase+"default", ifaceCollection+".CreateItem",
		newItemProps("short Z", map[string]string{"k": "v"}), r.encode(t, "unpadded-client"), true).Store(&item, &prompt))
	var ws wireSecret
	must(t, call(t, conn, item, ifaceItem+".GetSecret", r.path).Store(&ws))
	got, err := r.cipher.Decrypt(ws.Parameters, ws.Value)
	if err != nil || string(got) != "unpadded-client" {
		t.Fatalf("GetSecret under the client's key: %q, %v", got, err)
	}
	// And the padding client of the same kind of session is unaffected.
	for i := 0; ; i++ {
		if i == 3000 {
			t.Fatal("no short shared secret in 3000 sessions")
		}
		r = openRawDH(t, conn, true)
		if r.zLen < 128 {
			break
		}
	}
	must(t, call(t, conn, item, ifaceItem+".SetSecret", r.encode(t, "padded-client")).Err)
	must(t, call(t, conn, item, ifaceItem+".GetSecret", r.path).Store(&ws))
	if got, err := r.cipher.Decrypt(ws.Parameters, ws.Value); err != nil || string(got) != "padded-client" {
		t.Fatalf("padded client: %q, %v", got, err)
	}
}

// TestErrorNames checks the errors clients branch on, from the fast path
// (Connect) and from godbus (New) alike.
func TestErrorNames(t *testing.T) {
	for _, how := range []via{viaConnect, viaNew} {
		t.Run(how.String(), func(t *testing.T) { testErrorNames(t, serveVia(t, how, nil, Options{})) })
	}
}

func testErrorNames(t *testing.T, s *served) {
	a, b := s.client(t), s.client(t)
	ra := openRawDH(t, a, true)
	props := newItemProps("x", map[string]string{"e": "1"})
	login := dbus.ObjectPath(collectionBase + "login")

	// A session belongs to the connection that opened it.
	err := call(t, b, login, ifaceCollection+".CreateItem", props, ra.encode(t, "x"), true).Err
	if dbusErrName(err) != ErrorNoSession {
		t.Errorf("CreateItem with another connection's session: %v, want NoSession", err)
	}
	var item, prompt dbus.ObjectPath
	must(t, call(t, a, login, ifaceCollection+".CreateItem", props, ra.encode(t, "x"), true).Store(&item, &prompt))
	if prompt != noPath {
		t.Errorf("CreateItem prompt %s, want /", prompt)
	}
	if err := call(t, b, item, ifaceItem+".GetSecret", ra.path).Err; dbusErrName(err) != ErrorNoSession {
		t.Errorf("GetSecret with another connection's session: %v", err)
	}
	if err := call(t, a, login+"/999", ifaceItem+".GetSecret", ra.path).Err; dbusErrName(err) != ErrorNoSuchObject {
		t.Errorf("GetSecret of a missing item: %v, want NoSuchObject", err)
	}
	if err := call(t, a, collectionBase+"nope", ifaceCollection+".SearchItems", map[string]string{}).Err; dbusErrName(err) != ErrorNoSuchObject {
		t.Errorf("SearchItems of a missing collection: %v, want NoSuchObject", err)
	}
	var out dbus.Variant
	var path dbus.ObjectPath
	if err := call(t, a, servicePath, ifaceService+".OpenSession", "rot13", dbus.MakeVariant("")).Store(&out, &path); dbusErrName(err) != errorNotSupported {
		t.Errorf("unknown algorithm: %v, want NotSupported (libsecret's cue to fall back)", err)
	}
	if err := call(t, a, servicePath, ifaceService+".OpenSession", dhsession.Algorithm, dbus.MakeVariant("not ay")).Store(&out, &path); dbusErrName(err) != errorInvalidArgs {
		t.Errorf("DH input of the wrong type: %v, want InvalidArgs", err)
	}
	bad := map[string]dbus.Variant{"org.freedesktop.Secret.Item.Colour": dbus.MakeVariant("red")}
	if err := call(t, a, login, ifaceCollection+".CreateItem", bad, ra.encode(t, "x"), false).Err; dbusErrName(err) != errorInvalidArgs {
		t.Errorf("unknown property: %v, want InvalidArgs", err)
	}
	// Locked: CreateItem and GetSecret refuse; GetSecrets leaves the item out.
	var locked []dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".Lock", []dbus.ObjectPath{login}).Store(&locked, &prompt))
	if len(locked) != 1 || prompt != noPath {
		t.Fatalf("Lock = %v, %s", locked, prompt)
	}
	if err := call(t, a, login, ifaceCollection+".CreateItem", props, ra.encode(t, "y"), true).Err; dbusErrName(err) != ErrorIsLocked {
		t.Errorf("CreateItem into a locked collection: %v, want IsLocked", err)
	}
	if err := call(t, a, item, ifaceItem+".GetSecret", ra.path).Err; dbusErrName(err) != ErrorIsLocked {
		t.Errorf("GetSecret of a locked item: %v, want IsLocked", err)
	}
	var secrets map[dbus.ObjectPath]wireSecret
	must(t, call(t, a, servicePath, ifaceService+".GetSecrets", []dbus.ObjectPath{item}, ra.path).Store(&secrets))
	if len(secrets) != 0 {
		t.Errorf("GetSecrets gave %d secrets of locked items", len(secrets))
	}
	// The locked list of a search still names the item, from the snapshot.
	var unl, lck []dbus.ObjectPath
	must(t, call(t, a, servicePath, ifaceService+".SearchItems", map[string]string{"e": "1"}).Store(&unl, &lck))
	if len(unl) != 0 || len(lck) != 1 || lck[0] != item {
		t.Errorf("SearchItems while locked = %v, %v; want the item in the locked list", unl, lck)
	}
	var label dbus.Variant
	must(t, call(t, a, item, ifaceProps+".Get", ifaceItem, "Label").Store(&label))
	if label.Value() != "x" {
		t.Errorf("Label of a locked item = %v", label)
	}
}

// TestAliases: ReadAlias of the three aliases, SetAlias, alias paths as
// collection paths, and CreateCollection with an existing alias.
func TestAliases(t *testing.T) {
	s := serve(t, nil, Options{})
	c := s.client(t)
	read := func(name string) dbus.ObjectPath {
		var p dbus.ObjectPath
		must(t, call(t, c, servicePath, ifaceService+".ReadAlias", name).Store(&p))
		return p
	}
	for alias, want := range map[string]dbus.ObjectPath{"default": collectionBase + "login", "login": collectionBase + "login",
		"session": collectionBase + "session", "nothing": "/"} {
		if got := read(alias); got != want {
			t.Errorf("ReadAlias(%s) = %s, want %s", alias, got, want)
		}
	}
	var coll, prompt dbus.ObjectPath
	must(t, call(t, c, servicePath, ifaceService+".CreateCollection",
		map[string]dbus.Variant{ifaceCollection + ".Label": dbus.MakeVariant("Work")}, "").Store(&coll, &prompt))
	if coll != collectionBase+"Work" || prompt != noPath {
		t.Fatalf("CreateCollection = %s, %s", coll, prompt)
	}
	must(t, call(t, c, servicePath, ifaceService+".SetAlias", "default", coll).Err)
	if got := read("default"); got != coll {
		t.Fatalf("default after SetAlias = %s", got)
	}
	var label dbus.Variant
	must(t, call(t, c, aliasBase+"default", ifaceProps+".Get", ifaceCollection, "Label").Store(&label))
	if label.Value() != "Work" {
		t.Fatalf("label through the alias path = %v", label)
	}
	// CreateCollection with an alias that exists answers that collection.
	must(t, call(t, c, servicePath, ifaceService+".CreateCollection",
		map[string]dbus.Variant{ifaceCollection + ".Label": dbus.MakeVariant("Other")}, "default").Store(&coll, &prompt))
	if coll != collectionBase+"Work" {
		t.Fatalf("CreateCollection(alias=default) = %s, want the existing Work", coll)
	}
	must(t, call(t, c, servicePath, ifaceService+".SetAlias", "default", dbus.ObjectPath("/")).Err)
	if got := read("default"); got != "/" {
		t.Fatalf("default after removal = %s", got)
	}
	var cols dbus.Variant
	must(t, call(t, c, servicePath, ifaceProps+".Get", ifaceService, "Collections").Store(&cols))
	if got := cols.Value().([]dbus.ObjectPath); len(got) != 3 {
		t.Fatalf("Collections = %v", got)
	}
}

// waitCompleted subscribes to a prompt's Completed before Prompt is called.
func waitCompleted(t *testing.T, conn *dbus.Conn, prompt dbus.ObjectPath) <-chan *dbus.Signal {
	t.Helper()
	must(t, conn.AddMatchSignal(dbus.WithMatchObjectPath(prompt), dbus.WithMatchInterface(ifacePrompt)))
	ch := make(chan *dbus.Signal, 4)
	conn.Signal(ch)
	out := make(chan *dbus.Signal, 1)
	go func() {
		for sig := range ch {
			if sig.Path == prompt && sig.Name == ifacePrompt+".Completed" {
				out <- sig
				return
			}
		}
	}()
	return out
}

// TestDismissedPrompt: a prompt whose unlock is refused, and one dismissed
// by the client, both complete with dismissed=true and leave the
// collection locked; a prompt that succeeds returns the unlocked paths.
func TestDismissedPrompt(t *testing.T) {
	answer := make(chan error, 3)
	s := serve(t, nil, Options{Unlock: func(ctx context.Context, id string, st secret.Store) error {
		select {
		case err := <-answer:
			if err != nil {
				return err
			}
			return st.Unlock(ctx)
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	c := s.client(t)
	login := dbus.ObjectPath(collectionBase + "login")
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	must(t, call(t, c, servicePath, ifaceService+".Lock", []dbus.ObjectPath{login}).Store(&locked, &prompt))
	unlock := func() dbus.ObjectPath {
		var unlocked []dbus.ObjectPath
		must(t, call(t, c, servicePath, ifaceService+".Unlock", []dbus.ObjectPath{login}).Store(&unlocked, &prompt))
		if len(unlocked) != 0 || prompt == noPath {
			t.Fatalf("Unlock of a locked collection = %v, %s; want a prompt", unlocked, prompt)
		}
		return prompt
	}
	completed := func(ch <-chan *dbus.Signal) (bool, dbus.Variant) {
		select {
		case sig := <-ch:
			return sig.Body[0].(bool), sig.Body[1].(dbus.Variant)
		case <-time.After(20 * time.Second):
			t.Fatal("no Completed within 20s")
		}
		return false, dbus.Variant{}
	}

	p := unlock()
	// A prompt belongs to the connection that asked for it.
	if err := call(t, s.client(t), p, ifacePrompt+".Prompt", "").Err; dbusErrName(err) != ErrorNoSuchObject {
		t.Fatalf("another connection's Prompt: %v, want NoSuchObject", err)
	}
	ch := waitCompleted(t, c, p)
	answer <- secret.ErrDismissed
	must(t, call(t, c, p, ifacePrompt+".Prompt", "").Err)
	if dismissed, _ := completed(ch); !dismissed {
		t.Fatal("a refused unlock completed as not dismissed")
	}
	if locked, _ := s.login.IsLocked(context.Background()); !locked {
		t.Fatal("unlocked after a dismissed prompt")
	}
	if err := call(t, c, p, ifacePrompt+".Prompt", "").Err; dbusErrName(err) != ErrorNoSuchObject {
		t.Fatalf("the completed prompt still answers: %v", err)
	}

	p = unlock()
	ch = waitCompleted(t, c, p)
	must(t, call(t, c, p, ifacePrompt+".Prompt", "").Err)
	must(t, call(t, c, p, ifacePrompt+".Dismiss").Err)
	if dismissed, _ := completed(ch); !dismissed {
		t.Fatal("Dismiss completed as not dismissed")
	}

	p = unlock()
	ch = waitCompleted(t, c, p)
	answer <- nil
	must(t, call(t, c, p, ifacePrompt+".Prompt", "").Err)
	dismissed, result := completed(ch)
	if got, _ := result.Value().([]dbus.ObjectPath); dismissed || len(got) != 1 || got[0] != login {
		t.Fatalf("accepted prompt: dismissed=%v result=%v", dismissed, result)
	}
	if _, n := s.srv.counts(); n != 0 {
		t.Fatalf("%d prompts left", n)
	}
}

// TestDisconnectMidPrompt: a client that leaves the bus while its unlock
// prompt runs leaves no session and no prompt behind, and the unlock it
// started is cancelled.
func TestDisconnectMidPrompt(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan struct{})
	s := serve(t, nil, Options{Unlock: func(ctx context.Context, id string, st secret.Store) error {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	}})
	c, err := dbus.Connect(s.bus.Address)
	must(t, err)
	openRawDH(t, c, true)
	login := dbus.ObjectPath(collectionBase + "login")
	var paths []dbus.ObjectPath
	var prompt dbus.ObjectPath
	must(t, call(t, c, servicePath, ifaceService+".Lock", []dbus.ObjectPath{login}).Store(&paths, &prompt))
	must(t, call(t, c, servicePath, ifaceService+".Unlock", []dbus.ObjectPath{login}).Store(&paths, &prompt))
	must(t, call(t, c, prompt, ifacePrompt+".Prompt", "").Err)
	<-started
	if n, p := s.srv.counts(); n != 1 || p != 1 {
		t.Fatalf("before leaving: %d sessions, %d prompts", n, p)
	}
	_ = c.Close()
	select {
	case <-cancelled:
	case <-time.After(20 * time.Second):
		t.Fatal("the unlock was not cancelled when its client left")
	}
	ok := waitFor(10*time.Second, func() bool { n, p := s.srv.counts(); return n == 0 && p == 0 })
	if !ok {
		n, p := s.srv.counts()
		t.Fatalf("after the client left: %d sessions, %d prompts", n, p)
	}
	if locked, _ := s.login.IsLocked(context.Background()); !locked {
		t.Fatal("unlocked by a prompt nobody answered")
	}
}

func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// TestPathsAndIntrospection: labels are escaped as gnome-keyring escapes
// them, and the tree introspects from / down to an item.
func TestPathsAndIntrospection(t *testing.T) {
	for in, want := range map[string]string{"Login": "Login", "My keys": "My_20keys", "a_b": "a_5fb", "": "unnamed", "é": "_c3_a9"} {
		if got := EscapeID(in); got != want {
			t.Errorf("EscapeID(%q) = %q, want %q", in, got, want)
		}
		if back, ok := UnescapeID(want); !ok || back != in {
			t.Errorf("UnescapeID(%q) = %q, %v; want %q", want, back, ok, in)
		}
	}
	for _, bad := range []string{"a_", "a_4", "a_zz", "a_4F", "a-b"} {
		if _, ok := UnescapeID(bad); ok {
			t.Errorf("UnescapeID(%q) accepted", bad)
		}
	}
	s := serve(t, nil, Options{})
	c := s.client(t)
	r := openRawDH(t, c, true)
	var item, prompt dbus.ObjectPath
	must(t, call(t, c, collectionBase+"login", ifaceCollection+".CreateItem",
		newItemProps("i", map[string]string{"a": "b"}), r.encode(t, "s"), false).Store(&item, &prompt))
	for path, want := range map[dbus.ObjectPath][]string{
		"/":                                   {`<node name="org"/>`},
		servicePath:                           {`interface name="org.freedesktop.Secret.Service"`, `<node name="collection"/>`},
		collectionBase + "login":              {`interface name="org.freedesktop.Secret.Collection"`, `<node name="1"/>`},
		item:                                  {`interface name="org.freedesktop.Secret.Item"`, `name="GetSecret"`},
		"/org/freedesktop/secrets/collection": {`<node name="login"/>`, `<node name="session"/>`},
	} {
		var xml string
		must(t, call(t, c, path, ifaceIntrospect+".Introspect").Store(&xml))
		for _, w := range want {
			if !bytes.Contains([]byte(xml), []byte(w)) {
				t.Errorf("Introspect(%s) lacks %s:\n%s", path, w, xml)
			}
		}
	}
	if err := call(t, c, servicePath, ifaceService+".NoSuchMethod").Err; err == nil {
		t.Error("an unknown method answered")
	}
}

// TestServiceSignals: CollectionCreated, CollectionChanged (lock, unlock,
// relabel) and CollectionDeleted, and ItemCreated, ItemChanged, ItemDeleted
// on the collection, each with the object's path.
func TestServiceSignals(t *testing.T) {
	s := serve(t, nil, Options{})
	c := s.client(t)
	must(t, c.AddMatchSignal(dbus.WithMatchSender(BusName)))
	ch := make(chan *dbus.Signal, 64)
	c.Signal(ch)
	next := func(name string) dbus.ObjectPath {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case sig := <-ch:
				if sig.Name == name {
					return sig.Body[0].(dbus.ObjectPath)
				}
			case <-timeout:
				t.Fatalf("no %s within 10s", name)
			}
		}
	}
	var coll, prompt dbus.ObjectPath
	must(t, call(t, c, servicePath, ifaceService+".CreateCollection",
		map[string]dbus.Variant{"Label": dbus.MakeVariant("Sig")}, "").Store(&coll, &prompt))
	if got := next(ifaceService + ".CollectionCreated"); got != coll {
		t.Fatalf("CollectionCreated(%s), want %s", got, coll)
	}
	r := openRawDH(t, c, true)
	var item dbus.ObjectPath
	must(t, call(t, c, coll, ifaceCollection+".CreateItem", newItemProps("i", map[string]string{"s": "1"}), r.encode(t, "x"), true).Store(&item, &prompt))
	if got := next(ifaceCollection + ".ItemCreated"); got != item {
		t.Fatalf("ItemCreated(%s), want %s", got, item)
	}
	must(t, call(t, c, item, ifaceProps+".Set", ifaceItem, "Label", dbus.MakeVariant("renamed")).Err)
	if got := next(ifaceCollection + ".ItemChanged"); got != item {
		t.Fatalf("ItemChanged(%s), want %s", got, item)
	}
	must(t, call(t, c, item, ifaceItem+".Delete").Err)
	if got := next(ifaceCollection + ".ItemDeleted"); got != item {
		t.Fatalf("ItemDeleted(%s), want %s", got, item)
	}
	must(t, call(t, c, coll, ifaceProps+".Set", ifaceCollection, "Label", dbus.MakeVariant("Sig 2")).Err)
	if got := next(ifaceService + ".CollectionChanged"); got != coll {
		t.Fatalf("CollectionChanged(%s) after relabel", got)
	}
	var locked []dbus.ObjectPath
	must(t, call(t, c, servicePath, ifaceService+".Lock", []dbus.ObjectPath{coll}).Store(&locked, &prompt))
	if got := next(ifaceService + ".CollectionChanged"); got != coll {
		t.Fatalf("CollectionChanged(%s) after Lock", got)
	}
	must(t, call(t, c, coll, ifaceCollection+".Delete").Store(&prompt))
	if got := next(ifaceService + ".CollectionDeleted"); got != coll {
		t.Fatalf("CollectionDeleted(%s)", got)
	}
	if err := call(t, c, coll, ifaceProps+".Get", ifaceCollection, "Label").Err; dbusErrName(err) != ErrorNoSuchObject {
		t.Fatalf("a deleted collection answers: %v", err)
	}
}
