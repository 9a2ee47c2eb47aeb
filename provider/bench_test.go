package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/dhsession"
	"github.com/moneypenny-go/keyring/secret"
)

// BenchmarkGetSecrets100 is one GetSecrets of 100 items of a file-backed
// collection over a DH session, the server and this project's client in one
// process (profile it to see the server's share).
func BenchmarkGetSecrets100(b *testing.B) {
	ctx := context.Background()
	k, err := filekeyring.Open(ctx, filepath.Join(b.TempDir(), "login.keyring"), []byte("pw"))
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]secret.NewItem, 100)
	for i := range batch {
		batch[i] = secret.NewItem{Label: fmt.Sprint(i), Attributes: secret.Attributes{"n": fmt.Sprint(i)}, Secret: secret.NewString(fmt.Sprint("secret ", i))}
	}
	if _, err := k.CreateItems(ctx, batch); err != nil {
		b.Fatal(err)
	}
	s := serveTB(b, k)
	svc, err := dbusservice.Connect(ctx, dbusservice.WithAddress(s.bus.Address))
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	unl, _, err := svc.SearchItems(ctx, nil)
	if err != nil || len(unl) != 100 {
		b.Fatal(len(unl), err)
	}
	for b.Loop() {
		m, err := svc.GetSecrets(ctx, unl...)
		if err != nil || len(m) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenSessionDH is the reply time of a DH OpenSession, one client
// key for every session (a client's own key generation is not the
// service's time), with the service idle in between as it is between
// secret-tool runs: the key pair comes from the spare and the shared secret
// is derived after the reply.
func BenchmarkOpenSessionDH(b *testing.B) {
	s := serveTB(b, nil)
	client, err := dhsession.GenerateKey(dhsession.Oakley1024(), nil)
	if err != nil {
		b.Fatal(err)
	}
	pub := dbus.MakeVariant(client.PublicKey())
	for b.Loop() {
		b.StopTimer()
		conn := s.bus.Conn(b) // a new client, as each secret-tool is
		if !waitFor(10*time.Second, s.srv.spare.Ready) {
			b.Fatal("no spare key pair")
		}
		b.StartTimer()
		var out dbus.Variant
		var path dbus.ObjectPath
		if err := call(b, conn, servicePath, ifaceService+".OpenSession", dhsession.Algorithm, pub).Store(&out, &path); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = conn.Close()
		b.StartTimer()
	}
}
