#!/usr/bin/python3
"""A scripted, headless stand-in for gcr-prompter, for dbusservice's tests.

gnome-keyring-daemon shows its Unlock and CreateCollection dialogs through a
"system prompter" that owns org.gnome.keyring.SystemPrompter and speaks gcr's
private protocol (interface org.gnome.keyring.internal.Prompter at
/org/gnome/keyring/Prompter):

  daemon -> prompter   BeginPrompting(o callback)
  prompter -> daemon   callback.PromptReady(s reply, a{sv} props, s exchange)
  daemon -> prompter   PerformPrompt(o callback, s type, a{sv} props, s exchange)
  prompter -> daemon   callback.PromptReady("yes" | "no", changed, exchange)
  daemon -> prompter   StopPrompting(o callback)
  prompter -> daemon   callback.PromptDone()

The password travels inside "exchange", encrypted with gcr's sx-aes-1 secret
exchange, for which Gcr.SecretExchange does the work. Each method returns
before the callback it triggers is sent: gcr's client only accepts
PromptReady once its BeginPrompting call has returned.

Behaviour comes from the environment:
  PROMPT_PASSWORD  the password typed into password prompts
  PROMPT_REPLY     "yes" (default) continues, "no" cancels every prompt
  PROMPT_LOG       file that receives one line "<type> <answer>" per prompt
  PROMPT_HOLD_FILE if set, every answer waits until this file exists, which
                   keeps a prompt pending for as long as a test needs

Prints "ready" on stdout once it owns the name. Needs python3-gi and
gir1.2-gcr-3; run it with Debian's /usr/bin/python3.
"""
import os
import sys

import gi

gi.require_version("Gcr", "3")
from gi.repository import Gcr, Gio, GLib  # noqa: E402

NAME = "org.gnome.keyring.SystemPrompter"
PATH = "/org/gnome/keyring/Prompter"
CALLBACK = "org.gnome.keyring.internal.Prompter.Callback"
XML = """<node><interface name="org.gnome.keyring.internal.Prompter">
 <method name="BeginPrompting"><arg type="o" direction="in"/></method>
 <method name="PerformPrompt"><arg type="o" direction="in"/><arg type="s" direction="in"/>
  <arg type="a{sv}" direction="in"/><arg type="s" direction="in"/></method>
 <method name="StopPrompting"><arg type="o" direction="in"/></method>
</interface></node>"""

PASSWORD = os.environ.get("PROMPT_PASSWORD", "")
CONTINUE = os.environ.get("PROMPT_REPLY", "yes") != "no"
LOG = os.environ.get("PROMPT_LOG")
HOLD_FILE = os.environ.get("PROMPT_HOLD_FILE")
MAX_PROMPTS = 3  # per conversation: ends gnome-keyring's wrong-password retry loop

exchanges = {}  # (sender, callback path) -> [Gcr.SecretExchange, prompts answered]


def note(line):
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def callback(conn, sender, path, member, args):
    conn.call(sender, path, CALLBACK, member, args, None,
              Gio.DBusCallFlags.NO_AUTO_START, -1, None, None, None)


def handle(conn, sender, _path, _iface, method, params, invocation):
    args = params.unpack()
    key = (sender, args[0])
    if method == "BeginPrompting":
        ex = Gcr.SecretExchange.new(None)
        exchanges[key] = [ex, 0]
        invocation.return_value(None)
        callback(conn, sender, args[0], "PromptReady",
                 GLib.Variant("(sa{sv}s)", ("", {}, ex.begin())))
    elif method == "PerformPrompt":
        state = exchanges.get(key)
        if state is None or not state[0].receive(args[3]):
            invocation.return_dbus_error("org.freedesktop.DBus.Error.Failed", "bad prompt state")
            return
        invocation.return_value(None)
        ex, state[1] = state[0], state[1] + 1
        kind, props = args[1], args[2]
        ok = CONTINUE and state[1] <= MAX_PROMPTS
        note("%s %s" % (kind, "yes" if ok else "no"))
        # The client unboxes the values it gets back twice (gcr's
        # update_properties_from_iter), so each is a variant in a variant;
        # boxed once, gnome-keyring drops it with a GLib-CRITICAL.
        changed = {}
        if kind == "password" and props.get("password-new"):
            # gnome-keyring treats strength 0 as a blank password
            changed["password-strength"] = GLib.Variant("v", GLib.Variant("i", 50))
        if props.get("choice-label"):
            # leave "unlock automatically whenever I'm logged in" unticked, so
            # later unlocks prompt again instead of using the login keyring
            changed["choice-chosen"] = GLib.Variant("v", GLib.Variant("b", False))
        sent = ex.send(PASSWORD if (ok and kind == "password") else None, -1)
        reply = GLib.Variant("(sa{sv}s)", ("yes" if ok else "no", changed, sent))
        answer = lambda: callback(conn, sender, args[0], "PromptReady", reply)  # noqa: E731
        if HOLD_FILE:
            def poll():
                if not os.path.exists(HOLD_FILE):
                    return True  # keep polling
                answer()
                return False
            GLib.timeout_add(20, poll)
        else:
            answer()
    elif method == "StopPrompting":
        exchanges.pop(key, None)
        invocation.return_value(None)
        callback(conn, sender, args[0], "PromptDone", GLib.Variant("()", ()))
    else:
        invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)


def main():
    addr = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    conn = Gio.DBusConnection.new_for_address_sync(addr, flags, None, None)
    iface = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
    conn.register_object(PATH, iface, handle, None, None)
    reply = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                           "RequestName", GLib.Variant("(su)", (NAME, 4)), GLib.VariantType("(u)"),
                           Gio.DBusCallFlags.NONE, -1, None)
    if reply.unpack()[0] != 1:
        sys.exit("prompter: could not own " + NAME)
    print("ready", flush=True)
    loop = GLib.MainLoop()
    conn.connect("closed", lambda *_: loop.quit())
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)
    loop.run()


if __name__ == "__main__":
    main()
