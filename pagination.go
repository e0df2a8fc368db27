package accesstokens

// Paging: ListOptions, Page, and the guarded walk (All) that follows
// nextPageStart with bounds on pages and values.

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/go-querystring/query"
)

// ListOptions selects a page. Zero values are not sent, so the server's
// defaults apply.
//
// See https://docs.atlassian.com/bitbucket-server/rest/6.2.0/bitbucket-access-tokens-rest.html (Paged APIs)
type ListOptions struct {
	Start int `url:"start,omitempty"` // position to start from: 0, or a previous page's NextPageStart
	Limit int `url:"limit,omitempty"` // 0: the server's default (25); the server caps it
}

// Page is one page of a Bitbucket paged answer. It reads and writes
// Bitbucket's JSON envelope with encoding/json (see its UnmarshalJSON).
type Page[T any] struct {
	Values        []T
	Size          int  // number of Values in this page (not a total)
	Start         int  // position of this page
	Limit         int  // as applied by the server
	IsLastPage    bool // no further page
	NextPageStart int  // the Start of the next page; meaningful only when !IsLastPage

	// hasNextPageStart records whether the server sent nextPageStart at all:
	// a zero NextPageStart and a missing one mean different things to All.
	hasNextPageStart bool
	// invalid holds, by index in Values, the tokens that could not be read
	// in full, so that All yields each with its error; nil when none.
	invalid map[int]*InvalidTokenError
}

// wireItem is a value as the client reads it from a page: check says
// whether it is what the endpoint returns, convert makes the public value.
type wireItem[T any] interface {
	check() error
	convert() T
}

func (o *ListOptions) validate() error {
	if o == nil {
		return nil
	}
	if o.Start < 0 {
		return invalidArg("Start", "must not be negative, got %d", o.Start)
	}
	if o.Limit < 0 {
		return invalidArg("Limit", "must not be negative, got %d", o.Limit)
	}
	return nil
}

// encode renders the options as a query string, empty when nothing is set.
func (o *ListOptions) encode() (string, error) {
	if o == nil || (o.Start == 0 && o.Limit == 0) {
		return "", nil
	}
	return encodeQuery(o)
}

// encodeQuery renders a struct with `url` tags as a query string.
func encodeQuery(v any) (string, error) {
	values, err := query.Values(v)
	if err != nil {
		return "", err
	}
	return values.Encode(), nil
}

// listPage fetches one page below segs of api, with its query already
// encoded, and converts its values. The page comes back with an error, too,
// when some of its tokens could not be read in full (see InvalidTokenError).
func listPage[T any, W any, PW interface {
	*W
	wireItem[T]
}](ctx context.Context, c *Client, api restAPI, segs []string, rawQuery string) (*Page[T], error) {
	page := &Page[T]{}
	wire := pageJSON[T, W, PW]{page: page, maxValues: valuesAllowed(rawQuery)}
	if err := c.do(ctx, request{api: api, method: http.MethodGet, segs: segs, query: rawQuery, out: &wire}); err != nil {
		return nil, err
	}
	return page, errorOfInvalid(wire.invalid)
}

// valuesAllowed is how many values a page asked for with rawQuery may hold:
// its limit, or MaxPageValues when it asks for none.
func valuesAllowed(rawQuery string) int {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return MaxPageValues
	}
	if limit, err := strconv.Atoi(q.Get("limit")); err == nil && limit > 0 {
		return limit
	}
	return MaxPageValues
}

// The bounds of a walk. Far beyond any real server (Atlassian's largest
// load profile has about 52,000 repositories and 25,000 users; a scope holds
// at most the few hundred tokens an admin allows), they stop a server whose
// paging never ends, however it moves forward.
const (
	MaxWalkPages = 100_000   // pages one All (or Directory list) asks for at most
	MaxWalkItems = 1_000_000 // values one All (or Directory list) yields at most
)

// ErrWalkTooLong is what a walk (All, or a Directory list) yields when it
// stops at MaxWalkPages or MaxWalkItems.
var ErrWalkTooLong = errors.New("accesstokens: the walk was stopped: the server's paging does not end")

// allItems walks pages from opts.Start, following nextPageStart, holding one
// page at a time. It copies opts, so the caller's value never changes. A
// token that could not be read in full is yielded with its
// *InvalidTokenError, and the walk goes on; any other error ends it.
func allItems[T any](ctx context.Context, opts *ListOptions, fetch func(context.Context, *ListOptions) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var o ListOptions
		if opts != nil {
			o = *opts
		}
		var zero T
		items := 0
		for pages := 1; ; pages++ {
			if pages > MaxWalkPages {
				yield(zero, fmt.Errorf("%w (%d pages asked for, the most a walk asks for)", ErrWalkTooLong, MaxWalkPages))
				return
			}
			page, err := fetch(ctx, &o)
			if err != nil && (page == nil || page.invalid == nil) {
				yield(zero, err)
				return
			}
			for i, v := range page.Values {
				if items == MaxWalkItems {
					yield(zero, fmt.Errorf("%w (%d values yielded, the most a walk yields)", ErrWalkTooLong, MaxWalkItems))
					return
				}
				items++
				var verr error
				if inv := page.invalid[i]; inv != nil {
					verr = inv
				}
				if !yield(v, verr) {
					return
				}
			}
			if page.IsLastPage {
				return
			}
			if len(page.Values) == 0 {
				// A server that keeps answering empty pages while moving
				// forward would keep the walk going for ever.
				yield(zero, fmt.Errorf("accesstokens: page at start %d is empty but not the last; stopping instead of walking on", o.Start))
				return
			}
			if !page.hasNextPageStart {
				yield(zero, fmt.Errorf("accesstokens: page at start %d is not the last but has no nextPageStart; stopping instead of looping", o.Start))
				return
			}
			if page.NextPageStart <= o.Start {
				yield(zero, fmt.Errorf("accesstokens: page at start %d gives nextPageStart %d, which does not move forward; stopping instead of looping", o.Start, page.NextPageStart))
				return
			}
			o.Start = page.NextPageStart
		}
	}
}
