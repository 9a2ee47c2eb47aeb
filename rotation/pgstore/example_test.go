package pgstore_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/rotation"
	"github.com/moneypenny-go/keyring/rotation/pgstore"
)

// A service node: the group's keys in PostgreSQL, the KEK in the user's
// keyring, a rotator and a syncer in one Manager.
func Example() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	st, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL")) // creates or migrates the schema
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	kr, err := keyring.Open(ctx)
	if err != nil {
		log.Fatal(err)
	}
	enc, err := rotation.KeyringEncryptor(ctx, kr.Store(), "default")
	kr.Close()
	if err != nil {
		log.Fatal(err)
	}
	cfg := rotation.GroupConfig{Name: "payments-signing", Interval: 24 * time.Hour, PropagationDelay: 5 * time.Minute}
	if _, _, err := rotation.CreateGroup(ctx, st, enc, cfg); err != nil { // once, or `moneypenny rotation init`
		log.Fatal(err)
	}
	node, err := (&rotation.Manager{Storage: st, Encryptor: enc, Group: cfg.Name,
		OnError: func(err error) { log.Print(err) }}).Start(ctx)
	if err != nil {
		log.Fatal(err) // no database, no group, or the wrong KEK
	}
	key, err := node.Ring().Current()
	if err != nil {
		log.Fatal(err)
	}
	_ = key // sign with key.Bytes, and put key.Version in the token
	stop()
	node.Wait()
}
