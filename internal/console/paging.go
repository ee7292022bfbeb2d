package console

import (
	"errors"
	"net/http"
	"strconv"
)

// pageSize is how many rows a paged list shows.
const pageSize = 50

// errPageFull stops a streamed listing once a page (and one more row, to
// know there is a next page) has arrived.
var errPageFull = errors.New("page full")

// pager links the neighbouring pages of a list.
type pager struct {
	Prev, Next           string
	PrevLabel, NextLabel string
}

// withQuery returns the request's path and query with the given
// parameters set; an empty value removes a parameter.
func withQuery(r *http.Request, kv ...string) string {
	q := r.URL.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	u := *r.URL
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// offset reads a non-negative ?from= row number.
func offset(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("from"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// offsetPager links the pages of an offset-paged list of which the rows
// from..from+shown are shown.
func offsetPager(r *http.Request, from, shown int, more bool) pager {
	p := pager{PrevLabel: "Previous", NextLabel: "Next"}
	if from > 0 {
		prev := ""
		if from > pageSize {
			prev = strconv.Itoa(from - pageSize)
		}
		p.Prev = withQuery(r, "from", prev)
	}
	if more {
		p.Next = withQuery(r, "from", strconv.Itoa(from+shown))
	}
	return p
}

// cursorPage cuts items, fetched with a limit of pageSize+1 after the
// request's "after" cursor, to one page, and makes its pager; cursor
// gives the value that continues after an item.
func cursorPage[T any](r *http.Request, items []T, cursor func(T) string, prevLabel, nextLabel string) ([]T, pager) {
	p := pager{PrevLabel: prevLabel, NextLabel: nextLabel}
	if r.URL.Query().Get("after") != "" {
		p.Prev = withQuery(r, "after", "")
	}
	if len(items) > pageSize {
		items = items[:pageSize]
		p.Next = withQuery(r, "after", cursor(items[pageSize-1]))
	}
	return items, p
}
