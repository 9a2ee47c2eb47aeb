//go:build darwin

package darwin

import (
	"time"
	"unsafe"
)

// newDict builds a CFDictionary from d. The caller releases it.
func (fw *framework) newDict(d dict) cfRef {
	m := fw.cfDictionaryCreateMutable(0, len(d), fw.keyCallBacks, fw.valueCallBacks)
	for k, v := range d {
		var ref cfRef
		owned := true
		switch v := v.(type) {
		case string:
			ref = fw.cfStringCreateWithCString(0, v, kCFStringEncodingUTF8)
		case []byte:
			ref = fw.cfDataCreate(0, v, len(v))
		case bool:
			ref, owned = fw.cfFalse, false
			if v {
				ref = fw.cfTrue
			}
		case symbol:
			ref, owned = fw.symbols[v], false
		default:
			panic("darwin: unsupported dictionary value") // a bug in query.go
		}
		// The dictionary retains key and value (kCFType callbacks).
		fw.cfDictionarySetValue(m, fw.keys[k], ref)
		if owned && ref != 0 {
			fw.cfRelease(ref)
		}
	}
	return m
}

// str converts a CFString (or CFData holding UTF-8) to a Go string.
func (fw *framework) str(ref cfRef) string {
	if ref == 0 {
		return ""
	}
	switch fw.cfGetTypeID(ref) {
	case fw.cfStringGetTypeID():
		size := fw.cfStringGetMaximumSize(fw.cfStringGetLength(ref), kCFStringEncodingUTF8) + 1
		buf := make([]byte, size)
		if !fw.cfStringGetCString(ref, buf, size, kCFStringEncodingUTF8) {
			return ""
		}
		for i, c := range buf {
			if c == 0 {
				return string(buf[:i])
			}
		}
		return string(buf)
	case fw.cfDataGetTypeID():
		return string(fw.data(ref))
	}
	return ""
}

// data copies a CFData's bytes into Go memory.
func (fw *framework) data(ref cfRef) []byte {
	if ref == 0 || fw.cfGetTypeID(ref) != fw.cfDataGetTypeID() {
		return nil
	}
	n := fw.cfDataGetLength(ref)
	out := make([]byte, n)
	if n > 0 {
		copy(out, unsafe.Slice((*byte)(fw.cfDataGetBytePtr(ref)), n))
	}
	return out
}

// appleEpoch is CFAbsoluteTime's zero, 2001-01-01 00:00:00 UTC, in Unix
// seconds.
const appleEpoch = 978307200

func (fw *framework) date(ref cfRef) time.Time {
	if ref == 0 || fw.cfGetTypeID(ref) != fw.cfDateGetTypeID() {
		return time.Time{}
	}
	s := fw.cfDateGetAbsoluteTime(ref)
	return time.Unix(appleEpoch, 0).UTC().Add(time.Duration(s * float64(time.Second))).Round(time.Millisecond)
}

// item reads one attribute dictionary returned by SecItemCopyMatching.
func (fw *framework) item(d cfRef) found {
	get := func(k key) cfRef { return fw.cfDictionaryGetValue(d, fw.keys[k]) }
	return found{
		Service:  fw.str(get(kSecAttrService)),
		Account:  fw.str(get(kSecAttrAccount)),
		Label:    fw.str(get(kSecAttrLabel)),
		Generic:  fw.data(get(kSecAttrGeneric)),
		Created:  fw.date(get(kSecAttrCreationDate)),
		Modified: fw.date(get(kSecAttrModificationDate)),
		Data:     fw.data(get(kSecValueData)),
	}
}

// results reads SecItemCopyMatching's result: one dictionary
// (kSecMatchLimitOne) or an array of them (kSecMatchLimitAll).
func (fw *framework) results(ref cfRef) []found {
	if ref == 0 {
		return nil
	}
	switch fw.cfGetTypeID(ref) {
	case fw.cfDictionaryGetTypeID():
		return []found{fw.item(ref)}
	case fw.cfArrayGetTypeID():
		n := fw.cfArrayGetCount(ref)
		out := make([]found, 0, n)
		for i := 0; i < n; i++ {
			if d := fw.cfArrayGetValueAtIndex(ref, i); d != 0 && fw.cfGetTypeID(d) == fw.cfDictionaryGetTypeID() {
				out = append(out, fw.item(d))
			}
		}
		return out
	}
	return nil
}
