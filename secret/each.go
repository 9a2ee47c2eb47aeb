package secret

import (
	"context"
	"errors"
)

// CreateEach implements Store.CreateItems for a backend without a batch
// write: it creates the items one by one and stops at the first error,
// returning the items created so far.
func CreateEach(ctx context.Context, s Store, batch []NewItem) ([]Item, error) {
	items := make([]Item, 0, len(batch))
	for _, n := range batch {
		it, err := s.CreateItem(ctx, n.Label, n.Attributes, n.Secret, n.Replace)
		if err != nil {
			return items, err
		}
		items = append(items, it)
	}
	return items, nil
}

// DeleteEach implements Store.Delete over items found by a search: it
// deletes them one by one and counts those it deleted. An item someone else
// deleted meanwhile (ErrNotFound) is not an error and not counted.
func DeleteEach(ctx context.Context, items []Item) (int, error) {
	n := 0
	for _, it := range items {
		err := it.Delete(ctx)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
