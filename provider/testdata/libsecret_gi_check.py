# libsecret through GObject introspection: the password API (schema'd
# items, the default collection) and the object API (sessions, search with
# LOAD_SECRETS | UNLOCK, aliases).
import gi
gi.require_version("Secret", "1")
from gi.repository import Secret, GLib

schema = Secret.Schema.new("org.example.Provider", Secret.SchemaFlags.NONE,
                           {"user": Secret.SchemaAttributeType.STRING,
                            "port": Secret.SchemaAttributeType.INTEGER})
assert Secret.password_store_sync(schema, {"user": "alice", "port": "22"}, Secret.COLLECTION_DEFAULT,
                                  "gi item", "gi-secret", None)
assert Secret.password_lookup_sync(schema, {"user": "alice"}, None) == "gi-secret"
# store again: replaced, not duplicated
assert Secret.password_store_sync(schema, {"user": "alice", "port": "22"}, Secret.COLLECTION_DEFAULT,
                                  "gi item", "gi-secret-2", None)
service = Secret.Service.get_sync(Secret.ServiceFlags.OPEN_SESSION | Secret.ServiceFlags.LOAD_COLLECTIONS, None)
assert service.get_session_algorithms() == "dh-ietf1024-sha256-aes128-cbc-pkcs7", service.get_session_algorithms()
items = service.search_sync(schema, {"user": "alice"},
                            Secret.SearchFlags.ALL | Secret.SearchFlags.LOAD_SECRETS | Secret.SearchFlags.UNLOCK, None)
assert len(items) == 1, items
assert items[0].get_secret().get_text() == "gi-secret-2"
assert items[0].get_attributes() == {"user": "alice", "port": "22", "xdg:schema": "org.example.Provider"}, items[0].get_attributes()
labels = sorted(c.get_label() for c in service.get_collections())
assert labels == ["Login", "Session"], labels
default = Secret.Collection.for_alias_sync(service, "default", Secret.CollectionFlags.NONE, None)
assert default.get_object_path() == "/org/freedesktop/secrets/collection/login", default.get_object_path()
assert Secret.password_clear_sync(schema, {"user": "alice"}, None)
assert Secret.password_lookup_sync(schema, {"user": "alice"}, None) is None
print("ok")
