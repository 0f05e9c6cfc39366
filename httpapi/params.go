package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/hookline/hookline"
)

// pathID parses the path parameter name as a resource id. Anything that is
// not a positive integer cannot name a resource, so it answers 404 like an
// unknown id.
func pathID(r *http.Request, name, kind string) (int64, error) {
	raw := r.PathValue(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, hookline.NotFound(kind, strconv.Quote(raw))
	}
	return id, nil
}

// queryID parses the query parameter name as a positive id; absent is 0.
func queryID(r *http.Request, name string) (int64, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, hookline.Invalid(name, "query parameter %s must be a positive integer, not %q", name, raw)
	}
	return id, nil
}

// pageRequest reads a listing's cursor and limit. The limit is 1 to
// hookline.MaxPageLimit; anything else is a 400 naming limit.
func pageRequest(r *http.Request) (hookline.PageRequest, error) {
	q := r.URL.Query()
	p := hookline.PageRequest{Cursor: q.Get("cursor")}
	if raw, ok := q["limit"]; ok {
		n, err := strconv.Atoi(raw[0])
		if err != nil || n < 1 || n > hookline.MaxPageLimit {
			return p, hookline.Invalid("limit", "query parameter limit must be an integer from 1 to %d, not %q", hookline.MaxPageLimit, raw[0])
		}
		p.Limit = n
	}
	return p, nil
}

// writePage answers one page of a list as {"<key>": [...], "next_cursor":
// "..." or null}; the next page is ?cursor=<next_cursor>.
func writePage[T any](w http.ResponseWriter, key string, p hookline.Page[T]) {
	items := p.Items
	if items == nil {
		items = []T{}
	}
	var next *string
	if p.NextCursor != "" {
		next = &p.NextCursor
	}
	// The items come first, as the documentation writes the answer: a map
	// would sort next_cursor before them.
	writeJSON(w, http.StatusOK, pageBody{{key, items}, {"next_cursor", next}})
}

// pageBody is a JSON object whose members keep their order.
type pageBody []struct {
	key   string
	value any
}

// MarshalJSON writes the members in order, without HTML escapes, as
// writeJSON writes everything else.
func (b pageBody) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, m := range b {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := enc.Encode(m.value); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// pageParams documents the paging query parameters of every listing.
func pageParams() []param {
	return []param{
		{name: "cursor", description: "the next_cursor of the previous page; absent: the first page",
			schema: map[string]any{"type": "string"}},
		{name: "limit", description: "items per page, 1 to 500 (default 50)",
			schema: map[string]any{"type": "integer", "minimum": 1, "maximum": hookline.MaxPageLimit, "default": hookline.DefaultPageLimit}},
	}
}

// companyIDParam documents the company_id query parameter of listings.
func companyIDParam() param {
	return param{
		name:        "company_id",
		description: "only resources of this company (one in the caller's scope)",
		schema:      map[string]any{"type": "integer", "format": "int64"},
	}
}

// listByCompany answers a company-scoped list: the page of find for the
// caller, narrowed by ?company_id=, under key.
func listByCompany[T any](w http.ResponseWriter, r *http.Request, caller *hookline.Caller, key string,
	find func(context.Context, *hookline.Caller, int64, hookline.PageRequest) (hookline.Page[T], error)) error {
	companyID, err := queryID(r, "company_id")
	if err != nil {
		return err
	}
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := find(r.Context(), caller, companyID, page)
	if err != nil {
		return err
	}
	writePage(w, key, p)
	return nil
}
