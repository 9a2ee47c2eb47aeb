#!/bin/bash
# generate.sh — regenerate login.keyring, the gnome-keyring v0 fixture of
# internal/legacykeyring and hostmigrate, with the real gnome-keyring-daemon.
#
# It starts a private dbus-daemon (its own config: nothing is activated, no
# system services) and gnome-keyring-daemon --unlock with the password below,
# all inside a throwaway HOME/XDG tree, stores the items of README.md with
# secret-tool, then copies the daemon's login.keyring here. The user's real
# keyring is never reached: DBUS_SESSION_BUS_ADDRESS, HOME and the XDG
# variables all point into the temporary tree.
#
# Needs: dbus-daemon, gnome-keyring-daemon, secret-tool (Debian: dbus,
# gnome-keyring, libsecret-tools).
set -euo pipefail

password='moneypenny-v0'
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

mkdir -p "$dir/home" "$dir/data" "$dir/config" "$dir/cache" "$dir/run" "$dir/services"
chmod 700 "$dir/run"
cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$dir/run/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$dir/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF

unset DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
export HOME="$dir/home" XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" \
	XDG_CACHE_HOME="$dir/cache" XDG_RUNTIME_DIR="$dir/run" \
	DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/run/bus"

dbus-daemon --config-file="$dir/bus.conf" --nofork --nosyslog 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -S "$dir/run/bus" ] && break; sleep 0.05; done

printf '%s' "$password" | gnome-keyring-daemon --foreground --components=secrets \
	--control-directory="$dir/run/keyring" --unlock >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 200); do
	dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
		org.freedesktop.DBus.GetNameOwner string:org.freedesktop.secrets >/dev/null 2>&1 && break
	sleep 0.05
done

store() { # label secret attr value...
	local label=$1 value=$2
	shift 2
	printf '%s' "$value" | secret-tool store --label="$label" "$@"
}
store 'GitHub token for alice' 'ghp_v0EXAMPLE0123456789' service github.com username alice
store 'Postgres (prod) — bob' 'p@ss w0rd! ünïcødé' service db.example.org user bob port 5432
printf 'line one\nline two\n\ttabbed\n' | secret-tool store --label='Multi-line note' \
	application moneypenny-fixture kind multiline xdg:schema org.gnome.keyring.Note

# gnome-keyring writes the file on each change; wait until all three are in.
for _ in $(seq 100); do
	[ "$(secret-tool search --all service github.com 2>/dev/null | grep -c '^label')" = 1 ] && break
	sleep 0.05
done
cp "$dir/data/keyrings/login.keyring" "$here/login.keyring"
chmod 644 "$here/login.keyring"
echo "wrote $here/login.keyring ($(stat -c %s "$here/login.keyring") bytes)"
