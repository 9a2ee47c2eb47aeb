package provider

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moneypenny-go/keyring/dbusservice"
	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/secret"
)

// TestConcurrentClients: 8 clients, each on its own connection and DH
// session, make 500 mixed operations each (create with replace, lookup,
// search, set secret, set label, delete) on one file-backed collection at
// once. Every client keeps its own model of its items; at the end the
// provider, and the file read afresh, agree with every model.
func TestConcurrentClients(t *testing.T) {
	if testing.Short() {
		t.Skip("4000 operations")
	}
	path := filepath.Join(t.TempDir(), "login.keyring")
	k, err := filekeyring.Open(context.Background(), path, []byte("pw"))
	must(t, err)
	s := serve(t, k, Options{})
	const clients, ops = 8, 500
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	models := make([]map[string]string, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			model := map[string]string{}
			models[c] = model
			errs <- runClient(s.bus.Address, c, ops, model)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, err := filekeyring.ReadFile(path, []byte("pw"))
	must(t, err)
	got := map[string]string{}
	for _, r := range recs {
		got[r.Attributes["client"]+"/"+r.Attributes["key"]] = string(r.Secret.Bytes())
	}
	want := 0
	for c, model := range models {
		for key, v := range model {
			want++
			if g := got[fmt.Sprint(c)+"/"+key]; g != v {
				t.Errorf("client %d key %s: file has %q, want %q", c, key, g, v)
			}
		}
	}
	if len(got) != want {
		t.Errorf("file has %d items, the clients' models %d", len(got), want)
	}
}

func runClient(addr string, c, ops int, model map[string]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	coll, err := dbusservice.OpenCollection(ctx, "default", dbusservice.WithAddress(addr))
	if err != nil {
		return err
	}
	defer coll.Close()
	rng := rand.New(rand.NewPCG(uint64(c), 7))
	attrs := func(key string) secret.Attributes {
		return secret.Attributes{"client": fmt.Sprint(c), "key": key}
	}
	for i := range ops {
		key := fmt.Sprint(rng.IntN(20))
		switch op := rng.IntN(6); op {
		case 0, 1: // create with replace
			v := fmt.Sprintf("c%d-i%d", c, i)
			if _, err := coll.CreateItem(ctx, "item "+key, attrs(key), secret.NewString(v), true); err != nil {
				return fmt.Errorf("client %d op %d create: %w", c, i, err)
			}
			model[key] = v
		case 2: // lookup
			items, err := coll.SearchItems(ctx, attrs(key))
			if err != nil {
				return fmt.Errorf("client %d op %d search: %w", c, i, err)
			}
			want, ok := model[key]
			if len(items) != map[bool]int{true: 1, false: 0}[ok] {
				return fmt.Errorf("client %d op %d: %d items for key %s, model has %v", c, i, len(items), key, ok)
			}
			if ok {
				v, err := items[0].Secret(ctx)
				if err != nil || string(v.Bytes()) != want {
					return fmt.Errorf("client %d op %d: secret %q %v, want %q", c, i, v.Bytes(), err, want)
				}
			}
		case 3: // set secret of an existing item
			items, err := coll.SearchItems(ctx, attrs(key))
			if err != nil {
				return err
			}
			if len(items) == 1 {
				v := fmt.Sprintf("s%d-i%d", c, i)
				if err := items[0].SetSecret(ctx, secret.NewString(v)); err != nil {
					return fmt.Errorf("client %d op %d set secret: %w", c, i, err)
				}
				model[key] = v
			}
		case 4: // relabel
			items, err := coll.SearchItems(ctx, attrs(key))
			if err != nil {
				return err
			}
			if len(items) == 1 {
				if err := items[0].SetLabel(ctx, fmt.Sprint("label ", i)); err != nil {
					return fmt.Errorf("client %d op %d set label: %w", c, i, err)
				}
			}
		case 5: // delete
			if _, err := coll.Delete(ctx, attrs(key)); err != nil {
				return fmt.Errorf("client %d op %d delete: %w", c, i, err)
			}
			delete(model, key)
		}
	}
	return nil
}
