// Package nameowner tells the signals of a well-known bus name's current
// owner from forgeries.
//
// A D-Bus signal carries the unique name of the connection that sent it
// (":1.42"), stamped by the bus; it never carries a well-known name such as
// org.freedesktop.secrets. Match rules with sender='org.freedesktop.secrets'
// only filter broadcasts: any peer may address a signal to our connection
// directly, and such a unicast signal reaches every channel registered with
// godbus whatever the match rules say. So a client that acts on signals (a
// prompt's Completed, a collection's ItemDeleted) has to compare each
// signal's sender with the unique name that owns the well-known name at that
// moment, the way GDBus does for its name-watching proxies.
//
// A Tracker learns the owner with GetNameOwner and follows the bus's
// NameOwnerChanged signals, which only the bus itself can send (the bus
// stamps "org.freedesktop.DBus" as their sender, and no peer can own that
// name). Subscribe to Rule(name) and register the signal channel before
// calling New, then hand every signal to Observe in the order it arrived:
// changes that happened before New answered are then recognised as stale
// and ignored, and later ones are applied, so the owner is never missed.
package nameowner
