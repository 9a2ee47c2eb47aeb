// Package darwin stores secrets in the macOS Keychain as generic passwords
// (kSecClassGenericPassword), through the Security framework's SecItemAdd,
// SecItemCopyMatching, SecItemUpdate and SecItemDelete. The framework is
// loaded at run time with github.com/ebitengine/purego, so the package builds
// with CGO_ENABLED=0; it never runs /usr/bin/security, so no secret passes
// through argv and the items' access lists name this program, not that tool.
//
// # How an item maps onto a Keychain item
//
//	attribute "service"    -> kSecAttrService ("" when absent)
//	attribute "username"   -> kSecAttrAccount (see below)
//	label                  -> kSecAttrLabel
//	all attributes         -> kSecAttrGeneric: "moneypenny/1\n" + JSON
//	                          {"attributes":{...},"contentType":"..."}
//	secret                 -> kSecValueData (raw bytes)
//	created, modified      <- kSecAttrCreationDate, kSecAttrModificationDate
//
// The Keychain lets only one generic password exist per (service, account)
// pair, while attribute sets that share service and username but differ
// elsewhere are distinct items. The account is therefore the username alone
// when the attributes are at most {service, username} (exactly what
// zalando/go-keyring and 99designs/keyring store, so those libraries read
// such items and we read theirs), and otherwise the username followed by
// " #" and 8 hex digits of the SHA-256 of the attribute set's JSON. A second
// item with the same attributes, stored without replace, gets a random
// 8-digit suffix instead.
//
// Searches narrow natively on kSecAttrService (kSecMatchLimitAll,
// kSecReturnAttributes) and compare the rest exactly against the attributes
// decoded from kSecAttrGeneric, so the match is the same subset match as on
// every other backend. Replace finds the item with exactly the given
// attributes and rewrites it with SecItemUpdate, which keeps its creation
// date and its access list ("Always Allow" survives).
//
// # Other programs' items
//
// Generic passwords without our kSecAttrGeneric header (go-keyring,
// 99designs/keyring, or anything else) appear only in searches for {service}
// or {service, username}, with those two attributes taken from
// kSecAttrService and kSecAttrAccount. go-keyring's encoded values
// ("go-keyring-base64:..." and the older "go-keyring-encoded:" hex) are
// decoded on read. Replacing or changing such an item adds our header; its
// data stays raw bytes, which go-keyring still reads.
//
// # Errors
//
//	errSecItemNotFound (-25300)          -> secret.ErrNotFound
//	errSecInteractionNotAllowed (-25308) -> secret.ErrLocked (keychain locked, no UI allowed: ssh sessions)
//	errSecUserCanceled (-128)            -> secret.ErrDismissed
//	errSecAuthFailed (-25293)            -> secret.ErrWrongPassword
//	errSecNotAvailable, errSecNoSuchKeychain, errSecMissingEntitlement -> secret.ErrUnavailable
//	errSecDuplicateItem (-25299)         -> handled: replace, or a suffixed account
//
// A SecItem call that shows a dialog ("allow access to this item?") blocks
// until the user answers; a cancelled context returns at once with
// ctx.Err() and the abandoned call finishes in the background.
//
// The Keychain is locked and unlocked by the system, and change notifications
// are not offered: Lock, Unlock and Watch fail with secret.ErrNotSupported and
// IsLocked reports false. On other systems Open fails with
// secret.ErrUnavailable; the mapping, encoding and query-building code has no
// build tag, so its tests run everywhere.
package darwin
