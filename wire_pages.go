package accesstokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Pages in Bitbucket's JSON: Page reads and writes the envelope
// ({"size","limit","isLastPage","start","nextPageStart","values"}), and the
// client reads pages one value at a time, so that a page holding more values
// than were asked for is refused before they are built.

// MaxPageValues is the most values the client accepts in one page when the
// caller asked for no limit: Bitbucket's default cap on a page (an admin can
// change the cap, not the default page size of 25 that applies when no limit
// is asked for). A page that holds more values than the limit asked for, or
// than the limit the server says it applied, is an error: a server that sends
// a million values in one page would otherwise cost a million values' memory.
const MaxPageValues = 1000

// pageJSON reads a page's JSON into page. Values are decoded one at a time
// by next, and at most maxValues of them (0: no bound); next returns an
// unreadable token's error as its second result, which keeps the value and
// goes on.
type pageJSON[T any] struct {
	page      *Page[T]
	maxValues int
	next      func(dec *json.Decoder) (T, *InvalidTokenError, error)
	invalid   []*InvalidTokenError
}

// errTooManyValues is wrapped by the error for a page with more values than allowed.
var errTooManyValues = errors.New("more values than the limit")

// answerDecoder is a value that reads a whole answer body itself: a page,
// read value by value in one pass, with no json.Unmarshal (which would first
// scan the whole body) before it.
type answerDecoder interface{ decodeAnswer(body []byte) error }

// unmarshalAnswer decodes a 2xx answer's body into out.
func unmarshalAnswer(body []byte, out any) error {
	if d, ok := out.(answerDecoder); ok {
		return d.decodeAnswer(body)
	}
	return json.Unmarshal(body, out)
}

// UnmarshalJSON is decodeAnswer, for a pageJSON that json.Unmarshal meets.
func (r *pageJSON[T]) UnmarshalJSON(b []byte) error { return r.decodeAnswer(b) }

func (r *pageJSON[T]) decodeAnswer(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a page: not a JSON object")
	}
	p := r.page
	*p = Page[T]{}
	var isLastPage *bool
	seenValues := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch key {
		case "values":
			if seenValues {
				return errors.New(`"values" given twice`)
			}
			seenValues = true
			err = r.readValues(dec)
		case "size":
			err = dec.Decode(&p.Size)
		case "start":
			err = dec.Decode(&p.Start)
		case "limit":
			err = dec.Decode(&p.Limit)
		case "isLastPage":
			err = dec.Decode(&isLastPage)
		case "nextPageStart":
			var next *int
			if err = dec.Decode(&next); err == nil && next != nil {
				p.NextPageStart, p.hasNextPageStart = *next, true
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("not a page: more after the JSON object")
	}
	if isLastPage == nil {
		return errors.New(`no "isLastPage": not a page`)
	}
	p.IsLastPage = *isLastPage
	if p.Limit > 0 && len(p.Values) > p.Limit {
		return fmt.Errorf("%w: %d values in a page whose limit is %d", errTooManyValues, len(p.Values), p.Limit)
	}
	return nil
}

// readValues reads the "values" list, refusing the value past maxValues
// before decoding it.
func (r *pageJSON[T]) readValues(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil // null: no values
	}
	if tok != json.Delim('[') {
		return errors.New("not a list")
	}
	p := r.page
	if p.Values == nil {
		p.Values = make([]T, 0, initialValuesCap(min(p.Size, r.maxValues))) // "size" comes first from Bitbucket
	}
	for i := 0; dec.More(); i++ {
		if r.maxValues > 0 && i == r.maxValues {
			return fmt.Errorf("%w: more than %d values", errTooManyValues, r.maxValues)
		}
		v, inv, err := r.next(dec)
		if err != nil {
			return fmt.Errorf("value %d: %w", i, err)
		}
		if inv != nil {
			if p.invalid == nil {
				p.invalid = map[int]*InvalidTokenError{}
			}
			p.invalid[i] = inv
			r.invalid = append(r.invalid, inv)
		}
		p.Values = append(p.Values, v)
	}
	_, err = dec.Token() // the closing ]
	return err
}

// initialValuesCap is the room made for a page's values before any is read:
// the values allowed, but not more than a page of Bitbucket's default cap,
// nor, with no bound, more than its default page size.
func initialValuesCap(maxValues int) int {
	switch {
	case maxValues <= 0:
		return 25
	case maxValues > MaxPageValues:
		return MaxPageValues
	}
	return maxValues
}

// decodeValue reads the next value with T's own JSON methods; an
// *InvalidTokenError keeps the value, as far as it was read.
func decodeValue[T any](dec *json.Decoder) (T, *InvalidTokenError, error) {
	var v T
	err := dec.Decode(&v)
	var inv *InvalidTokenError
	if errors.As(err, &inv) {
		return v, inv, nil
	}
	return v, nil, err
}

// UnmarshalJSON reads a page as Bitbucket sends it, each value with T's own
// JSON methods. A body without "isLastPage" is not a page, and an error; so
// is one with more values than its own "limit". A token that could not be
// read in full is kept in Values as far as it was read, and the error is
// its *InvalidTokenError (with several, see InvalidTokens).
func (p *Page[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	r := pageJSON[T]{page: p, next: decodeValue[T]}
	if err := r.decodeAnswer(b); err != nil {
		return fmt.Errorf("accesstokens: %w", err)
	}
	return errorOfInvalid(r.invalid)
}

// pageOut is a page written in Bitbucket's JSON.
type pageOut[T any] struct {
	Size          int  `json:"size"`
	Limit         int  `json:"limit"`
	IsLastPage    bool `json:"isLastPage"`
	Start         int  `json:"start"`
	NextPageStart *int `json:"nextPageStart,omitempty"`
	Values        []T  `json:"values"`
}

// MarshalJSON writes the page as Bitbucket does: nextPageStart only when the
// page is not the last, values as a list (empty, not null), each value with
// its own JSON methods.
func (p Page[T]) MarshalJSON() ([]byte, error) {
	out := pageOut[T]{Size: p.Size, Limit: p.Limit, IsLastPage: p.IsLastPage, Start: p.Start, Values: p.Values}
	if !p.IsLastPage {
		next := p.NextPageStart
		out.NextPageStart = &next
	}
	if out.Values == nil {
		out.Values = []T{}
	}
	return json.Marshal(out)
}
