package hookline

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Page sizes of every list.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// PageRequest asks for one page of a list: the items after the one Cursor
// names, at most Limit of them. The zero value asks for the first page of
// DefaultPageLimit items.
type PageRequest struct {
	Cursor string
	Limit  int
}

// Page is one page of a list. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// cursorPrefix versions cursors, so that a later ordering can refuse the
// cursors of this one instead of misreading them.
const cursorPrefix = "id:"

// EncodeCursor returns the opaque cursor of the item with the given id.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

// Limit returns the page size asked for, DefaultPageLimit when none was.
func (p PageRequest) limit() int {
	if p.Limit == 0 {
		return DefaultPageLimit
	}
	return p.Limit
}

// Bounds checks the request and returns the id the page starts after (0:
// the start, or for lists that include negative ids, see After) and its
// size. Errors name "cursor" or "limit".
func (p PageRequest) Bounds() (after int64, hasAfter bool, limit int, err error) {
	limit = p.limit()
	if limit < 1 || limit > MaxPageLimit {
		return 0, false, 0, Invalid("limit", "must be between 1 and %d, got %d", MaxPageLimit, p.Limit)
	}
	if p.Cursor == "" {
		return 0, false, limit, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err == nil {
		if s, ok := strings.CutPrefix(string(raw), cursorPrefix); ok {
			if id, perr := strconv.ParseInt(s, 10, 64); perr == nil {
				return id, true, limit, nil
			}
		}
	}
	return 0, false, 0, Invalid("cursor", "is not a cursor of this list; pass next_cursor from the previous page as it is")
}

// PageOf makes a page of items fetched with one more than limit asked for:
// if that extra item came, it is dropped and the cursor points after the
// last item kept.
func PageOf[T any](items []T, limit int, id func(T) int64) Page[T] {
	if len(items) <= limit {
		return Page[T]{Items: items}
	}
	items = items[:limit]
	return Page[T]{Items: items, NextCursor: EncodeCursor(id(items[len(items)-1]))}
}
