//go:build darwin

package darwin

import (
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/moneypenny-go/keyring/secret"
)

const (
	securityPath       = "/System/Library/Frameworks/Security.framework/Security"
	coreFoundationPath = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"

	kCFStringEncodingUTF8 = 0x08000100
)

// cfRef is a CoreFoundation object reference (CFTypeRef).
type cfRef = uintptr

// framework holds the Security and CoreFoundation functions and constants,
// bound once per Keyring by Open (no package-level state).
type framework struct {
	secItemAdd          func(attrs cfRef, result *cfRef) int32
	secItemCopyMatching func(query cfRef, result *cfRef) int32
	secItemUpdate       func(query, attrs cfRef) int32
	secItemDelete       func(query cfRef) int32

	cfRelease                 func(cfRef)
	cfGetTypeID               func(cfRef) uint
	cfStringGetTypeID         func() uint
	cfDataGetTypeID           func() uint
	cfDictionaryGetTypeID     func() uint
	cfArrayGetTypeID          func() uint
	cfDateGetTypeID           func() uint
	cfDictionaryCreateMutable func(alloc cfRef, capacity int, keyCallBacks, valueCallBacks uintptr) cfRef
	cfDictionarySetValue      func(d, k, v cfRef)
	cfDictionaryGetValue      func(d, k cfRef) cfRef
	cfStringCreateWithCString func(alloc cfRef, s string, encoding uint32) cfRef
	cfStringGetLength         func(cfRef) int
	cfStringGetMaximumSize    func(length int, encoding uint32) int
	cfStringGetCString        func(s cfRef, buf []byte, size int, encoding uint32) bool
	cfDataCreate              func(alloc cfRef, b []byte, n int) cfRef
	cfDataGetLength           func(cfRef) int
	cfDataGetBytePtr          func(cfRef) unsafe.Pointer
	cfArrayGetCount           func(cfRef) int
	cfArrayGetValueAtIndex    func(a cfRef, i int) cfRef
	cfDateGetAbsoluteTime     func(cfRef) float64

	keyCallBacks, valueCallBacks uintptr // &kCFTypeDictionaryKeyCallBacks, ...
	cfTrue, cfFalse              cfRef
	keys                         map[key]cfRef
	symbols                      map[symbol]cfRef
}

// Every key and symbol query.go uses; Open resolves them all up front, so a
// missing one is an error at Open rather than a crash later.
func allKeys() []key {
	return []key{kSecClass, kSecAttrService, kSecAttrAccount, kSecAttrLabel, kSecAttrGeneric,
		kSecAttrAccessGroup, kSecAttrCreationDate, kSecAttrModificationDate, kSecValueData,
		kSecMatchLimit, kSecReturnAttributes, kSecReturnData}
}

func allSymbols() []symbol {
	return []symbol{kSecClassGenericPassword, kSecMatchLimitAll, kSecMatchLimitOne}
}

// deref reads the pointer-sized variable at addr: Dlsym gives the address
// of an exported `const CFStringRef kSec...`, not its value.
func deref(addr uintptr) uintptr { return **(**uintptr)(unsafe.Pointer(&addr)) }

// loadFramework binds the functions and constants. RegisterLibFunc panics on
// a missing symbol, so each one is looked up with Dlsym first.
func loadFramework() (fw *framework, err error) {
	unavailable := func(what string, e error) error {
		return fmt.Errorf("darwin: %s: %v: %w", what, e, secret.ErrUnavailable)
	}
	sec, err := purego.Dlopen(securityPath, purego.RTLD_LAZY|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, unavailable("load Security.framework", err)
	}
	cf, err := purego.Dlopen(coreFoundationPath, purego.RTLD_LAZY|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, unavailable("load CoreFoundation.framework", err)
	}
	fw = &framework{keys: map[key]cfRef{}, symbols: map[symbol]cfRef{}}
	bind := func(fptr any, lib uintptr, name string) {
		if err != nil {
			return
		}
		sym, e := purego.Dlsym(lib, name)
		if e != nil {
			err = unavailable("resolve "+name, e)
			return
		}
		purego.RegisterFunc(fptr, sym)
	}
	bind(&fw.secItemAdd, sec, "SecItemAdd")
	bind(&fw.secItemCopyMatching, sec, "SecItemCopyMatching")
	bind(&fw.secItemUpdate, sec, "SecItemUpdate")
	bind(&fw.secItemDelete, sec, "SecItemDelete")
	bind(&fw.cfRelease, cf, "CFRelease")
	bind(&fw.cfGetTypeID, cf, "CFGetTypeID")
	bind(&fw.cfStringGetTypeID, cf, "CFStringGetTypeID")
	bind(&fw.cfDataGetTypeID, cf, "CFDataGetTypeID")
	bind(&fw.cfDictionaryGetTypeID, cf, "CFDictionaryGetTypeID")
	bind(&fw.cfArrayGetTypeID, cf, "CFArrayGetTypeID")
	bind(&fw.cfDateGetTypeID, cf, "CFDateGetTypeID")
	bind(&fw.cfDictionaryCreateMutable, cf, "CFDictionaryCreateMutable")
	bind(&fw.cfDictionarySetValue, cf, "CFDictionarySetValue")
	bind(&fw.cfDictionaryGetValue, cf, "CFDictionaryGetValue")
	bind(&fw.cfStringCreateWithCString, cf, "CFStringCreateWithCString")
	bind(&fw.cfStringGetLength, cf, "CFStringGetLength")
	bind(&fw.cfStringGetMaximumSize, cf, "CFStringGetMaximumSizeForEncoding")
	bind(&fw.cfStringGetCString, cf, "CFStringGetCString")
	bind(&fw.cfDataCreate, cf, "CFDataCreate")
	bind(&fw.cfDataGetLength, cf, "CFDataGetLength")
	bind(&fw.cfDataGetBytePtr, cf, "CFDataGetBytePtr")
	bind(&fw.cfArrayGetCount, cf, "CFArrayGetCount")
	bind(&fw.cfArrayGetValueAtIndex, cf, "CFArrayGetValueAtIndex")
	bind(&fw.cfDateGetAbsoluteTime, cf, "CFDateGetAbsoluteTime")
	if err != nil {
		return nil, err
	}
	variable := func(lib uintptr, name string) uintptr {
		if err != nil {
			return 0
		}
		addr, e := purego.Dlsym(lib, name)
		if e != nil {
			err = unavailable("resolve "+name, e)
			return 0
		}
		return addr
	}
	fw.keyCallBacks = variable(cf, "kCFTypeDictionaryKeyCallBacks")
	fw.valueCallBacks = variable(cf, "kCFTypeDictionaryValueCallBacks")
	if a := variable(cf, "kCFBooleanTrue"); a != 0 {
		fw.cfTrue = deref(a)
	}
	if a := variable(cf, "kCFBooleanFalse"); a != 0 {
		fw.cfFalse = deref(a)
	}
	for _, k := range allKeys() {
		if a := variable(sec, string(k)); a != 0 {
			fw.keys[k] = deref(a)
		}
	}
	for _, s := range allSymbols() {
		if a := variable(sec, string(s)); a != 0 {
			fw.symbols[s] = deref(a)
		}
	}
	if err != nil {
		return nil, err
	}
	return fw, nil
}
