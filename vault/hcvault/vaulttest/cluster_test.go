package vaulttest

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/api"
	vaulthttp "github.com/hashicorp/vault/http"
	"github.com/hashicorp/vault/vault"

	"github.com/moneypenny-go/keyring/secret"
	mpvault "github.com/moneypenny-go/keyring/vault"
	"github.com/moneypenny-go/keyring/vault/hcvault"
)

// testVault is a running in-process Vault cluster with secret/ mounted as
// KV version 2.
type testVault struct {
	cluster *vault.TestCluster
	client  *api.Client // root token, active core
}

// startVault starts a cluster of n cores (the first active, the others
// standbys that forward) and mounts secret/ as KV v2.
func startVault(t testing.TB, n int) *testVault {
	t.Helper()
	cluster := vault.NewTestCluster(t, &vault.CoreConfig{}, &vault.TestClusterOptions{
		HandlerFunc: vaulthttp.Handler,
		NumCores:    n,
		Logger:      hclog.NewNullLogger(),
	})
	cluster.Start()
	t.Cleanup(cluster.Cleanup)
	vault.TestWaitActive(t, cluster.Cores[0].Core)
	tv := &testVault{cluster: cluster, client: cluster.Cores[0].Client}
	tv.mountKV2(t, "secret")
	return tv
}

// mountKV2 (re)mounts path as KV version 2 and waits for the upgrade the
// mount runs in the background to finish.
func (tv *testVault) mountKV2(t testing.TB, path string) {
	t.Helper()
	sys := tv.client.Sys()
	_ = sys.Unmount(path)
	if err := sys.Mount(path, &api.MountInput{Type: "kv", Options: map[string]string{"version": "2"}}); err != nil {
		t.Fatal(err)
	}
	kv := tv.client.KVv2(path)
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := kv.Put(ctx, "mount-ready", map[string]any{"value": "x"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("KV v2 mount %s not ready: %v", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := kv.DeleteMetadata(ctx, "mount-ready"); err != nil {
		t.Fatal(err)
	}
}

// addr is core i's API address, https://127.0.0.1:port.
func (tv *testVault) addr(i int) string { return tv.cluster.Cores[i].Client.Address() }

// config is an engine configuration for core i with the root token.
func (tv *testVault) config(i int) hcvault.Config {
	return hcvault.Config{
		Address: tv.addr(i),
		Token:   secret.NewString(tv.cluster.RootToken),
		CAFile:  tv.cluster.CACertPEMFile,
	}
}

// engine opens an engine on core i; cfg changes the configuration.
func (tv *testVault) engine(t testing.TB, i int, cfg func(*hcvault.Config)) *hcvault.Engine {
	t.Helper()
	c := tv.config(i)
	if cfg != nil {
		cfg(&c)
	}
	e, err := hcvault.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// noCache turns an engine's cache off.
func noCache(c *hcvault.Config) { c.CacheTTL = -1 }

func mustPath(s string) mpvault.Path { return mpvault.MustParsePath(s) }

func mustGet(t testing.TB, v *mpvault.Vault, p mpvault.Path) *mpvault.Secret {
	t.Helper()
	s, err := v.Get(context.Background(), p)
	if err != nil {
		t.Fatalf("Get %s: %v", p, err)
	}
	t.Cleanup(s.Wipe)
	return s
}
