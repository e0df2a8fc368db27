package accesstokens

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"

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

// Page is one page of a Bitbucket paged answer.
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
}

// pageJSON is the wire envelope of a page; isLastPage is a pointer so that a
// body without it (not a page at all) is caught instead of read as a page.
type pageJSON[W any] struct {
	Values        []W   `json:"values"`
	Size          int   `json:"size"`
	Start         int   `json:"start"`
	Limit         int   `json:"limit"`
	IsLastPage    *bool `json:"isLastPage"`
	NextPageStart *int  `json:"nextPageStart"`
}

// wireItem is a wire form that converts into its public type.
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
// encoded, and converts its values.
func listPage[T any, W any, PW interface {
	*W
	wireItem[T]
}](ctx context.Context, c *Client, api restAPI, segs []string, rawQuery string) (*Page[T], error) {
	var wire pageJSON[W]
	if err := c.do(ctx, request{api: api, method: http.MethodGet, segs: segs, query: rawQuery, out: &wire}); err != nil {
		return nil, err
	}
	if wire.IsLastPage == nil {
		return nil, &decodeError{what: "page", method: http.MethodGet, path: c.requestPath(api, segs), err: errors.New(`no "isLastPage": not a page`)}
	}
	page := &Page[T]{
		Values:     make([]T, len(wire.Values)),
		Size:       wire.Size,
		Start:      wire.Start,
		Limit:      wire.Limit,
		IsLastPage: *wire.IsLastPage,
	}
	if wire.NextPageStart != nil {
		page.NextPageStart = *wire.NextPageStart
		page.hasNextPageStart = true
	}
	for i := range wire.Values {
		item := PW(&wire.Values[i])
		if err := item.check(); err != nil {
			return nil, &decodeError{what: "page", method: http.MethodGet, path: c.requestPath(api, segs), err: fmt.Errorf("value %d: %w", i, err)}
		}
		page.Values[i] = item.convert()
	}
	return page, nil
}

// allItems walks pages from opts.Start, following nextPageStart, holding one
// page at a time. It copies opts, so the caller's value never changes.
func allItems[T any](ctx context.Context, opts *ListOptions, fetch func(context.Context, *ListOptions) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var o ListOptions
		if opts != nil {
			o = *opts
		}
		var zero T
		for {
			page, err := fetch(ctx, &o)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, v := range page.Values {
				if !yield(v, nil) {
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
