package dbusservice_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/secret"
)

// Store a token in the default collection and read it back, as a desktop
// application would. Every call is bounded by the context, including a
// password prompt if the collection is locked.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	svc, err := dbusservice.Connect(ctx) // $DBUS_SESSION_BUS_ADDRESS, never autolaunched
	if errors.Is(err, secret.ErrUnavailable) {
		log.Print("no Secret Service here: ", err)
		return
	} else if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()

	coll, err := svc.DefaultCollection(ctx) // the "default" alias, not a hard-coded "login"
	if err != nil {
		log.Fatal(err)
	}
	attrs := secret.Attributes{"service": "api.example.com", "username": "alice"}
	if _, err := coll.CreateItem(ctx, "Example API token", attrs, secret.NewString("s3cr3t"), true); err != nil {
		log.Fatal(err)
	}

	items, err := coll.Search(ctx, attrs)
	if err != nil || len(items) == 0 {
		log.Fatal("not found: ", err)
	}
	v, err := items[0].Secret(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Wipe()
	fmt.Println(v) // prints [REDACTED]; v.Bytes() has the secret
}

// Unlock a locked collection, letting the user answer the service's prompt
// for at most a minute.
func ExampleService_Unlock() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, err := dbusservice.Connect(ctx, dbusservice.WithWindowID("x11:0x3a00007"))
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	coll, err := svc.DefaultCollection(ctx)
	if err != nil {
		log.Fatal(err)
	}
	switch _, err := svc.Unlock(ctx, coll.Path()); {
	case errors.Is(err, secret.ErrDismissed):
		fmt.Println("the user cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Println("no answer within a minute; the prompt was dismissed")
	case err != nil:
		log.Fatal(err)
	}
}
