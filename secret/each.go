package secret

import (
	"context"
	"errors"
	"fmt"
)

// CreateEach implements Store.CreateItems for a backend without a batch
// write: it creates the items one by one and stops at the first error,
// returning the items created so far and an error that says which item of
// the batch failed.
func CreateEach(ctx context.Context, s Store, batch []NewItem) ([]Item, error) {
	items := make([]Item, 0, len(batch))
	for i, n := range batch {
		it, err := s.CreateItem(ctx, n.Label, n.Attributes, n.Secret, n.Replace)
		if err != nil {
			return items, fmt.Errorf("item %d of %d: %w", i+1, len(batch), err)
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
