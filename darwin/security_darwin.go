//go:build darwin

package darwin

import "context"

// systemAPI binds the Security framework.
func systemAPI() (secAPI, error) {
	fw, err := loadFramework()
	if err != nil {
		return nil, err
	}
	return fw, nil
}

// call runs f, which may block on a Keychain dialog, on its own goroutine and
// returns early when ctx ends. f owns every CF object it creates and releases
// them itself, so an abandoned call cleans up when it finishes.
func call[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

func (fw *framework) add(ctx context.Context, attrs dict) error {
	_, err := call(ctx, func() (struct{}, error) {
		d := fw.newDict(attrs)
		defer fw.cfRelease(d)
		return struct{}{}, statusError("SecItemAdd", fw.secItemAdd(d, nil))
	})
	return err
}

func (fw *framework) copyMatching(ctx context.Context, query dict) ([]found, error) {
	return call(ctx, func() ([]found, error) {
		q := fw.newDict(query)
		defer fw.cfRelease(q)
		var res cfRef
		if err := statusError("SecItemCopyMatching", fw.secItemCopyMatching(q, &res)); err != nil {
			return nil, err
		}
		if res == 0 {
			return nil, nil
		}
		defer fw.cfRelease(res)
		return fw.results(res), nil
	})
}

func (fw *framework) update(ctx context.Context, query, changes dict) error {
	_, err := call(ctx, func() (struct{}, error) {
		q, c := fw.newDict(query), fw.newDict(changes)
		defer fw.cfRelease(q)
		defer fw.cfRelease(c)
		return struct{}{}, statusError("SecItemUpdate", fw.secItemUpdate(q, c))
	})
	return err
}

func (fw *framework) delete(ctx context.Context, query dict) error {
	_, err := call(ctx, func() (struct{}, error) {
		q := fw.newDict(query)
		defer fw.cfRelease(q)
		return struct{}{}, statusError("SecItemDelete", fw.secItemDelete(q))
	})
	return err
}
