package darwin

import (
	"time"
)

// key names a SecItem dictionary key: the name of the Security framework's
// exported CFStringRef constant, resolved with Dlsym on macOS.
type key string

// symbol is a dictionary value that is itself a Security framework constant
// (kSecClassGenericPassword, kSecMatchLimitAll, ...).
type symbol string

const (
	kSecClass                = key("kSecClass")
	kSecAttrService          = key("kSecAttrService")
	kSecAttrAccount          = key("kSecAttrAccount")
	kSecAttrLabel            = key("kSecAttrLabel")
	kSecAttrGeneric          = key("kSecAttrGeneric")
	kSecAttrAccessGroup      = key("kSecAttrAccessGroup")
	kSecAttrCreationDate     = key("kSecAttrCreationDate")
	kSecAttrModificationDate = key("kSecAttrModificationDate")
	kSecValueData            = key("kSecValueData")
	kSecMatchLimit           = key("kSecMatchLimit")
	kSecReturnAttributes     = key("kSecReturnAttributes")
	kSecReturnData           = key("kSecReturnData")

	kSecClassGenericPassword = symbol("kSecClassGenericPassword")
	kSecMatchLimitAll        = symbol("kSecMatchLimitAll")
	kSecMatchLimitOne        = symbol("kSecMatchLimitOne")
)

// dict is a SecItem dictionary in Go terms. Values are string (CFString),
// []byte (CFData), bool (CFBoolean) or symbol.
type dict map[key]any

// found is one item as SecItemCopyMatching returns it, in Go terms.
type found struct {
	Service, Account, Label string
	Generic                 []byte
	Created, Modified       time.Time
	Data                    []byte // only when kSecReturnData was asked for
}

// base is the part every query and every new item share.
func base(accessGroup string) dict {
	d := dict{kSecClass: kSecClassGenericPassword}
	if accessGroup != "" {
		d[kSecAttrAccessGroup] = accessGroup
	}
	return d
}

// primaryKey selects one item: the Keychain keeps at most one generic
// password per (service, account) in a keychain.
func primaryKey(accessGroup, service, account string) dict {
	d := base(accessGroup)
	d[kSecAttrService] = service
	d[kSecAttrAccount] = account
	return d
}

// searchQuery lists the attributes (never the data) of every generic
// password, narrowed natively on the service when the query names one.
func searchQuery(accessGroup string, service string, hasService bool) dict {
	d := base(accessGroup)
	if hasService {
		d[kSecAttrService] = service
	}
	d[kSecMatchLimit] = kSecMatchLimitAll
	d[kSecReturnAttributes] = true
	return d
}

// readQuery fetches one item's attributes, and its data when withData.
func readQuery(accessGroup, service, account string, withData bool) dict {
	d := primaryKey(accessGroup, service, account)
	d[kSecMatchLimit] = kSecMatchLimitOne
	d[kSecReturnAttributes] = true
	if withData {
		d[kSecReturnData] = true
	}
	return d
}

// addQuery is the dictionary for SecItemAdd.
func addQuery(accessGroup string, f found) dict {
	d := primaryKey(accessGroup, f.Service, f.Account)
	d[kSecAttrLabel] = f.Label
	d[kSecAttrGeneric] = f.Generic
	d[kSecValueData] = f.Data
	return d
}

// changes is the attribute dictionary for SecItemUpdate: only what is set.
func changes(service, account, label *string, generic, data []byte) dict {
	d := dict{}
	if service != nil {
		d[kSecAttrService] = *service
	}
	if account != nil {
		d[kSecAttrAccount] = *account
	}
	if label != nil {
		d[kSecAttrLabel] = *label
	}
	if generic != nil {
		d[kSecAttrGeneric] = generic
	}
	if data != nil {
		d[kSecValueData] = data
	}
	return d
}
