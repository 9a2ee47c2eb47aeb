package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/moneypenny-go/keyring"
	"github.com/moneypenny-go/keyring/portal"
	"github.com/moneypenny-go/keyring/secret"
)

// appSecretViaSandbox asks the Secrets portal for appID's master secret the
// way the app itself would: from inside a bubblewrap sandbox whose
// /.flatpak-info names appID, which is how xdg-desktop-portal identifies a
// Flatpak app. It is the host-side fallback of --app-id for gnome-keyring,
// whose portal keeps the secret as an object its D-Bus interface hides.
//
// The secret travels over an inherited pipe (fd 3), never argv or the
// environment. The sandbox runs this same binary with the hidden verb
// portalSecretVerb.
//
// appID goes into the sandbox's /.flatpak-info unchecked: keyring.Open
// rejects an invalid WithAppID (portal.ValidAppID) before it calls this.
func appSecretViaSandbox(getenv func(string) string) func(ctx context.Context, appID string) (*keyring.Secret, error) {
	return func(ctx context.Context, appID string) (*keyring.Secret, error) {
		bwrap, err := exec.LookPath("bwrap")
		if err != nil {
			return nil, fmt.Errorf("bubblewrap (bwrap) is needed to ask the portal as %s: %w", appID, secret.ErrUnavailable)
		}
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		if exe, err = filepath.EvalSymlinks(exe); err != nil {
			return nil, err
		}
		bus := getenv("DBUS_SESSION_BUS_ADDRESS")
		if bus == "" {
			return nil, fmt.Errorf("no session bus: %w", secret.ErrUnavailable)
		}
		info, err := os.CreateTemp("", "moneypenny-flatpak-info-")
		if err != nil {
			return nil, err
		}
		defer os.Remove(info.Name())
		_, err = fmt.Fprintf(info, "[Application]\nname=%s\n", appID)
		if cerr := info.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}

		args := []string{"--die-with-parent", "--unshare-pid",
			"--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
			"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"}
		for _, d := range []string{"/lib", "/lib64", "/lib32", "/bin", "/sbin"} {
			if target, err := os.Readlink(d); err == nil {
				args = append(args, "--symlink", target, d)
			} else if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				args = append(args, "--ro-bind", d, d)
			}
		}
		for _, dir := range busSocketDirs(bus) {
			args = append(args, "--ro-bind", dir, dir)
		}
		args = append(args, "--ro-bind", exe, exe, "--ro-bind", info.Name(), "/.flatpak-info",
			"--", exe, portalSecretVerb)

		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		cmd := exec.CommandContext(ctx, bwrap, args...)
		cmd.Env = []string{"DBUS_SESSION_BUS_ADDRESS=" + bus, "PATH=/usr/bin:/bin"}
		cmd.ExtraFiles = []*os.File{w}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			w.Close()
			return nil, fmt.Errorf("start bwrap: %w", err)
		}
		w.Close()
		buf := make([]byte, portal.SecretLen)
		n, rerr := io.ReadFull(r, buf)
		werr := cmd.Wait()
		if rerr != nil || werr != nil {
			secret.Wipe(buf)
			msg := strings.TrimSpace(stderr.String())
			if werr == nil {
				werr = rerr
			}
			return nil, fmt.Errorf("portal request as %s (%d bytes): %w: %s", appID, n, werr, msg)
		}
		return keyring.NewBinarySecret(buf), nil
	}
}

// busSocketDirs returns the directories of the bus's path sockets, which
// must be visible inside the sandbox; abstract sockets need nothing.
func busSocketDirs(addr string) []string {
	var dirs []string
	for _, a := range strings.Split(addr, ";") {
		_, params, ok := strings.Cut(a, ":")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(params, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok && k == "path" {
				dirs = append(dirs, filepath.Dir(v))
			}
		}
	}
	return dirs
}

// cmdPortalSecret is the sandboxed half of appSecretViaSandbox: it asks the
// portal and writes the secret to fd 3. It refuses to run outside a sandbox
// or without the pipe.
func cmdPortalSecret(ctx context.Context, c *cli, args []string) error {
	if !portal.DetectSandbox().Sandboxed() {
		return errors.New("internal verb: only runs inside the sandbox moneypenny --app-id makes")
	}
	out := os.NewFile(3, "secret-pipe")
	if out == nil {
		return errors.New("internal verb: no pipe on fd 3")
	}
	defer out.Close()
	v, err := portal.RetrieveSecret(ctx, portal.WithAddress(c.io.getenv("DBUS_SESSION_BUS_ADDRESS")))
	if err != nil {
		return err
	}
	defer v.Wipe()
	_, err = out.Write(v.Bytes())
	return err
}
