# Drives the provider with python SecretStorage (jeepney, DH session):
# prints "ok" and exits 0, or fails with a traceback.
import sys
import secretstorage

conn = secretstorage.dbus_init()
assert secretstorage.check_service_availability(conn)

coll = secretstorage.get_default_collection(conn)
assert coll.collection_path == "/org/freedesktop/secrets/aliases/default", coll.collection_path
assert coll.get_label() == "Login", coll.get_label()
assert not coll.is_locked()

# Binary secret round trip through the DH session, with a content type.
blob = bytes(range(256)) * 3
item = coll.create_item("SS item", {"app": "ss", "kind": "bin"}, blob, content_type="application/octet-stream")
assert item.get_secret() == blob
assert item.get_secret_content_type() == "application/octet-stream", item.get_secret_content_type()
assert item.get_label() == "SS item"
assert item.get_attributes() == {"app": "ss", "kind": "bin"}, item.get_attributes()
assert item.get_created() > 0 and item.get_modified() >= item.get_created()

# replace=True with the same attribute set keeps one item.
again = coll.create_item("SS item 2", {"app": "ss", "kind": "bin"}, b"v2", replace=True)
found = list(coll.search_items({"app": "ss"}))
assert len(found) == 1, found
assert found[0].get_secret() == b"v2"
assert again.item_path == found[0].item_path

# Setters through Properties.Set.
again.set_label("renamed")
again.set_attributes({"app": "ss", "kind": "text"})
again.set_secret(b"v3")
assert again.get_label() == "renamed"
assert list(coll.search_items({"kind": "text"}))[0].get_secret() == b"v3"
assert list(coll.search_items({"kind": "bin"})) == []

# Service-wide search and the session alias.
all_found = list(secretstorage.search_items(conn, {"app": "ss"}))
assert len(all_found) == 1
sess = secretstorage.Collection(conn, "/org/freedesktop/secrets/aliases/session")
assert sess.get_label() == "Session"
sess.create_item("mem", {"app": "ss-session"}, b"m")
assert list(secretstorage.search_items(conn, {"app": "ss-session"}))[0].get_secret() == b"m"

# A new collection, found by label, with the label escaped into its path.
new = secretstorage.create_collection(conn, "My keys!", alias="")
assert new.collection_path == "/org/freedesktop/secrets/collection/My_20keys_21", new.collection_path
assert any(c.get_label() == "My keys!" for c in secretstorage.get_all_collections(conn))
new.create_item("n", {"app": "new"}, b"n")
new.set_label("Renamed keys")
assert new.get_label() == "Renamed keys"

# Lock, then unlock through a prompt.
coll.lock()
assert coll.is_locked()
try:
    again.get_secret()
    raise AssertionError("a locked item gave its secret")
except secretstorage.exceptions.LockedException:
    pass
dismissed = coll.unlock()
assert dismissed is False, dismissed
assert not coll.is_locked()
assert again.get_secret() == b"v3"

# Delete an item and a collection.
again.delete()
assert list(coll.search_items({"app": "ss"})) == []
new.delete()
assert all(c.collection_path != "/org/freedesktop/secrets/collection/My_20keys_21" for c in secretstorage.get_all_collections(conn))
try:
    secretstorage.Collection(conn, "/org/freedesktop/secrets/collection/nope").get_label()
    raise AssertionError("a missing collection answered")
except secretstorage.exceptions.ItemNotFoundException:
    pass
print("ok")
