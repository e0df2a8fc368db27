package accesstokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Pages in Bitbucket's JSON: Page reads and writes the envelope
// ({"size","limit","isLastPage","start","nextPageStart","values"}); the
// client reads a page too short to hold more values than it asked for with
// one json.Unmarshal, and a longer one value by value, so that a page
// holding more values than were asked for is refused before they are built.

// MaxPageValues is the most values the client accepts in one page when the
// caller asked for no limit: Bitbucket's default cap on a page (an admin can
// change the cap, not the default page size of 25 that applies when no limit
// is asked for). A page that holds more values than the limit asked for, or
// than the limit the server says it applied, is an error: a server that sends
// a million values in one page would otherwise cost a million values' memory.
const MaxPageValues = 1000

// pageJSON reads a page's JSON into page, each value through its wire form
// W, at most maxValues of them (0: no bound). A body too short to hold more
// values than that is read with one json.Unmarshal (most pages of a
// whole-server audit: a few tokens where 1000 are asked for); a longer one
// is read value by value, so that a page holding more values than allowed
// is refused before they are built.
type pageJSON[T any, W any, PW interface {
	*W
	wireItem[T]
}] struct {
	page      *Page[T]
	maxValues int
	invalid   []*InvalidTokenError
	envelope  pageEnvelope
	wire      []W // the values, as one json.Unmarshal reads them
}

// pageEnvelope is a page's JSON as one json.Unmarshal reads it; Values
// holds a pointer to the slice the values go to.
type pageEnvelope struct {
	Size          int   `json:"size"`
	Start         int   `json:"start"`
	Limit         int   `json:"limit"`
	IsLastPage    *bool `json:"isLastPage"`
	NextPageStart *int  `json:"nextPageStart"`
	Values        any   `json:"values"`
}

// errTooManyValues is wrapped by the error for a page with more values than allowed.
var errTooManyValues = errors.New("more values than the limit")

// answerDecoder is a value that reads a whole answer body itself.
type answerDecoder interface{ decodeAnswer(body []byte) error }

// unmarshalAnswer decodes a 2xx answer's body into out.
func unmarshalAnswer(body []byte, out any) error {
	if d, ok := out.(answerDecoder); ok {
		return d.decodeAnswer(body)
	}
	return json.Unmarshal(body, out)
}

func (r *pageJSON[T, W, PW]) decodeAnswer(b []byte) error {
	*r.page = Page[T]{}
	env := &r.envelope
	var err error
	if r.readsInOnePass(b) {
		err = r.unmarshal(b, env)
	} else {
		err = r.stream(b, env)
	}
	if err != nil {
		return err
	}
	if env.IsLastPage == nil {
		return errors.New(`no "isLastPage": not a page`)
	}
	p := r.page
	p.Size, p.Start, p.Limit, p.IsLastPage = env.Size, env.Start, env.Limit, *env.IsLastPage
	if env.NextPageStart != nil {
		p.NextPageStart, p.hasNextPageStart = *env.NextPageStart, true
	}
	if p.Limit > 0 && len(p.Values) > p.Limit {
		return fmt.Errorf("%w: %d values in a page whose limit is %d", errTooManyValues, len(p.Values), p.Limit)
	}
	return nil
}

// valuesKey is how Bitbucket writes the key of a page's values.
var valuesKey = []byte(`"values"`)

// readsInOnePass says whether b may be read with one json.Unmarshal: it
// cannot hold more values than allowed, since n values take at least 2n+1
// bytes ("[", then each value and a "," or "]"), and it has at most one
// "values" key, so that json.Unmarshal, which lets a second one win, never
// meets one. Streaming refuses a second one.
func (r *pageJSON[T, W, PW]) readsInOnePass(b []byte) bool {
	short := r.maxValues <= 0 || len(b) <= 2*r.maxValues+1
	return short && bytes.Count(b, valuesKey) <= 1
}

// unmarshal reads the page with one json.Unmarshal, then checks and
// converts its values.
func (r *pageJSON[T, W, PW]) unmarshal(b []byte, env *pageEnvelope) error {
	if n := min(sizeFirst(b), (len(b)-1)/2, MaxPageValues); n > 0 {
		r.wire = make([]W, 0, n) // json.Unmarshal fills the room a slice has before it grows one
	}
	env.Values = &r.wire // json.Unmarshal decodes into the slice an interface points at
	if err := json.Unmarshal(b, env); err != nil {
		return err
	}
	wire := r.wire
	if wire == nil {
		return nil // null or absent: no values
	}
	r.page.Values = make([]T, 0, len(wire))
	for i := range wire {
		if err := r.add(&wire[i]); err != nil {
			return fmt.Errorf(`"values": %w`, err)
		}
	}
	return nil
}

// sizeFirst is the page's "size" when b begins with it, as Bitbucket writes
// pages, so that room for the values is made before they are read: 0 for
// any other body. It only sizes a slice; json.Unmarshal reads the page.
func sizeFirst(b []byte) int {
	digits, ok := bytes.CutPrefix(b, []byte(`{"size":`))
	if !ok {
		return 0
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' || n > MaxPageValues { // past MaxPageValues it sizes nothing more
			break
		}
		n = 10*n + int(c-'0')
	}
	return n
}

// add checks and converts the page's next value. A token that could not be
// read in full is kept, with its error.
func (r *pageJSON[T, W, PW]) add(w *W) error {
	p, item := r.page, PW(w)
	if err := item.check(); err != nil {
		var inv *InvalidTokenError
		if !errors.As(err, &inv) {
			return fmt.Errorf("value %d: %w", len(p.Values), err)
		}
		if p.invalid == nil {
			p.invalid = map[int]*InvalidTokenError{}
		}
		p.invalid[len(p.Values)] = inv
		r.invalid = append(r.invalid, inv)
	}
	p.Values = append(p.Values, item.convert())
	return nil
}

// stream reads the page token by token, and its values one at a time,
// refusing the value past maxValues before decoding it.
func (r *pageJSON[T, W, PW]) stream(b []byte, env *pageEnvelope) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a page: not a JSON object")
	}
	seenValues := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch { // keys match without regard to case, as json.Unmarshal matches them
		case strings.EqualFold(key, "values"):
			if seenValues {
				return errors.New(`"values" given twice`)
			}
			seenValues = true
			err = r.streamValues(dec, env.Size)
		case strings.EqualFold(key, "size"):
			err = dec.Decode(&env.Size)
		case strings.EqualFold(key, "start"):
			err = dec.Decode(&env.Start)
		case strings.EqualFold(key, "limit"):
			err = dec.Decode(&env.Limit)
		case strings.EqualFold(key, "isLastPage"):
			err = dec.Decode(&env.IsLastPage)
		case strings.EqualFold(key, "nextPageStart"):
			err = dec.Decode(&env.NextPageStart)
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
	return nil
}

// streamValues reads the "values" list one value at a time; size, the
// page's "size" when it came first (Bitbucket sends it first), makes room
// for them.
func (r *pageJSON[T, W, PW]) streamValues(dec *json.Decoder, size int) error {
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
		p.Values = make([]T, 0, initialValuesCap(min(size, r.maxValues)))
	}
	var w, zero W
	for i := 0; dec.More(); i++ {
		if r.maxValues > 0 && i == r.maxValues {
			return fmt.Errorf("%w: more than %d values", errTooManyValues, r.maxValues)
		}
		w = zero // nothing of the value before is decoded into
		if err := dec.Decode(&w); err != nil {
			return fmt.Errorf("value %d: %w", i, err)
		}
		if err := r.add(&w); err != nil {
			return err
		}
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

// selfRead is a value read with its own JSON methods, as Page's
// UnmarshalJSON reads them: an *InvalidTokenError they return is kept with
// the value, as far as it was read.
type selfRead[T any] struct {
	v   T
	inv *InvalidTokenError
}

func (s *selfRead[T]) UnmarshalJSON(b []byte) error {
	err := json.Unmarshal(b, &s.v)
	if errors.As(err, &s.inv) {
		return nil
	}
	return err
}

func (s *selfRead[T]) check() error {
	if s.inv != nil {
		return s.inv
	}
	return nil
}

func (s *selfRead[T]) convert() T { return s.v }

// UnmarshalJSON reads a page as Bitbucket sends it, each value with T's own
// JSON methods. A body without "isLastPage" is not a page, and an error; so
// is one with more values than its own "limit". A token that could not be
// read in full is kept in Values as far as it was read, and the error is
// its *InvalidTokenError (with several, see InvalidTokens).
func (p *Page[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	r := pageJSON[T, selfRead[T], *selfRead[T]]{page: p}
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
