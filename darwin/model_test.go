package darwin

import (
	"context"
	"sync"
	"time"
)

// secModel is an in-memory model of the SecItem API for generic passwords,
// with the behaviour the keyring relies on: one item per (access group,
// service, account), errSecDuplicateItem otherwise; queries match on the
// attributes they name; kSecMatchLimitOne/All; data only with kSecReturnData
// (refused together with kSecMatchLimitAll, as on macOS's file keychains);
// creation and modification dates kept by the store.
type secModel struct {
	mu    sync.Mutex
	items []*modelItem
	calls []dict // every query, for tests of what is asked natively
}

type modelItem struct {
	group string
	found
}

func newModel() *secModel { return &secModel{} }

var matchKeys = []key{kSecAttrService, kSecAttrAccount, kSecAttrLabel, kSecAttrAccessGroup}

func (it *modelItem) get(k key) string {
	switch k {
	case kSecAttrService:
		return it.Service
	case kSecAttrAccount:
		return it.Account
	case kSecAttrLabel:
		return it.Label
	case kSecAttrAccessGroup:
		return it.group
	}
	return ""
}

func (m *secModel) matches(q dict) []*modelItem {
	var out []*modelItem
	for _, it := range m.items {
		ok := q[kSecClass] == kSecClassGenericPassword
		for _, k := range matchKeys {
			if v, set := q[k]; set && v.(string) != it.get(k) {
				ok = false
			}
		}
		if ok {
			out = append(out, it)
		}
	}
	return out
}

func (m *secModel) taken(group, service, account string, except *modelItem) bool {
	for _, it := range m.items {
		if it != except && it.group == group && it.Service == service && it.Account == account {
			return true
		}
	}
	return false
}

func str(d dict, k key) string { s, _ := d[k].(string); return s }

func (m *secModel) add(ctx context.Context, d dict) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, d)
	if d[kSecClass] != kSecClassGenericPassword {
		return statusError("SecItemAdd", errSecParam)
	}
	it := &modelItem{group: str(d, kSecAttrAccessGroup), found: found{
		Service: str(d, kSecAttrService), Account: str(d, kSecAttrAccount), Label: str(d, kSecAttrLabel),
	}}
	if g, ok := d[kSecAttrGeneric].([]byte); ok {
		it.Generic = append([]byte{}, g...)
	}
	if b, ok := d[kSecValueData].([]byte); ok {
		it.Data = append([]byte{}, b...)
	}
	if m.taken(it.group, it.Service, it.Account, nil) {
		return statusError("SecItemAdd", errSecDuplicateItem)
	}
	it.Created = time.Now().UTC()
	it.Modified = it.Created
	m.items = append(m.items, it)
	return nil
}

func (m *secModel) copyMatching(ctx context.Context, q dict) ([]found, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, q)
	if q[kSecReturnData] == true && q[kSecMatchLimit] == kSecMatchLimitAll {
		return nil, statusError("SecItemCopyMatching", errSecParam)
	}
	list := m.matches(q)
	if len(list) == 0 {
		return nil, statusError("SecItemCopyMatching", errSecItemNotFound)
	}
	if q[kSecMatchLimit] != kSecMatchLimitAll {
		list = list[:1]
	}
	out := make([]found, 0, len(list))
	for _, it := range list {
		f := it.found
		f.Generic = append([]byte(nil), f.Generic...)
		f.Data = nil
		if q[kSecReturnData] == true {
			f.Data = append([]byte{}, it.Data...)
		}
		out = append(out, f)
	}
	return out, nil
}

func (m *secModel) update(ctx context.Context, q, ch dict) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, q)
	list := m.matches(q)
	if len(list) == 0 {
		return statusError("SecItemUpdate", errSecItemNotFound)
	}
	for _, it := range list {
		service, account := it.Service, it.Account
		if v, ok := ch[kSecAttrService]; ok {
			service = v.(string)
		}
		if v, ok := ch[kSecAttrAccount]; ok {
			account = v.(string)
		}
		if m.taken(it.group, service, account, it) {
			return statusError("SecItemUpdate", errSecDuplicateItem)
		}
		it.Service, it.Account = service, account
		if v, ok := ch[kSecAttrLabel]; ok {
			it.Label = v.(string)
		}
		if v, ok := ch[kSecAttrGeneric]; ok {
			it.Generic = append([]byte{}, v.([]byte)...)
		}
		if v, ok := ch[kSecValueData]; ok {
			it.Data = append([]byte{}, v.([]byte)...)
		}
		it.Modified = time.Now().UTC()
	}
	return nil
}

func (m *secModel) delete(ctx context.Context, q dict) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, q)
	list := m.matches(q)
	if len(list) == 0 {
		return statusError("SecItemDelete", errSecItemNotFound)
	}
	keep := m.items[:0]
	for _, it := range m.items {
		gone := false
		for _, d := range list {
			gone = gone || d == it
		}
		if !gone {
			keep = append(keep, it)
		}
	}
	m.items = keep
	return nil
}
